package org.gaq.spark.cli;

import com.google.gson.GsonBuilder;
import org.gaq.spark.SparkBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"The Spark benchmarks in one run: evaluate local[2] vs local[1] and vs gaq eval on one core, on a set of "
                + "perturbed rMD17 ethanol structures; an md-ensemble in local[2]. Writes one JSON file (default "
                + "results/bench/spark-<date>.json) with the CPU and the load average around every phase."})
public final class SparkBenchCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "models/ethanol-fp32.safetensors", description = "(default: ${DEFAULT-VALUE})") Path model;
    @Option(names = "--structures", defaultValue = "100000", description = "size of the evaluation set (default: ${DEFAULT-VALUE})") int structures;
    @Option(names = "--trajectories", defaultValue = "64", description = "(default: ${DEFAULT-VALUE})") int trajectories;
    @Option(names = "--md-steps", defaultValue = "10000", description = "steps per trajectory (default: ${DEFAULT-VALUE})") long mdSteps;
    @Option(names = "--skip-evaluate", description = "only the md-ensemble") boolean skipEvaluate;
    @Option(names = "--skip-md", description = "only the evaluation") boolean skipMd;
    @Option(names = "--work", defaultValue = "spark/target/bench", description = "scratch folder, emptied first (default: ${DEFAULT-VALUE})") Path work;
    @Option(names = "--out", description = "the JSON file (default: results/bench/spark-<date>.json)") Path out;
    @Mixin SparkOptions spark;
    @Spec CommandSpec commandSpec;

    @Override
    public Integer call() throws Exception {
        if (structures < 1 || trajectories < 1 || mdSteps < 1) throw new IllegalArgumentException("--structures, --trajectories and --md-steps must be ≥ 1");
        Path file = out != null ? out : Path.of("results", "bench", "spark-" + LocalDate.now() + ".json");
        String command = "./gaq spark " + String.join(" ", commandSpec.commandLine().getParseResult().originalArgs());
        var result = SparkBench.run(new SparkBench.Settings(model, spark.dataDir, structures, trajectories, mdSteps, skipEvaluate, skipMd,
                work, file, command.strip()));
        System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(result));
        System.out.println("-> " + file);
        return 0;
    }
}
