package org.gaq.train;

import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.infer.Potential;
import org.gaq.infer.TapePotential;
import org.gaq.model.EquivariantTransformer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;

/**
 * The evaluation protocol of the design notes §2 and §4: energy MAE (meV), force MAE over every
 * Cartesian component (meV/Å), and the local equivariance error LEE = mean over atoms of
 * ‖F(R·x) − R·F(x)‖ (meV/Å) under a random rotation R per frame.
 */
public final class Metrics {
    private Metrics() {}

    /**
     * {@code frameForceMaeMeVPerA}: each frame's force MAE over its Cartesian components, in data order
     * (the per-structure error distribution; empty when the data has no forces, and then the force errors are NaN).
     */
    public record Result(int frames, double energyMaeMeV, double forceMaeMeVPerA, double energyRmseMeV,
                         double forceRmseMeVPerA, double leeMeVPerA, double[] frameForceMaeMeVPerA) {
        /** True if force errors were measured (the data has force labels); energy-only data (QM9) has none. */
        public boolean hasForces() {
            return frameForceMaeMeVPerA.length > 0;
        }
    }

    /** One batch's sums ([frames, force components, Σ|ΔE|, Σ|ΔF|, ΣΔE², ΣΔF², rotated atoms, Σ LEE]) and per-frame force MAEs. */
    record BatchSums(double[] sums, double[] frameForceMae) {}

