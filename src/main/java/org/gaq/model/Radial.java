package org.gaq.model;

import org.gaq.tensor.Tensor;

/**
 * Distance features of an edge: the cosine cutoff φ(d) and the PhysNet radial basis. The basis's centres, width and
 * flush threshold are public so that the array-level geometry ({@link EdgeGeometry}) computes the same basis.
 */
public final class Radial {
    private Radial() {}

    /** φ(d) = ½ (cos(π d / r_c) + 1) for d < r_c, else 0; smooth to first order at r_c. */
    static Tensor cosineCutoff(Tensor d, double cutoff) {
        float[] inside = new float[d.size()];
        float[] dv = d.data();
        for (int i = 0; i < inside.length; i++) inside[i] = dv[i] < cutoff ? 1f : 0f;
        return d.mul((float) (Math.PI / cutoff)).cos().add(1f).mul(0.5f).mul(Tensor.of(inside, d.shape()));
    }

    /**
     * rbf_k(d) = exp(−β (e^{−d} − μ_k)²), μ = linspace(e^{−r_c}, 1, K), β = ((2/K)(1 − e^{−r_c}))^{−2}.
     * d is [E,1]; the result is [E,K].
     */
    static Tensor physNet(Tensor d, int k, double cutoff) {
        float[] mu = centres(k, cutoff);
        float beta = width(k, cutoff);
        Tensor exponent = d.neg().exp().sub(Tensor.of(mu, k)).square().mul(-beta);
        return exponent.exp().mul(notNegligible(exponent));
    }

    /** μ = linspace(e^{−r_c}, 1, K): the basis's centres in e^{−d}. */
    public static float[] centres(int k, double cutoff) {
        float[] mu = new float[k];
        double lo = Math.exp(-cutoff);
        for (int i = 0; i < k; i++) mu[i] = (float) (lo + (1.0 - lo) * i / (k - 1));
        return mu;
    }

    /** β = ((2/K)(1 − e^{−r_c}))^{−2}: the basis's inverse squared width. */
    public static float width(int k, double cutoff) {
        return (float) Math.pow((2.0 / k) * (1.0 - Math.exp(-cutoff)), -2);
    }

    /** Below this a basis value changes no float sum it enters; the compiled engine flushes at the same value. */
    public static final float NEGLIGIBLE = 1e-20f;

    /**
     * 1 where e^x ≥ {@link #NEGLIGIBLE}, else 0: the far tails of the Gaussians are subnormal floats, and every
     * product with them (the radial filters and their gradients, forward and backward) takes the CPU's slow
     * microcode path (docs/performance.md, "Training step").
     */
    private static Tensor notNegligible(Tensor exponent) {
        float limit = (float) Math.log(NEGLIGIBLE);
        float[] x = exponent.data(), mask = new float[x.length];
        for (int i = 0; i < x.length; i++) mask[i] = x[i] >= limit ? 1f : 0f;
        return Tensor.of(mask, exponent.shape());
    }
}
