package org.gaq.bench;

import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.engine.IntegerSites;
import org.gaq.infer.CompiledPotential;
import org.gaq.infer.Potential;
import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.Tensor;
import org.gaq.tensor.kernels.Parallel;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Energy + forces of whole models side by side: latency for one molecule, time per molecule in a batch,
 * and cost against system size, as the median [p10–p90] of timed repetitions after a warm-up. Models are
 * measured interleaved (round robin), so a busy machine slows all alike.
 *
 * <p>With one thread a repetition is timed by the thread's CPU time (other processes on the machine don't
 * count). With T &gt; 1 threads it is wall-clock time: a batch of molecules is split into T graphs
 * evaluated concurrently (data parallel, as training and evaluation do), and the large matmuls of a
 * single system split their rows over {@link Parallel} (nothing else in one E+F runs in parallel).
 */
public final class ModelBench {
    private static final ThreadMXBean CLOCK = ManagementFactory.getThreadMXBean();

    /**
     * One model on one workload: {@code molecules} systems of {@code atoms} atoms and {@code edges} directed
     * edges in all; times in ms per system.
     */
    public record Result(String model, String workload, int molecules, int atoms, int edges, double medianMs, double p10Ms, double p90Ms) {
        /** µs per atom of one repetition (all systems). */
        public double usPerAtom() {
            return 1000 * medianMs * molecules / atoms;
        }

        /** µs per directed edge of one repetition (all systems). */
        public double usPerEdge() {
            return 1000 * medianMs * molecules / edges;
        }
    }

    /** A workload: {@code frames} evaluated together, reported per frame. */
    public record Workload(String label, List<Frame> frames) {}

    /**
     * Weight memory of a loaded model: the FP32 parameter tensors it holds and its integer layers' codes, scales and
     * kernel layouts (what the tape engine runs on), and what the engine that computes it holds ({@code engineBytes}:
     * the compiled engine keeps its own weights in their precision, an FP32 copy of each integer weight for float
     * inputs and the reverse pass, and the radial tables; the tape engine holds the model itself).
     */
    public record Memory(String model, long fp32Bytes, long integerBytes, long engineBytes) {
        public long totalBytes() {
            return fp32Bytes + integerBytes;
        }
    }

    private final double warmupSeconds, seconds;
    private final int threads;
    private final boolean withForces;

    public ModelBench(double warmupSeconds, double seconds) {
        this(warmupSeconds, seconds, 1, true);
    }

    /** @param withForces energy and forces (true), or energies only (the paper's latency protocol) */
    public ModelBench(double warmupSeconds, double seconds, int threads, boolean withForces) {
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1");
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
        this.threads = threads;
        this.withForces = withForces;
    }

    /** Times {@code models} (name → model) on one molecule and on a batch of {@code batchFrames}. */
    public List<Result> run(List<String> names, List<Potential> models, Frame molecule, List<Frame> batchFrames, PrintStream log) {
        return run(names, models, List.of(
                new Workload("1 molecule (" + molecule.numAtoms() + " atoms)", List.of(molecule)),
                new Workload(batchFrames.size() + " molecules, per molecule", batchFrames)), log);
    }

