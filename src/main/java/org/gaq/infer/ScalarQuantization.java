package org.gaq.infer;

import org.gaq.engine.kernels.QuantizeKernels;

/**
 * What the engine does at a scalar activation site: nothing ({@link None}) or LSQ fake/integer quantization
 * ({@link Lsq}). The forward writes the site's output beside its input (the reverse pass needs the input for
 * the clipped straight-through gradient); the backward turns ∂E/∂output into ∂E/∂input in place.
 */
sealed interface ScalarQuantization permits ScalarQuantization.None, ScalarQuantization.Lsq {

    /** out[k] = Q(x[k]) for k &lt; n; with {@link None} out is x itself and nothing is written. */
    void forward(float[] x, float[] out, int n);

    /** g[k] ← g[k]·∂Q/∂x at x[k], for k &lt; n. */
    void backward(float[] g, float[] x, int n);

    /** True when the output is the input (callers then skip the copy and use x). */
    boolean isIdentity();

    /** An FP32 site. */
    record None() implements ScalarQuantization {
        @Override
        public void forward(float[] x, float[] out, int n) {}

        @Override
        public void backward(float[] g, float[] x, int n) {}

        @Override
        public boolean isIdentity() {
            return true;
        }
    }

    /**
     * x_q = round(clamp(x / s, Qn, Qp)) · s, one step or one per channel of the last axis (s[k mod steps]).
     * The derivative is the straight-through one: 1 inside [Qn, Qp]·s and 0 outside (clipped), or 1 everywhere
     * ({@code identityGradient}, the plan's {@code Gradient.IDENTITY}).
     */
    record Lsq(float[] steps, int qn, int qp, boolean identityGradient) implements ScalarQuantization {
        @Override
        public void forward(float[] x, float[] out, int n) {
            if (steps.length == 1) QuantizeKernels.lsqForward(x, steps[0], qn, qp, out, n);
            else QuantizeKernels.lsqForwardChannels(x, steps, qn, qp, out, n);
        }

        @Override
        public void backward(float[] g, float[] x, int n) {
            if (identityGradient) return;
            int c = steps.length;
            for (int k = 0; k < n; k++) {
                float t = x[k] / steps[k % c];
                if (!(t >= qn && t <= qp)) g[k] = 0f;
            }
        }

        @Override
        public boolean isIdentity() {
            return false;
        }
    }
}
