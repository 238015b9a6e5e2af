package org.gaq.cli;

import org.gaq.modelfile.ModelFile;
import org.gaq.bench.CoreBench;
import org.gaq.bench.Int8Bench;
import org.gaq.bench.ModelBench;
import org.gaq.bench.ProcessMemory;
import org.gaq.bench.TrainBench;
import org.gaq.train.Trainer;
import org.gaq.data.DataSource;
import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.engine.IntegerSites;
import org.gaq.engine.kernels.Int8Kernels;
import org.gaq.infer.Potential;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import org.gaq.report.Records;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.HashSet;

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
            description = {"Energy + forces of whole models side by side (FP32, fake-quantized, integer files): per data set one "
                    + "molecule and a batch; cost against system size (copies of a molecule on a grid, far apart and packed); "
                    + "the weight memory each model holds. Median [p10–p90] ms, models interleaved; the first model is the baseline.",
                    "One thread: the thread's CPU time. --threads 2: wall-clock time, batches split over the threads."})
    int model(@CommandLine.Parameters(arity = "1..*", paramLabel = "MODEL") List<Path> models,
              @Option(names = "--data", defaultValue = "rmd17:ethanol", split = ",",
                      description = "data sets whose test molecules are timed, comma-separated, e.g. rmd17:ethanol,rmd17:aspirin (default: ${DEFAULT-VALUE})")
              List<String> data,
              @Option(names = "--data-dir", paramLabel = "DIR") Path dataDir,
              @Option(names = "--batch", defaultValue = "64", description = "molecules in the batch workload (default: ${DEFAULT-VALUE})") int batch,
              @Option(names = "--copies", defaultValue = "0", split = ",", paramLabel = "N",
                      description = "cost against size: systems of N copies of the first data set's molecule, e.g. 1,10,50,200 (default: 0, none)")
              List<Integer> copies,
              @Option(names = "--layout", defaultValue = "both", description = "copies far apart (no edges between them), packed (closer than the cutoff) or both (default: ${DEFAULT-VALUE})")
              String layout,
              @Option(names = "--threads", defaultValue = "1", description = "threads: 1 (CPU time) or more (wall-clock time) (default: ${DEFAULT-VALUE})") int threads,
              @Option(names = "--seconds", defaultValue = "3", description = "timed seconds per model and workload (default: ${DEFAULT-VALUE})") double seconds,
              @Option(names = "--warmup", defaultValue = "3", description = "warm-up seconds per model and workload (default: ${DEFAULT-VALUE})") double warmup,
              @Option(names = "--record", paramLabel = "FILE", description = "also write the table as a JSON record (what `gaq report` reads)") Path record,
              @Option(names = "--engine", defaultValue = "auto", split = ",", paramLabel = "ENGINE",
                      description = "auto (compiled where possible), compiled, tape, or several, e.g. compiled,tape: each model on each, side by side (default: ${DEFAULT-VALUE})")
              List<String> engines,
              @Option(names = "--energy-only", description = "time energies only (no forces): the paper's latency protocol") boolean energyOnly)
            throws IOException {
        if (batch < 1 || seconds <= 0 || warmup < 0 || threads < 1 || copies.stream().anyMatch(c -> c < 0)
                || !List.of("apart", "packed", "both").contains(layout)) {
            throw new CommandLine.ParameterException(spec.commandLine().getSubcommands().get("model"),
                    "--batch ≥ 1, --seconds > 0, --warmup ≥ 0, --threads ≥ 1, --copies ≥ 0, --layout apart|packed|both");
        }
        List<EquivariantTransformer> loaded = new ArrayList<>();
        List<Potential> potentials = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Path m : models) {
            var model = ModelFile.load(m);
            for (String e : engines) {
                loaded.add(model);
                potentials.add(EngineOption.potential(model, e, System.err));
                names.add(m.getFileName() + (engines.size() > 1 ? " [" + e + "]" : ""));
            }
        }
        List<ModelBench.Workload> molecules = new ArrayList<>();
        Frame first = null;
        for (String d : data) {
            var source = DataSource.resolve(d, dataDir);
            var set = source.loadTest() != null ? source.loadTest() : source.load();
            var frames = set.frames();
            if (first == null) first = frames.get(0);
            String name = d.startsWith("rmd17:") ? d.substring(6) : d;
            molecules.add(new ModelBench.Workload(name + ", 1 molecule (" + frames.get(0).numAtoms() + " atoms)", List.of(frames.get(0))));
            molecules.add(new ModelBench.Workload(name + ", " + Math.min(batch, frames.size()) + " molecules, per molecule",
                    frames.subList(0, Math.min(batch, frames.size()))));
        }
        double cutoff = loaded.get(0).config().cutoff(), diameter = 2 * ModelBench.radius(first);
        List<ModelBench.Workload> sizes = new ArrayList<>();
        for (String l : layout.equals("both") ? List.of("apart", "packed") : List.of(layout)) {
            double spacing = l.equals("apart") ? diameter + cutoff + 1 : diameter + 1.5;
            for (int c : copies) {
                if (c == 0) continue;
                var system = ModelBench.grid(first, c, spacing);
                sizes.add(new ModelBench.Workload(String.format("%d × %d atoms, %s (%.1f Å)", c, first.numAtoms(), l, spacing), List.of(system)));
            }
        }
        System.out.println("Model " + (energyOnly ? "energy only" : "E+F") + ", " + (threads == 1 ? "one thread, CPU time. " : threads + " threads, wall-clock time. ")
                + CoreBench.environment() + "; integer kernels: " + Int8Kernels.describe());
        for (int i = 0; i < names.size(); i++) System.out.println("  " + names.get(i) + ": " + potentials.get(i).description());
        var bench = new ModelBench(warmup, seconds, threads, !energyOnly);
        var results = new ArrayList<>(bench.run(names, potentials, molecules, System.err));
        ModelBench.printTable(results, System.out);
        if (!sizes.isEmpty()) {
            System.out.println();
            System.out.println("Cost against system size (one system; edges are directed pairs within the cutoff):");
            var scaling = bench.run(names, potentials, sizes, System.err);
            ModelBench.printScaling(scaling, System.out);
            results.addAll(scaling);
        }
        System.out.println();
        System.out.println("Weight memory held (after the runs above, so the integer kernels' layouts exist): the model's tensors and "
                + "integer layers, and what the engine computing it holds (compiled: its weights in their precision, FP32 copies of the "
                + "integer weights for float inputs and the reverse pass, and the radial tables):");
        List<ModelBench.Memory> memory = new ArrayList<>();
        for (int i = 0; i < loaded.size(); i++) memory.add(ModelBench.memory(names.get(i), loaded.get(i), potentials.get(i)));
        ModelBench.printMemory(memory, System.out);
        System.out.println(ProcessMemory.describe());
        if (record != null) {
            var rows = results.stream().map(r -> new Records.BenchRow(r.model(), r.workload(), r.medianMs(), r.p10Ms(), r.p90Ms())).toList();
            Records.write(record, new Records.Bench(Int8Kernels.describe(),
                    CoreBench.environment(), threads, rows,
                    "./gaq " + Records.shellWords(spec.commandLine().getParseResult().originalArgs()), LocalDate.now().toString()));
            System.out.println("record: " + record);
        }
        return 0;
    }

    @Command(name = "train",
            mixinStandardHelpOptions = true,
            description = {"Training steps side by side: one optimisation step (energy + force loss, whose gradient differentiates the "
                    + "forces again, then Adam) of each model on a fixed batch of training frames. A model with a quantization plan "
                    + "(a fake-quantized QAT file) takes a QAT step, with the LEE term on a rotated copy.",
                    "--loss energy times the step of energy-only training instead (the loss on energies alone, one backward pass: "
                            + "what data without forces, as QM9, costs); data without forces always takes that step.",
                    "Median [p10–p90] wall-clock ms per step, models interleaved; the first model is the baseline."})
    int train(@CommandLine.Parameters(arity = "1..*", paramLabel = "MODEL") List<Path> models,
              @Option(names = "--data", defaultValue = "rmd17:ethanol,rmd17:aspirin", split = ",",
                      description = "data sets whose first training frames form the batch (default: ${DEFAULT-VALUE})") List<String> data,
              @Option(names = "--data-dir", paramLabel = "DIR") Path dataDir,
              @Option(names = "--batch", defaultValue = "8,32", split = ",", description = "batch sizes (default: ${DEFAULT-VALUE})") List<Integer> batches,
              @Option(names = "--threads", defaultValue = "1,2", split = ",", description = "thread counts (default: ${DEFAULT-VALUE})") List<Integer> threads,
              @Option(names = "--loss", defaultValue = "forces", split = ",", paramLabel = "forces|energy",
                      description = "the loss of the step: forces (energy + forces) and/or energy (energies alone; the frames' forces are "
                              + "dropped) (default: ${DEFAULT-VALUE})") List<String> losses,
              @Option(names = "--lee-weight", defaultValue = "0.01", description = "weight of the LEE term for QAT models (default: ${DEFAULT-VALUE}, GAQ's)") float leeWeight,
              @Option(names = "--engine", defaultValue = "compiled", split = ",", paramLabel = "compiled|tape",
                      description = "how gradients are computed: compiled (FP32 models with forces; the tape otherwise) and/or tape, "
                              + "each a candidate of its own (default: ${DEFAULT-VALUE})") List<String> engines,
              @Option(names = "--seconds", defaultValue = "5", description = "timed seconds per model and workload (default: ${DEFAULT-VALUE})") double seconds,
              @Option(names = "--warmup", defaultValue = "5", description = "warm-up seconds per model and workload (default: ${DEFAULT-VALUE})") double warmup,
              @Option(names = "--record", paramLabel = "FILE", description = "also write the table as a JSON record") Path record)
            throws Exception {
        if (seconds <= 0 || warmup < 0 || batches.stream().anyMatch(b -> b < 1) || threads.stream().anyMatch(t -> t < 1) || leeWeight < 0) {
            throw new CommandLine.ParameterException(spec.commandLine().getSubcommands().get("train"),
                    "--batch ≥ 1, --threads ≥ 1, --seconds > 0, --warmup ≥ 0, --lee-weight ≥ 0");
        }
        List<TrainBench.Candidate> candidates = new ArrayList<>();
        for (Path m : models) {
            EquivariantTransformer probe = ModelFile.load(m);
            if (probe.sites() instanceof IntegerSites) {
                throw new IllegalArgumentException(m + " is an integer model: training needs an FP32 or a fake-quantized (QAT) file");
            }
            boolean qat = probe.sites() instanceof QuantizationPlan;
            for (String engine : engines) {
                Trainer.Options.Engine kind = switch (engine) {
                    case "compiled" -> Trainer.Options.Engine.COMPILED;
                    case "tape" -> Trainer.Options.Engine.TAPE;
                    default -> throw new CommandLine.ParameterException(spec.commandLine().getSubcommands().get("train"),
                            "--engine takes compiled and/or tape, not '" + engine + "'");
                };
                String label = engines.size() > 1 ? ", " + engine : "";
                candidates.add(new TrainBench.Candidate(m.getFileName() + (qat ? " [QAT, LEE " + leeWeight + label + "]" : " [FP32" + label + "]"),
                        () -> loadUnchecked(m), qat ? leeWeight : 0f, kind));
            }
        }
        for (String loss : losses) {
            if (!loss.equals("forces") && !loss.equals("energy")) {
                throw new CommandLine.ParameterException(spec.commandLine().getSubcommands().get("train"), "--loss takes forces and/or energy, not '" + loss + "'");
            }
        }
        List<TrainBench.Workload> workloads = new ArrayList<>();
        for (String d : data) {
            Dataset train = DataSource.resolve(d, dataDir).load();
            String name = d.startsWith("rmd17:") ? d.substring(6) : d;
            for (int b : batches) {
                if (b > train.size()) throw new IllegalArgumentException(d + " has " + train.size() + " frames, fewer than the batch " + b);
                Set<Boolean> energyOnlyDone = new HashSet<>();
                for (String loss : losses) {
                    boolean energyOnly = loss.equals("energy") || !train.allHaveForces();
                    if (!energyOnlyDone.add(energyOnly)) continue;      // data without forces: one energy-only workload
                    List<Frame> frames = train.frames().subList(0, b);
                    if (energyOnly) frames = frames.stream().map(f -> f.withLabels(f.energy(), null)).toList();
                    for (int t : threads) workloads.add(new TrainBench.Workload(energyOnly ? name + " (energy loss)" : name, frames, t));
                }
            }
        }
        System.out.println("Training step, wall-clock time. " + CoreBench.environment());
        List<TrainBench.Result> results = new TrainBench(warmup, seconds).run(candidates, workloads, System.err);
        TrainBench.printTable(results, System.out);
        if (record != null) {
            var rows = results.stream().map(r -> new Records.BenchRow(r.model(), r.workload(), r.medianMs(), r.p10Ms(), r.p90Ms())).toList();
            Records.write(record, new Records.Bench(Int8Kernels.describe(), CoreBench.environment(), threads.getFirst(), rows,
                    "./gaq " + Records.shellWords(spec.commandLine().getParseResult().originalArgs()), LocalDate.now().toString()));
            System.out.println("record: " + record);
        }
        return 0;
    }

    private static EquivariantTransformer loadUnchecked(Path model) {
        try {
            return ModelFile.load(model);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