    /** Times every model on every workload; results workload by workload, models in the given order. */
    public List<Result> run(List<String> names, List<Potential> models, List<Workload> workloads, PrintStream log) {
        List<Result> results = new ArrayList<>();
        int before = Parallel.threads();
        Parallel.setThreads(threads);
        ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "gaq-bench");
            t.setDaemon(true);
            return t;
        }) : null;
        try {
            for (Workload w : workloads) {
                List<Frame> frames = w.frames();
                double cutoff = models.get(0).config().cutoff();
                GraphBatch all = NeighborList.batch(frames, cutoff);
                // T > 1: the molecules in T graphs of (nearly) equal size, evaluated concurrently
                List<GraphBatch> parts = new ArrayList<>();
                int p = Math.min(threads, frames.size());
                for (int i = 0; i < p; i++) parts.add(NeighborList.batch(frames.subList(i * frames.size() / p, (i + 1) * frames.size() / p), cutoff));
                for (Potential m : models) time(m, parts, pool, warmupSeconds);       // warm-up, every model
                List<List<Double>> samples = new ArrayList<>();
                for (int i = 0; i < models.size(); i++) samples.add(new ArrayList<>());
                long end = System.nanoTime() + (long) (seconds * models.size() * 1e9);
                do {   // at least one round, even for a system slower than the budget
                    for (int i = 0; i < models.size(); i++) samples.get(i).add(time(models.get(i), parts, pool, 0) / frames.size());
                } while (System.nanoTime() < end || samples.get(0).size() < 3);
                for (int i = 0; i < models.size(); i++) {
                    double[] s = samples.get(i).stream().mapToDouble(Double::doubleValue).sorted().toArray();
                    results.add(new Result(names.get(i), w.label(), frames.size(), all.numAtoms(), all.numEdges(),
                            pct(s, 0.5), pct(s, 0.1), pct(s, 0.9)));
                }
                log.println("measured " + w.label());
            }
        } finally {
            if (pool != null) pool.shutdownNow();
            Parallel.setThreads(before);
        }
        return results;
    }

    /** The median ms per molecule of {@code model} on the one-molecule ({@code batch} false) or the batch workload of {@link #run}. */
    public static double medianMs(List<Result> results, String model, boolean batch) {
        List<Result> mine = results.stream().filter(r -> r.model().equals(model)).toList();   // in workload order
        if (mine.size() != 2) throw new IllegalArgumentException("no results for " + model);
        return mine.get(batch ? 1 : 0).medianMs();
    }

    /**
     * {@code copies} copies of {@code molecule} on a cubic grid with {@code spacing} Å between their centres,
     * as one system (one energy). With a spacing above the molecule's extent plus the cutoff the copies
     * don't see each other (the edges per atom stay those of one molecule); with less they form a packed
     * cluster with more neighbours per atom.
     */
    public static Frame grid(Frame molecule, int copies, double spacing) {
        int n = molecule.numAtoms(), side = (int) Math.ceil(Math.cbrt(copies) - 1e-9);
        double[] centre = new double[3];
        for (int a = 0; a < n; a++) for (int d = 0; d < 3; d++) centre[d] += molecule.positions()[3 * a + d] / n;
        int[] z = new int[n * copies];
        double[] pos = new double[3 * n * copies];
        for (int c = 0; c < copies; c++) {
            int[] cell = {c % side, c / side % side, c / (side * side)};
            for (int a = 0; a < n; a++) {
                z[c * n + a] = molecule.atomicNumbers()[a];
                for (int d = 0; d < 3; d++) pos[3 * (c * n + a) + d] = molecule.positions()[3 * a + d] - centre[d] + spacing * cell[d];
            }
        }
        return Frame.unlabeled(z, pos);
    }

    /** Largest distance of an atom from the molecule's centre, in Å. */
    public static double radius(Frame molecule) {
        int n = molecule.numAtoms();
        double[] c = new double[3];
        for (int a = 0; a < n; a++) for (int d = 0; d < 3; d++) c[d] += molecule.positions()[3 * a + d] / n;
        double r = 0;
        for (int a = 0; a < n; a++) {
            double s = 0;
            for (int d = 0; d < 3; d++) s += Math.pow(molecule.positions()[3 * a + d] - c[d], 2);
            r = Math.max(r, Math.sqrt(s));
        }
        return r;
    }

    /**
     * The weight memory {@code model} holds: its FP32 parameter tensors (an integer model keeps only those not
     * replaced by integer layers: embedding, norms, biases, head) and its integer layers' codes, scales and
     * kernel layouts (the layouts are made on first use: measure after running the model). A fake-quantized
     * model holds FP32 weights and quantizes them at every evaluation.
     */
    public static Memory memory(String name, EquivariantTransformer model, Potential engine) {
        long fp32 = 0;
        for (Tensor t : model.parameters().values()) fp32 += 4L * t.size();
        long integer = model.sites() instanceof IntegerSites sites ? sites.residentWeightBytes() : 0;
        long held = engine instanceof CompiledPotential compiled ? compiled.model().residentBytes() : fp32 + integer;
        return new Memory(name, fp32, integer, held);
    }

    /** Time of one repetition in ms (thread CPU time with one part and no pool, else wall-clock), repeated for at least {@code minSeconds}. */
    private double time(Potential m, List<GraphBatch> parts, ExecutorService pool, double minSeconds) {
        long wallEnd = System.nanoTime() + (long) (minSeconds * 1e9);
        double ms;
        do {
            if (pool == null) {
                long t0 = CLOCK.getCurrentThreadCpuTime();
                for (GraphBatch g : parts) check(m.compute(g, withForces));
                ms = (CLOCK.getCurrentThreadCpuTime() - t0) / 1e6;
            } else {
                long t0 = System.nanoTime();
                List<Future<Potential.Prediction>> futures = new ArrayList<>();
                for (GraphBatch g : parts) futures.add(pool.submit(() -> m.compute(g, withForces)));
                try {
                    for (var f : futures) check(f.get());
                } catch (Exception e) {
                    throw new IllegalStateException("benchmark evaluation failed: " + e.getMessage(), e);
                }
                ms = (System.nanoTime() - t0) / 1e6;
            }
        } while (System.nanoTime() < wallEnd);
        return ms;
    }

    private static void check(Potential.Prediction p) {
        if (!Double.isFinite(p.energies()[0])) throw new IllegalStateException("non-finite energy");
    }

    private static double pct(double[] sorted, double f) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(f * (sorted.length - 1) + 0.5))];
    }

    public static void printTable(List<Result> results, PrintStream out) {
        String first = results.get(0).model();
        out.printf("%-42s %-34s %12s %18s %10s%n", "model", "workload", "median ms", "p10–p90 ms", "vs first");
        for (Result r : results) {
            double base = results.stream().filter(x -> x.workload().equals(r.workload()) && x.model().equals(first)).findFirst().orElseThrow().medianMs();
            out.printf("%-42s %-34s %12.3f %18s %9.2f×%n", r.model(), r.workload(), r.medianMs(),
                    String.format("%.3f–%.3f", r.p10Ms(), r.p90Ms()), base / r.medianMs());
        }
    }

    /** Cost against size: atoms, edges, edges per atom, ms per system, µs per atom and per edge. */
    public static void printScaling(List<Result> results, PrintStream out) {
        out.printf("%-42s %-34s %7s %8s %10s %12s %18s %10s %10s%n", "model", "system", "atoms", "edges", "edges/atom",
                "median ms", "p10–p90 ms", "µs/atom", "µs/edge");
        for (Result r : results) {
            out.printf("%-42s %-34s %7d %8d %10.1f %12.2f %18s %10.1f %10.2f%n", r.model(), r.workload(), r.atoms(), r.edges(),
                    (double) r.edges() / r.atoms(), r.medianMs(), String.format("%.2f–%.2f", r.p10Ms(), r.p90Ms()), r.usPerAtom(), r.usPerEdge());
        }
    }

    public static void printMemory(List<Memory> memory, PrintStream out) {
        out.printf("%-42s %16s %22s %16s %10s %18s %10s%n", "model", "FP32 tensors, B", "integer layers, B", "model, B", "vs first",
                "engine holds, B", "vs first");
        for (Memory m : memory) {
            out.printf("%-42s %,16d %,22d %,16d %9.2f× %,18d %9.2f×%n", m.model(), m.fp32Bytes(), m.integerBytes(), m.totalBytes(),
                    (double) memory.get(0).totalBytes() / m.totalBytes(), m.engineBytes(), (double) memory.get(0).engineBytes() / m.engineBytes());
        }
    }
}
