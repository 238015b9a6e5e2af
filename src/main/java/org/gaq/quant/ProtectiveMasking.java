package org.gaq.quant;

import org.gaq.data.GraphBatch;
import org.gaq.tensor.Tensor;

import java.util.SplittableRandom;
import java.util.Arrays;

/**
 * Degree-Quant's protective masking (Tailor, Fernandez-Marques and Lane, ICLR 2021), the baseline of
 * issue #4: during quantization-aware training each atom is, with probability
 * <pre>
 *   p_i = p_min + (p_max − p_min) · rank(deg_i),   rank = (#{j: deg_j &lt; deg_i} + ½·#{j ≠ i: deg_j = deg_i}) / (N − 1)
 * </pre>
 * left in full precision at every node-level site for that forward pass, so high-degree atoms (whose
 * aggregated messages have the widest ranges) are quantized less often while the ranges are learned.
 * At evaluation nothing is masked. Edge-level sites (the radial basis) are always quantized.
 *
 * <p>The mask belongs to the thread running a batch (the trainer's workers run batches in parallel),
 * set by {@link #begin} and cleared by {@link #end}.
 */
public final class ProtectiveMasking {
    private final double pMin, pMax;
    private final ThreadLocal<float[]> keepFullPrecision = new ThreadLocal<>();

    public ProtectiveMasking(double pMin, double pMax) {
        if (!(0 <= pMin && pMin <= pMax && pMax <= 1)) throw new IllegalArgumentException("need 0 ≤ p_min ≤ p_max ≤ 1, got " + pMin + ", " + pMax);
        this.pMin = pMin;
        this.pMax = pMax;
    }

    /** Probability that each atom of {@code g} is protected, from its degree (number of edges i ← j). */
    public double[] probabilities(GraphBatch g) {
        int n = g.numAtoms();
        int[] degree = new int[n];
        for (int c : g.center()) degree[c]++;
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
            double below = 0;
            for (int j = 0; j < n; j++) {
                if (j == i) continue;
                if (degree[j] < degree[i]) below += 1;
                else if (degree[j] == degree[i]) below += 0.5;
            }
            double rank = n > 1 ? below / (n - 1) : 0.5;
            p[i] = pMin + (pMax - pMin) * rank;
        }
        return p;
    }

    /** Draws this thread's mask for the atoms of {@code g}. */
    public void begin(GraphBatch g, SplittableRandom rng) {
        double[] p = probabilities(g);
        float[] keep = new float[p.length];
        for (int i = 0; i < p.length; i++) keep[i] = rng.nextDouble() < p[i] ? 1f : 0f;
        keepFullPrecision.set(keep);
    }

    public void end() {
        keepFullPrecision.remove();
    }

    /**
     * {@code quantized} with the protected atoms' rows replaced by {@code x}: q + keep·(x − q). Tensors
     * whose first axis is not the atoms (edge features), and every tensor outside {@link #begin}/{@link #end},
     * are returned quantized.
     */
    Tensor protect(Tensor x, Tensor quantized) {
        float[] keep = keepFullPrecision.get();
        if (keep == null || x.dim(0) != keep.length) return quantized;
        int[] shape = new int[x.rank()];
        Arrays.fill(shape, 1);
        shape[0] = keep.length;
        return quantized.add(Tensor.of(keep, shape).mul(x.sub(quantized)));
    }
}
