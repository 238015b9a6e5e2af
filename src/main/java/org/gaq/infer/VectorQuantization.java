package org.gaq.infer;

import org.gaq.engine.FusedMddq;

/**
 * What the engine does at a vector activation site [N, 3, F]: nothing ({@link None}) or MDDQ
 * ({@link Mddq}: Q(h) = Q_r(‖h‖) · Q_d(ĥ)/‖Q_d(ĥ)‖, docs/quantization.md), run by the fused kernel of
 * integer execution ({@link FusedMddq}), whose backward is the tape's derivative of the composed ops.
 */
sealed interface VectorQuantization permits VectorQuantization.None, VectorQuantization.Mddq {

    /** out = Q(v) for n atoms of f channels. */
    void forward(float[] v, float[] out, int n, int f);

    /** gIn = ∂E/∂v given gOut = ∂E/∂Q(v) (gIn and gOut distinct arrays); scratch has FusedMddq.SCRATCH_LENGTH floats. */
    void backward(float[] gOut, float[] v, float[] gIn, int n, int f, float[] scratch);

    boolean isIdentity();

    record None() implements VectorQuantization {
        @Override
        public void forward(float[] v, float[] out, int n, int f) {}

        @Override
        public void backward(float[] gOut, float[] v, float[] gIn, int n, int f, float[] scratch) {
            System.arraycopy(gOut, 0, gIn, 0, n * 3 * f);
        }

        @Override
        public boolean isIdentity() {
            return true;
        }
    }

    /** Magnitude steps per channel (one repeated when the quantizer has one), code range, direction levels 1/δ. */
    record Mddq(float[] magnitudeSteps, float qn, float qp, float levels, boolean identityGradient) implements VectorQuantization {
        @Override
        public void forward(float[] v, float[] out, int n, int f) {
            FusedMddq.pass(v, null, out, n, f, magnitudeSteps, qn, qp, levels, null);
        }

        @Override
        public void backward(float[] gOut, float[] v, float[] gIn, int n, int f, float[] scratch) {
            if (identityGradient) System.arraycopy(gOut, 0, gIn, 0, n * 3 * f);
            else FusedMddq.pass(v, gOut, gIn, n, f, magnitudeSteps, qn, qp, levels, scratch);
        }

        @Override
        public boolean isIdentity() {
            return false;
        }
    }
}
