package org.gaq.tools;

import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.data.Rmd17Reader;
import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.Tensor;
import org.gaq.tensor.kernels.Parallel;
import org.gaq.train.Adam;
import org.gaq.train.compiled.CompiledLossGradient;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Single-thread timings to set beside tools/torch-reference/bench_torch.py:
 * energy + forces of one ethanol and one aspirin, and one training step (energy + force loss,
 * gradients, Adam) on a batch of 8 ethanol frames. Graphs are built once, outside the timed region
 * (as in the torch benchmark). Every case is first warmed up for the warm-up time (≥ 3 s by default),
 * then each is warmed again briefly (a third of it) and measured: ≥ reps repetitions and ≥ 2 s.
 *
 * <pre>
 *   ReferenceBench MODEL.safetensors ETHANOL.npz ASPIRIN.npz [--reps N] [--warmup SECONDS] [--threads T]
 * </pre>
 */
public final class ReferenceBench {
    private ReferenceBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: ReferenceBench MODEL ETHANOL.npz ASPIRIN.npz [--reps N] [--warmup SECONDS] [--threads T] [--json]");
            System.exit(2);
        }
        int reps = 30, threads = 1;
        double warmup = 3.0;
        boolean json = false;
        for (int i = 3; i < args.length; i++) {
            switch (args[i]) {
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--json" -> json = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Parallel.setThreads(threads);
        EquivariantTransformer model = Checkpoint.loadModel(Path.of(args[0]));
        Dataset ethanol = Rmd17Reader.read(Path.of(args[1]));
        Dataset aspirin = Rmd17Reader.read(Path.of(args[2]));
        double cutoff = model.config().cutoff();
        GraphBatch eth1 = NeighborList.batch(List.of(ethanol.frame(0)), cutoff);
        GraphBatch asp1 = NeighborList.batch(List.of(aspirin.frame(0)), cutoff);
        List<Frame> batch8 = new ArrayList<>(ethanol.frames().subList(0, 8));
        GraphBatch eth8 = NeighborList.batch(batch8, cutoff);

        List<Tensor> params = new ArrayList<>(model.parameters().values());
        Adam adam = new Adam(params, 0.9f, 0.999f, 1e-8f, 0f);
        // Tiny learning rate: the timed steps barely move the model.
        float lr = 1e-7f;

        Runnable efEthanol = () -> model.predict(eth1, false).forces().data();
        Runnable efAspirin = () -> model.predict(asp1, false).forces().data();
        Runnable trainStep = () -> {
            var r = ReferenceDump.lossAndGradients(model, eth8, ReferenceDump.ENERGY_WEIGHT, ReferenceDump.FORCE_WEIGHT);
            float[][] g = new float[r.grads().length][];
            for (int p = 0; p < g.length; p++) g[p] = r.grads()[p].toArray();
            adam.step(g, lr);
        };
        // The step gaq train takes: the compiled gradient (train.compiled), the same loss and Adam
        CompiledLossGradient compiled = new CompiledLossGradient(model);
        float[][] compiledGrads = new float[params.size()][];
        for (int p = 0; p < compiledGrads.length; p++) compiledGrads[p] = new float[params.get(p).size()];
        Runnable compiledStep = () -> {
            for (float[] g : compiledGrads) java.util.Arrays.fill(g, 0f);
            compiled.lossAndGradient(eth8, ReferenceDump.ENERGY_WEIGHT / eth8.numMolecules(),
                    ReferenceDump.FORCE_WEIGHT / (3f * eth8.numAtoms()), compiledGrads);
            adam.step(compiledGrads, lr);
        };
        // Warm-up every case first (the JIT compiles shared kernels), then measure each.
        warm(efEthanol, warmup);
        warm(efAspirin, warmup);
        warm(trainStep, warmup);
        warm(compiledStep, warmup);
        List<String[]> rows = new ArrayList<>();
        rows.add(time("E+F ethanol (9 atoms)", warmup / 3, reps, efEthanol));
        rows.add(time("E+F aspirin (21 atoms)", warmup / 3, reps, efAspirin));
        rows.add(time("train step, 8 ethanol", warmup / 3, reps, trainStep));
        rows.add(time("train step, 8 ethanol (compiled)", warmup / 3, reps, compiledStep));
        if (json) {
            StringBuilder sb = new StringBuilder("{\"implementation\": \"gaq\", \"threads\": " + threads + ", \"results\": [");
            for (int i = 0; i < rows.size(); i++) {
                String[] r = rows.get(i);
                sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                        "{\"case\": \"%s\", \"median_ms\": %s, \"p10_ms\": %s, \"p90_ms\": %s, \"reps\": %s}",
                        r[0], r[1], r[2], r[3], r[4]));
            }
            System.out.println(sb.append("]}"));
        } else {
            System.out.printf(Locale.ROOT, "gaq, %d thread(s)%n%-26s %10s %10s %10s %6s%n", threads, "case", "median ms",
                    "p10 ms", "p90 ms", "reps");
            for (String[] r : rows) System.out.printf(Locale.ROOT, "%-26s %10s %10s %10s %6s%n", (Object[]) r);
        }
    }

    private static void warm(Runnable body, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) body.run();
    }

    private static String[] time(String name, double warmupSeconds, int minReps, Runnable body) {
        warm(body, warmupSeconds);
        // At least minReps repetitions and at least ~2 s of measurement.
        List<Double> ms = new ArrayList<>();
        long measureEnd = System.nanoTime() + 2_000_000_000L;
        while (ms.size() < minReps || (System.nanoTime() < measureEnd && ms.size() < 10_000)) {
            long t0 = System.nanoTime();
            body.run();
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        double[] a = ms.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return new String[]{name, fmt(quantile(a, 0.5)), fmt(quantile(a, 0.1)), fmt(quantile(a, 0.9)),
                String.valueOf(a.length)};
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
