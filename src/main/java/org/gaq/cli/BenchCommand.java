package org.gaq.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.gaq.bench.CoreBench;
import org.gaq.bench.Int8Bench;
import org.gaq.engine.kernels.Int8Kernels;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gaq bench}: speed measurements, one subcommand per thing measured. */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        description = "Measure the speed of kernels and models.")
public final class BenchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing benchmark: choose one of the commands below.");
    }

    @Command(name = "core",
            mixinStandardHelpOptions = true,
            description = {
                    "FP32 matmul kernels side by side: SIMD, plain Java and a naive loop, one thread.",
                    "Shapes [m×64]·[64×n] for n = 64, 192 and m = 9, 64, 441, 4096; GFLOP/s as the median "
                            + "[p10–p90] of timed samples."})
    int core(@Option(names = "--seconds", defaultValue = "2", paramLabel = "S",
                     description = "Timed seconds per measurement (default: ${DEFAULT-VALUE}).") double seconds,
             @Option(names = "--warmup", defaultValue = "2", paramLabel = "S",
                     description = "Untimed warm-up seconds before each measurement; the JIT needs about 2 (default: ${DEFAULT-VALUE}).") double warmup,
             @Option(names = "--threads", defaultValue = "1", paramLabel = "T",
                     description = "If above 1, also time the multithreaded kernel at m = 4096 with T threads.") int threads,
             @Option(names = "--csv", paramLabel = "FILE",
                     description = "Also write the results as CSV.") Path csv) throws IOException {
        if (seconds <= 0 || warmup < 0 || threads < 1) {
            throw new CommandLine.ParameterException(spec.commandLine().getSubcommands().get("core"),
                    "--seconds must be > 0, --warmup >= 0 and --threads >= 1");
        }
        System.out.println("Core matmul, FP32. " + CoreBench.environment());
        List<CoreBench.Result> results = new CoreBench(warmup, seconds, threads).run(System.err);
        System.out.println("GFLOP/s = 2·m·k·n / time, median [p10–p90]; time = the thread's CPU time"
                + (threads > 1 ? ", wall-clock time for the multithreaded column:" : ":"));
        CoreBench.printTable(results, System.out);
        if (csv != null) {
            CoreBench.writeCsv(results, csv);
        }
        return 0;
    }

    @Command(name = "int8",
            mixinStandardHelpOptions = true,
            description = {
                    "Integer GEMM kernels side by side (native AMX / AVX-512 VNNI / plain C, Java Vector API, "
                            + "plain Java) and the FP32 SIMD matmul, one thread, int8 and int4.",
                    "Shapes [n×64]·[64×m] for m = 64, 192 and n = 9, 64, 441, 4096; GOP/s (2·n·k·m / time) as the "
                            + "median [p10–p90] of timed samples. GAQ_KERNELS does not filter this list."})
    int int8(@Option(names = "--seconds", defaultValue = "2", paramLabel = "S",
                     description = "Timed seconds per measurement (default: ${DEFAULT-VALUE}).") double seconds,
             @Option(names = "--warmup", defaultValue = "2", paramLabel = "S",
                     description = "Untimed warm-up seconds before each measurement (default: ${DEFAULT-VALUE}).") double warmup,
             @Option(names = "--csv", paramLabel = "FILE",
                     description = "Also write the results as CSV.") Path csv) throws IOException {
        if (seconds <= 0 || warmup < 0) {
            throw new CommandLine.ParameterException(spec.commandLine().getSubcommands().get("int8"),
                    "--seconds must be > 0 and --warmup >= 0");
        }
        System.out.println("Integer kernels: " + Int8Kernels.describe());
        System.out.println(CoreBench.environment());
        List<Int8Bench.Result> results = new Int8Bench(warmup, seconds).run(System.err);
        System.out.println("GOP/s = 2·n·k·m / time (a multiply-add is 2 operations, as for FLOP/s), median [p10–p90]; "
                + "time = the thread's CPU time:");
        Int8Bench.printTables(results, System.out);
        if (csv != null) {
            Int8Bench.writeCsv(results, csv);
        }
        return 0;
    }

    @Command(name = "model",
            mixinStandardHelpOptions = true,
            description = {"Energy + forces of whole models side by side (FP32, fake-quantized, integer files), one thread:",
                    "one molecule and a batch, median [p10–p90] CPU ms, models interleaved; the first model is the baseline."})
    int model(@CommandLine.Parameters(arity = "1..*", paramLabel = "MODEL") List<Path> models,
              @Option(names = "--data", defaultValue = "rmd17:ethanol", description = "molecules to evaluate (default: ${DEFAULT-VALUE})") String data,
              @Option(names = "--data-dir", paramLabel = "DIR") Path dataDir,
              @Option(names = "--batch", defaultValue = "64", description = "molecules in the batch workload (default: ${DEFAULT-VALUE})") int batch,
              @Option(names = "--seconds", defaultValue = "3", description = "timed seconds per model and workload (default: ${DEFAULT-VALUE})") double seconds,
              @Option(names = "--warmup", defaultValue = "3", description = "warm-up seconds per model and workload (default: ${DEFAULT-VALUE})") double warmup,
              @Option(names = "--record", paramLabel = "FILE", description = "also write the table as a JSON record (what `gaq report` reads)") Path record)
            throws IOException {
        if (batch < 1 || seconds <= 0 || warmup < 0) {
            throw new CommandLine.ParameterException(spec.commandLine().getSubcommands().get("model"), "--batch ≥ 1, --seconds > 0, --warmup ≥ 0");
        }
        var frames = org.gaq.data.DataSource.resolve(data, dataDir).loadTest().frames();
        List<org.gaq.model.EquivariantTransformer> loaded = new java.util.ArrayList<>();
        List<String> names = new java.util.ArrayList<>();
        for (Path m : models) {
            loaded.add(org.gaq.quant.ModelFiles.load(m));
            names.add(m.getFileName().toString());
        }
        System.out.println("Model E+F, one thread. " + CoreBench.environment() + "; integer kernels: " + org.gaq.engine.kernels.Int8Kernels.describe());
        var results = new org.gaq.bench.ModelBench(warmup, seconds).run(names, loaded, frames.get(0),
                frames.subList(0, Math.min(batch, frames.size())), System.err);
        org.gaq.bench.ModelBench.printTable(results, System.out);
        if (record != null) {
            var rows = results.stream().map(r -> new org.gaq.report.Records.BenchRow(r.model(), r.workload(), r.medianMs(), r.p10Ms(), r.p90Ms())).toList();
            org.gaq.report.Records.write(record, new org.gaq.report.Records.Bench(org.gaq.engine.kernels.Int8Kernels.describe(),
                    CoreBench.environment(), 1, rows,
                    "./gaq bench " + String.join(" ", spec.commandLine().getParseResult().originalArgs()), java.time.LocalDate.now().toString()));
            System.out.println("record: " + record);
        }
        return 0;
    }
}
