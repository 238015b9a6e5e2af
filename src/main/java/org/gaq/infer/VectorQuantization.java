package org.gaq.infer;

import org.gaq.engine.FusedMddq;

/**
 * What the engine does at a vector activation site [N, 3, F]: nothing ({@link None}), MDDQ
 * ({@link Mddq}: Q(h) = Q_r(‖h‖) · Q_d(ĥ)/‖Q_d(ĥ)‖, docs/quantization.md), run by the fused kernel of
 * integer execution ({@link FusedMddq}), whose backward is the tape's derivative of the composed ops, or MDDQ in
 * each atom's local frame ({@link LocalFrameMddq}: Eᵀ·MDDQ(E·h), the frames E from the workspace).
 */
sealed interface VectorQuantization permits VectorQuantization.None, VectorQuantization.Mddq, VectorQuantization.LocalFrameMddq {

    /** out = Q(v) for n atoms of f channels (out distinct from v). */
    void forward(float[] v, float[] out, int n, int f, Workspace ws);

    /** gIn = ∂E/∂v given gOut = ∂E/∂Q(v) (gIn and gOut distinct arrays). */
    void backward(float[] gOut, float[] v, float[] gIn, int n, int f, Workspace ws);

    boolean isIdentity();

    record None() implements VectorQuantization {
        @Override
        public void forward(float[] v, float[] out, int n, int f, Workspace ws) {}

        @Override
        public void backward(float[] gOut, float[] v, float[] gIn, int n, int f, Workspace ws) {
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
        public void forward(float[] v, float[] out, int n, int f, Workspace ws) {
            FusedMddq.pass(v, null, out, n, f, magnitudeSteps, qn, qp, levels, null);
        }

        @Override
        public void backward(float[] gOut, float[] v, float[] gIn, int n, int f, Workspace ws) {
            if (identityGradient) System.arraycopy(gOut, 0, gIn, 0, n * 3 * f);
            else FusedMddq.pass(v, gOut, gIn, n, f, magnitudeSteps, qn, qp, levels, ws.mddqScratch);
        }

        @Override
        public boolean isIdentity() {
            return false;
        }
    }

    /**
     * {@link Mddq} on the coordinates of each atom's vectors in its local frame E (rows e1, e2, e3,
     * {@link org.gaq.model.LocalFrames}): Q(v) = Eᵀ·MDDQ(E·v), two 3×3 products per atom and channel. The frame is a
     * constant of the reverse pass: ∂E/∂v = Eᵀ·MDDQ'ᵀ(E·∂E/∂Q), and the identity when the gradient is the identity.
     */
    record LocalFrameMddq(Mddq mddq) implements VectorQuantization {
        @Override
        public void forward(float[] v, float[] out, int n, int f, Workspace ws) {
            float[] e = ws.localFrames();
            FrameRotation.toFrame(e, v, ws.frameIn, n, f);
            mddq.forward(ws.frameIn, ws.frameOut, n, f, ws);
            FrameRotation.fromFrame(e, ws.frameOut, out, n, f);
        }

        @Override
        public void backward(float[] gOut, float[] v, float[] gIn, int n, int f, Workspace ws) {
            if (mddq.identityGradient()) {
                System.arraycopy(gOut, 0, gIn, 0, n * 3 * f);
                return;
            }
            float[] e = ws.localFrames();
            FrameRotation.toFrame(e, v, ws.frameIn, n, f);
            FrameRotation.toFrame(e, gOut, ws.frameOut, n, f);
            mddq.backward(ws.frameOut, ws.frameIn, ws.frameGrad, n, f, ws);
            FrameRotation.fromFrame(e, ws.frameGrad, gIn, n, f);
        }

        @Override
        public boolean isIdentity() {
            return false;
        }
    }
}
