package org.gaq.tools;

import org.gaq.data.DataSource;
import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.tensor.Autograd;
import org.gaq.tensor.Tensor;
import org.gaq.tensor.kernels.Parallel;
import org.gaq.train.ElementEnergies;
import org.gaq.train.Trainer;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What energy-only training saves: the thread CPU time of one batch's loss and parameter gradient (the work of
 * Trainer.lossAndGradients) with the force pass (forces with createGraph, then the backward through them: what
 * training on forces pays) and without it (energies on the graph, one backward: what data without forces pays),
 * on the same batches of the paper-size model (64 features, 6 layers, 8 heads). The two are interleaved; thread
 * CPU time, not wall time, so that other work on the machine lengthens neither.
 *
 * <pre>
 *   TrainStepCost DATA... [--batch 8] [--reps 20] [--data-dir DIR]      DATA: qm9, rmd17:ethanol, a file
 * </pre>
 */
public final class TrainStepCost {
    private TrainStepCost() {}

    public static void main(String[] args) throws Exception {
        List<String> specs = new ArrayList<>();
        int batch = 8, reps = 20;
        Path dataDir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--data-dir" -> dataDir = Path.of(args[++i]);
                default -> specs.add(args[i]);
            }
        }
        if (specs.isEmpty()) {
            System.err.println("usage: TrainStepCost DATA... [--batch 8] [--reps 20] [--data-dir DIR]");
            System.exit(2);
        }
        Parallel.setThreads(1);
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        EquivariantTransformer model = new EquivariantTransformer(new ModelConfig(64, 6, 8, 32, 5.0, true, 18), 1);
        Tensor[] params = model.parameters().values().toArray(new Tensor[0]);
        System.out.printf("%-20s %9s %22s %22s %7s%n", "data", "atoms/mol", "with force pass (ms)", "energy only (ms)", "ratio");
        for (String spec : specs) {
            Dataset data = DataSource.resolve(spec, dataDir).load();
            ElementEnergies.fit(data, model.elementShift(), model.elementScale());
            List<GraphBatch> withForces = new ArrayList<>(), energiesOnly = new ArrayList<>();
            for (int b = 0; b < reps; b++) {
                List<Frame> frames = data.frames().subList((b * batch) % (data.size() - batch), (b * batch) % (data.size() - batch) + batch);
                List<Frame> labelled = new ArrayList<>(), bare = new ArrayList<>();
                for (Frame f : frames) {
                    // The force pass costs the same whatever the labels: data without forces gets zero force labels here.
                    labelled.add(f.hasForces() ? f : f.withLabels(f.energy(), new double[3 * f.numAtoms()]));
                    bare.add(f.withLabels(f.energy(), null));
                }
                withForces.add(NeighborList.batch(labelled, model.config().cutoff()));
                energiesOnly.add(NeighborList.batch(bare, model.config().cutoff()));
            }
            float energyNorm = 1f / batch;
            double[] a = new double[reps], e = new double[reps];
            for (int warm = 0; warm < 3; warm++) {
                Autograd.grad(Trainer.loss(model, withForces.get(warm), model.predict(withForces.get(warm), true), energyNorm, 1e-3f), params, false);
                Autograd.grad(Trainer.loss(model, energiesOnly.get(warm), model.predictEnergiesOnGraph(energiesOnly.get(warm)), energyNorm, 0f), params, false);
            }
            for (int r = 0; r < reps; r++) {
                GraphBatch g = withForces.get(r), h = energiesOnly.get(r);
                long t0 = cpu.getCurrentThreadCpuTime();
                Autograd.grad(Trainer.loss(model, g, model.predict(g, true), energyNorm, 1e-3f), params, false);
                long t1 = cpu.getCurrentThreadCpuTime();
                Autograd.grad(Trainer.loss(model, h, model.predictEnergiesOnGraph(h), energyNorm, 0f), params, false);
                long t2 = cpu.getCurrentThreadCpuTime();
                a[r] = (t1 - t0) / 1e6;
                e[r] = (t2 - t1) / 1e6;
            }
            double atoms = (double) data.totalAtoms() / data.size();
            System.out.printf(Locale.ROOT, "%-20s %9.1f %22s %22s %6.2fx%n", spec.length() > 20 ? "…" + spec.substring(spec.length() - 19) : spec,
                    atoms, range(a), range(e), median(a) / median(e));
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** "median [p10–p90]". */
    private static String range(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%.1f [%.1f–%.1f]", s[s.length / 2], s[s.length / 10], s[(9 * s.length) / 10]);
    }
}
