package org.gaq.bench;

import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.EquivariantTransformer;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * Energy + forces of whole models side by side, one thread: latency for one molecule and time per
 * molecule in a batch, as the median [p10–p90] of timed repetitions of the thread's CPU time, after a
 * warm-up. Models are measured interleaved (round robin), so a busy machine slows all alike.
 */
public final class ModelBench {
    private static final ThreadMXBean CLOCK = ManagementFactory.getThreadMXBean();

    /** One model on one workload of {@code molecules} molecules; times per molecule. */
    public record Result(String model, String workload, int molecules, double medianMs, double p10Ms, double p90Ms) {}

    private final double warmupSeconds, seconds;

    public ModelBench(double warmupSeconds, double seconds) {
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
    }

    /** Times {@code models} (name → model) on one molecule and on a batch of {@code batchFrames}. */
    public List<Result> run(List<String> names, List<EquivariantTransformer> models, Frame molecule, List<Frame> batchFrames, PrintStream log) {
        List<Result> results = new ArrayList<>();
        for (var workload : List.of(List.of(molecule), batchFrames)) {
            String label = workload.size() == 1 ? "1 molecule (" + molecule.numAtoms() + " atoms)" : workload.size() + " molecules, per molecule";
            GraphBatch g = NeighborList.batch(workload, models.get(0).config().cutoff());
            for (EquivariantTransformer m : models) timeOnce(m, g, warmupSeconds);       // warm-up, every model
            List<List<Double>> samples = new ArrayList<>();
            for (int i = 0; i < models.size(); i++) samples.add(new ArrayList<>());
            long end = System.nanoTime() + (long) (seconds * models.size() * 1e9);
            while (System.nanoTime() < end) {
                for (int i = 0; i < models.size(); i++) samples.get(i).add(timeOnce(models.get(i), g, 0) / workload.size());
            }
            for (int i = 0; i < models.size(); i++) {
                double[] s = samples.get(i).stream().mapToDouble(Double::doubleValue).sorted().toArray();
                results.add(new Result(names.get(i), label, workload.size(), pct(s, 0.5), pct(s, 0.1), pct(s, 0.9)));
            }
            log.println("measured " + label);
        }
        return results;
    }

    /** The median ms per molecule of {@code model} on the one-molecule ({@code batch} false) or the batch workload of {@link #run}. */
    public static double medianMs(List<Result> results, String model, boolean batch) {
        List<Result> mine = results.stream().filter(r -> r.model().equals(model)).toList();   // in workload order
        if (mine.size() != 2) throw new IllegalArgumentException("no results for " + model);
        return mine.get(batch ? 1 : 0).medianMs();
    }

    /** CPU ms of one E+F evaluation (or of repeated ones for at least {@code minSeconds}). */
    private static double timeOnce(EquivariantTransformer m, GraphBatch g, double minSeconds) {
        long wallEnd = System.nanoTime() + (long) (minSeconds * 1e9);
        double ms;
        do {
            long t0 = CLOCK.getCurrentThreadCpuTime();
            var p = m.predict(g, false);
            if (!Double.isFinite(p.energies()[0])) throw new IllegalStateException("non-finite energy");
            ms = (CLOCK.getCurrentThreadCpuTime() - t0) / 1e6;
        } while (System.nanoTime() < wallEnd);
        return ms;
    }

    private static double pct(double[] sorted, double f) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(f * (sorted.length - 1) + 0.5))];
    }

    public static void printTable(List<Result> results, PrintStream out) {
        String first = results.get(0).model();
        out.printf("%-42s %-28s %12s %18s %10s%n", "model", "workload", "median ms", "p10–p90 ms", "vs first");
        for (Result r : results) {
            double base = results.stream().filter(x -> x.workload().equals(r.workload()) && x.model().equals(first)).findFirst().orElseThrow().medianMs();
            out.printf("%-42s %-28s %12.3f %18s %9.2f×%n", r.model(), r.workload(), r.medianMs(),
                    String.format("%.3f–%.3f", r.p10Ms(), r.p90Ms()), base / r.medianMs());
        }
    }
}