    /** Evaluates {@code data} on a pool of {@code threads} worker threads of its own (see the pool variant). */
    public static Result evaluate(Potential model, Dataset data, int batchSize, int leeRotations,
                                  long seed, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            return evaluate(model, data, batchSize, leeRotations, seed, pool);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Evaluates {@code data} in batches of {@code batchSize} on {@code pool} (null: this thread).
     * With {@code leeRotations} &gt; 0 each frame is also rotated that many times for the LEE.
     */
    public static Result evaluate(EquivariantTransformer model, Dataset data, int batchSize, int leeRotations,
                                  long seed, ExecutorService pool) throws Exception {
        return evaluate(new TapePotential(model), data, batchSize, leeRotations, seed, pool);
    }

    /** {@link #evaluate(EquivariantTransformer, Dataset, int, int, long, ExecutorService)} on any engine. */
    public static Result evaluate(Potential model, Dataset data, int batchSize, int leeRotations,
                                  long seed, ExecutorService pool) throws Exception {
        List<List<Frame>> batches = new ArrayList<>();
        for (int s = 0; s < data.size(); s += batchSize) batches.add(data.frames().subList(s, Math.min(data.size(), s + batchSize)));
        List<Future<BatchSums>> parts = new ArrayList<>();
        List<BatchSums> done = new ArrayList<>();
        for (int b = 0; b < batches.size(); b++) {
            List<Frame> frames = batches.get(b);
            long batchSeed = seed * 1_000_003L + b;
            if (pool != null) parts.add(pool.submit(() -> evaluateBatch(model, frames, leeRotations, batchSeed)));
            else done.add(evaluateBatch(model, frames, leeRotations, batchSeed));
        }
        for (Future<BatchSums> f : parts) done.add(f.get());   // batches in data order (pool or not)
        double[] t = new double[8];
        double[] perFrame = new double[data.size()];
        int frame = 0;
        for (BatchSums d : done) {
            for (int i = 0; i < t.length; i++) t[i] += d.sums()[i];
            System.arraycopy(d.frameForceMae(), 0, perFrame, frame, d.frameForceMae().length);
            frame += d.frameForceMae().length;
        }
        double nE = t[0], nF = t[1], nRotatedAtoms = t[6];
        return new Result((int) nE, 1000 * t[2] / nE, 1000 * t[3] / nF, 1000 * Math.sqrt(t[4] / nE),
                1000 * Math.sqrt(t[5] / nF), nRotatedAtoms > 0 ? 1000 * t[7] / nRotatedAtoms : Double.NaN,
                nF > 0 ? perFrame : new double[0]);
    }

    /**
     * {@code data} with its energies and forces replaced by {@code reference}'s predictions (batches of
     * {@code batchSize}), so that {@link #evaluate} measures one model against another: a quantized model against
     * its FP32 parent gives the error that quantization adds, free of the parent's own error against the labels.
     */
    public static Dataset relabelled(EquivariantTransformer reference, Dataset data, int batchSize) {
        return relabelled(new TapePotential(reference), data, batchSize);
    }

    /** {@link #relabelled(EquivariantTransformer, Dataset, int)} on any engine. */
    public static Dataset relabelled(Potential reference, Dataset data, int batchSize) {
        List<Frame> out = new ArrayList<>(data.size());
        for (int s = 0; s < data.size(); s += batchSize) {
            List<Frame> frames = data.frames().subList(s, Math.min(data.size(), s + batchSize));
            var pred = reference.compute(NeighborList.batch(frames, reference.config().cutoff()), true);
            double[] e = pred.energies();
            float[] f = pred.forces();
            int component = 0;
            for (int m = 0; m < frames.size(); m++) {
                double[] forces = new double[3 * frames.get(m).numAtoms()];
                for (int i = 0; i < forces.length; i++) forces[i] = f[component + i];
                component += forces.length;
                out.add(frames.get(m).withLabels(e[m], forces));
            }
        }
        return new Dataset(data.name() + " labelled by a reference model", out);
    }

    /** Sums and per-frame force MAEs (meV/Å) for one batch. */
    static BatchSums evaluateBatch(Potential model, List<Frame> frames, int leeRotations, long seed) {
        double cutoff = model.config().cutoff();
        GraphBatch g = NeighborList.batch(frames, cutoff);
        var pred = model.compute(g, g.forces() != null || leeRotations > 0);   // energy-only data, no LEE: no force pass
        double[] e = pred.energies();
        float[] f = pred.forces();
        double[] out = new double[8];
        double[] frameForceMae = new double[frames.size()];
        out[0] = frames.size();
        for (int m = 0; m < frames.size(); m++) {
            double d = e[m] - g.energies()[m];
            out[2] += Math.abs(d);
            out[4] += d * d;
        }
        if (g.forces() != null) {
            out[1] = f.length;
            int component = 0;
            for (int m = 0; m < frames.size(); m++) {
                int n = 3 * frames.get(m).numAtoms();
                double frameSum = 0;
                for (int i = component; i < component + n; i++) {
                    double d = f[i] - g.forces()[i];
                    frameSum += Math.abs(d);
                    out[5] += d * d;
                }
                out[3] += frameSum;
                frameForceMae[m] = 1000 * frameSum / n;
                component += n;
            }
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int r = 0; r < leeRotations; r++) {
            List<Frame> rotated = new ArrayList<>();
            List<double[]> rotations = new ArrayList<>();
            for (Frame fr : frames) {
                double[] rot = Rotations.random(rng);
                rotations.add(rot);
                rotated.add(fr.withPositions(Rotations.apply(rot, fr.positions())));
            }
            float[] fr = model.compute(NeighborList.batch(rotated, cutoff), true).forces();
            int atom = 0;
            for (int m = 0; m < frames.size(); m++) {
                double[] rot = rotations.get(m);
                for (int i = 0; i < frames.get(m).numAtoms(); i++, atom++) {
                    double ss = 0;
                    for (int a = 0; a < 3; a++) {
                        double expected = rot[3 * a] * f[3 * atom] + rot[3 * a + 1] * f[3 * atom + 1] + rot[3 * a + 2] * f[3 * atom + 2];
                        double d = fr[3 * atom + a] - expected;
                        ss += d * d;
                    }
                    out[7] += Math.sqrt(ss);
                    out[6]++;
                }
            }
        }
        return new BatchSums(out, frameForceMae);
    }
}
