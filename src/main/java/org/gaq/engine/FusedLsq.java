package org.gaq.engine;

import org.gaq.engine.kernels.QuantizeKernels;
import org.gaq.tensor.GradMode;
import org.gaq.tensor.StraightThrough;
import org.gaq.tensor.Tensor;

/**
 * The LSQ activation quantizer of integer execution, x_q = round(clamp(x / s, Qn, Qp)) · s, as one op:
 * one pass forward and one pass backward ({@link QuantizeKernels#lsqForward}, {@link QuantizeKernels#lsqBackward})
 * instead of the four ops (div, clampMasked, roundSte, mul) and their backward rules that
 * {@link org.gaq.quant.LsqQuantizer#apply} records for training. Values and input gradients are bitwise those
 * of the composed ops. The step is a constant here: integer execution does not learn it, so no gradient
 * reaches it. Under {@code createGraph} (a gradient that must itself be differentiable) the backward is
 * written with tensor ops, as the composed ops' rules are. With {@code identityGradient} (the plan's
 * {@code Gradient.IDENTITY}) the backward passes the gradient through unchanged.
 */
final class FusedLsq {
    private FusedLsq() {}

    /**
     * One step per channel of the last axis ({@code steps.length} = x's last dimension; the per-channel
     * quantizers of {@code --per-channel}): plain loops, the same IEEE operations as the composed ops.
     */
    static Tensor apply(Tensor x, float[] steps, int qn, int qp, boolean identityGradient) {
        if (steps.length == 1) return apply(x, steps[0], qn, qp, identityGradient);
        int f = steps.length;
        if (x.dim(-1) != f) throw new IllegalArgumentException("input has " + x.dim(-1) + " channels, " + f + " steps");
        return StraightThrough.apply("lsq_fused_channels", new StraightThrough.CustomOp() {
            @Override
            public Tensor forward(Tensor[] inputs) {
                float[] xv = inputs[0].data(), out = new float[xv.length];
                for (int k = 0; k < xv.length; k++) {
                    float s = steps[k % f];
                    out[k] = (float) Math.rint(Math.min(qp, Math.max(qn, xv[k] / s))) * s;
                }
                return Tensor.of(out, inputs[0].shape());
            }

            @Override
            public Tensor[] backward(Tensor g, Tensor[] inputs, Tensor output) {
                if (identityGradient) return new Tensor[]{g};
                float[] xv = inputs[0].data(), mask = new float[xv.length];
                for (int k = 0; k < xv.length; k++) {
                    float t = xv[k] / steps[k % f];
                    mask[k] = t >= qn && t <= qp ? 1f : 0f;
                }
                Tensor s = Tensor.of(steps.clone(), f);
                if (GradMode.isEnabled()) return new Tensor[]{g.mul(s).mul(Tensor.of(mask, inputs[0].shape())).div(s)};
                float[] gv = g.data(), gx = new float[xv.length];
                for (int k = 0; k < xv.length; k++) gx[k] = gv[k] * steps[k % f] * mask[k] / steps[k % f];
                return new Tensor[]{Tensor.of(gx, inputs[0].shape())};
            }
        }, x);
    }

    static Tensor apply(Tensor x, float step, int qn, int qp, boolean identityGradient) {
        return StraightThrough.apply("lsq_fused", new StraightThrough.CustomOp() {
            @Override
            public Tensor forward(Tensor[] inputs) {
                float[] out = new float[inputs[0].size()];
                QuantizeKernels.lsqForward(inputs[0].data(), step, qn, qp, out, out.length);
                return Tensor.of(out, inputs[0].shape());
            }

            @Override
            public Tensor[] backward(Tensor g, Tensor[] inputs, Tensor output) {
                if (identityGradient) return new Tensor[]{g};
                float[] xv = inputs[0].data();
                if (GradMode.isEnabled()) {
                    float[] mask = new float[xv.length];
                    for (int k = 0; k < xv.length; k++) {
                        float t = xv[k] / step;
                        mask[k] = t >= qn && t <= qp ? 1f : 0f;
                    }
                    Tensor s = Tensor.of(new float[]{step}, 1);
                    return new Tensor[]{g.mul(s).mul(Tensor.of(mask, inputs[0].shape())).div(s)};
                }
                float[] gx = new float[xv.length];
                QuantizeKernels.lsqBackward(g.data(), xv, step, qn, qp, gx, gx.length);
                return new Tensor[]{Tensor.of(gx, inputs[0].shape())};
            }
        }, x);
    }
}
