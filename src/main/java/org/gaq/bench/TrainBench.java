package org.gaq.bench;

import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.Split;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.QuantizationPlan;
import org.gaq.tensor.kernels.Parallel;
import org.gaq.train.Trainer;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Training steps side by side: one optimisation step (energy + force loss, the force pass differentiated again,
 * Adam) of each model on a fixed batch, as the median [p10–p90] wall-clock ms per step after a warm-up, and the
 * mean CPU time of the whole process per step (all threads, garbage collection included: on a machine shared
 * with other work the wall clock of one step stretches, its CPU time much less). A model with a quantization plan
 * takes a QAT step: fake-quantized sites and the LEE term on a rotated copy.
 *
 * <p>The learning rate is 0, so every step computes the same loss and gradients from the same weights (Adam still
 * does all its arithmetic): steps are comparable however long the run.
 */
public final class TrainBench {

    /** A model to train: its name, a fresh copy per case (steps touch optimizer state), and the LEE weight of its loss. */
    public record Candidate(String name, Supplier<EquivariantTransformer> model, float leeWeight, Trainer.Options.Engine engine) {
        /** A candidate whose gradients take the default path ({@link Trainer.Options.Engine#COMPILED} where it applies). */
        public Candidate(String name, Supplier<EquivariantTransformer> model, float leeWeight) {
            this(name, model, leeWeight, Trainer.Options.Engine.COMPILED);
        }
    }

    /** One case: {@code batch} frames of {@code data} on {@code threads} threads. */
    public record Workload(String data, List<Frame> frames, int threads) {
        public String label() {
            return String.format("%s, batch %d, %d thread%s", data, frames.size(), threads, threads == 1 ? "" : "s");
        }
    }

    public record Result(String model, String workload, int frames, int threads, double medianMs, double p10Ms, double p90Ms,
                         double cpuMs) {
        public double framesPerSecond() {
            return 1000.0 * frames / medianMs;
        }
    }

    private final double warmupSeconds, seconds;

    public TrainBench(double warmupSeconds, double seconds) {
        if (!(seconds > 0) || !(warmupSeconds >= 0)) throw new IllegalArgumentException("seconds must be > 0 and warm-up ≥ 0");
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
    }

    /** Every candidate on every workload, interleaved step by step so that a busy machine slows all alike. */
    public List<Result> run(List<Candidate> candidates, List<Workload> workloads, PrintStream log) throws Exception {
        int kernelThreads = Parallel.threads();
        Parallel.setThreads(1);     // the workers are the parallelism: products stay on the thread that asks for them
        try {
            return measure(candidates, workloads, log);
        } finally {
            Parallel.setThreads(kernelThreads);
        }
    }

    private List<Result> measure(List<Candidate> candidates, List<Workload> workloads, PrintStream log) throws Exception {
        List<Result> results = new ArrayList<>();
        for (Workload w : workloads) {
            ExecutorService pool = Executors.newFixedThreadPool(w.threads(), r -> {
                Thread t = new Thread(r, "gaq-bench-train");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Trainer> trainers = new ArrayList<>();
                for (Candidate c : candidates) trainers.add(trainer(c, w));
                for (Trainer t : trainers) time(t, w, pool, warmupSeconds);
                long liveAfterWarmup = liveHeapBytes();
                List<List<Double>> wall = new ArrayList<>(), cpu = new ArrayList<>();
                for (int i = 0; i < trainers.size(); i++) {
                    wall.add(new ArrayList<>());
                    cpu.add(new ArrayList<>());
                }
                long end = System.nanoTime() + (long) (seconds * trainers.size() * 1e9);
                do {
                    for (int i = 0; i < trainers.size(); i++) {
                        long cpu0 = processCpuNanos();
                        wall.get(i).add(time(trainers.get(i), w, pool, 0));
                        cpu.get(i).add((processCpuNanos() - cpu0) / 1e6);
                    }
                } while (System.nanoTime() < end || wall.get(0).size() < 3);
                for (int i = 0; i < trainers.size(); i++) {
                    double[] s = sorted(wall.get(i));
                    // The process clock ticks in 10 ms on Linux: a mean over many steps, not a median of ticks.
                    double cpuMean = cpu.get(i).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
                    results.add(new Result(candidates.get(i).name(), w.label(), w.frames().size(), w.threads(),
                            pct(s, 0.5), pct(s, 0.1), pct(s, 0.9), cpuMean));
                }
                // Steps keep nothing: the heap that survives a collection stays what it was after the warm-up.
                log.printf("measured %s: %d steps per model; live heap %d MB after the warm-up, %d MB after the steps%n", w.label(),
                        wall.get(0).size(), liveAfterWarmup >> 20, liveHeapBytes() >> 20);
            } finally {
                pool.shutdownNow();
            }
        }
        return results;
    }

    private static Trainer trainer(Candidate c, Workload w) {
        EquivariantTransformer model = c.model().get();
        if (model.sites() instanceof QuantizationPlan plan) plan.setVectorBranch(true);
        Dataset frames = new Dataset(w.data(), w.frames());
        Trainer.requireLabels(frames);
        Trainer.Options options = Trainer.Options.builder().epochs(1).batchSize(w.frames().size()).warmupEpochs(0)
                .threads(w.threads()).leeWeight(c.leeWeight()).engine(c.engine()).build();
        return new Trainer(model, new Split(frames, frames, frames), options, Path.of("bench-train-unused"), new PrintStream(OutputStream.nullOutputStream()));
    }

    /** Wall-clock ms of one step, repeated for at least {@code minSeconds}; the last step's time. */
    private static double time(Trainer t, Workload w, ExecutorService pool, double minSeconds) throws Exception {
        long end = System.nanoTime() + (long) (minSeconds * 1e9);
        double ms;
        do {
            long t0 = System.nanoTime();
            double loss = t.step(w.frames(), 0f, pool);
            ms = (System.nanoTime() - t0) / 1e6;
            if (!Double.isFinite(loss)) throw new IllegalStateException("non-finite training loss in the benchmark");
        } while (System.nanoTime() < end);
        return ms;
    }

    private static long liveHeapBytes() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0;
    }

    private static double[] sorted(List<Double> samples) {
        return samples.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    private static double pct(double[] sorted, double f) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(f * (sorted.length - 1) + 0.5))];
    }

    public static void printTable(List<Result> results, PrintStream out) {
        String first = results.get(0).model();
        out.printf("%-52s %-32s %10s %16s %9s %9s %14s %9s%n", "model", "workload", "median ms", "p10–p90 ms", "frames/s",
                "vs first", "CPU ms, mean", "vs first");
        for (Result r : results) {
            Result base = results.stream().filter(x -> x.workload().equals(r.workload()) && x.model().equals(first))
                    .findFirst().orElseThrow();
            out.printf("%-52s %-32s %10.1f %16s %9.1f %8.2f× %14.1f %8.2f×%n", r.model(), r.workload(), r.medianMs(),
                    String.format("%.1f–%.1f", r.p10Ms(), r.p90Ms()), r.framesPerSecond(), base.medianMs() / r.medianMs(),
                    r.cpuMs(), base.cpuMs() / r.cpuMs());
        }
    }
}
