package org.gaq.spark.cli;

import org.apache.spark.sql.SparkSession;
import org.gaq.spark.EvaluateJob;
import org.gaq.spark.EvaluationSummary;
import org.gaq.spark.SparkSessions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Energy and forces of many structures: per-structure Parquet (out/structures) and out/summary.json.",
                "With labels: errors as gaq eval measures them; with --committee: the models' per-structure disagreement."})
public final class EvaluateCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "a gaq model file (FP32, fake-quantized or integer)") Path model;
    @Option(names = "--input", required = true, paramLabel = "SPEC", description = "Parquet file/folder/glob (columns elements, positions; "
            + "optional energy, forces, id), or an extended-XYZ or .npz file, or rmd17:<molecule> (its test file)") String input;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder (must be new or empty)") Path out;
    @Option(names = "--committee", split = ",", paramLabel = "MODEL", description = "further models: per-structure disagreement with MODEL")
    List<Path> committee = List.of();
    @Option(names = "--batch-size", defaultValue = "16", description = "structures per engine call (default: ${DEFAULT-VALUE}, as gaq eval)") int batchSize;
    @Option(names = "--partitions", defaultValue = "0", description = "partitions (0: Spark's split of Parquet input, 2 per core for files)") int partitions;
    @Option(names = "--worst", defaultValue = "10", description = "how many worst structures the summary lists (default: ${DEFAULT-VALUE})") int worst;
    @Mixin SparkOptions spark;

    @Override
    public Integer call() throws Exception {
        try (SparkSession session = SparkSessions.start("gaq evaluate", spark.master)) {
            EvaluationSummary s = EvaluateJob.run(session, new EvaluateJob.Settings(model, committee, input, spark.dataDir, out, batchSize,
                    partitions, worst));
            System.out.print(s.toJson());
            System.out.printf("%d structures in %.1f s (%.0f structures/s) -> %s%n", s.structures(), s.seconds(), s.structuresPerSecond(), out);
        }
        return 0;
    }
}
