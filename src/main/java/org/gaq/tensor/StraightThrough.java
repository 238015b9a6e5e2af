package org.gaq.tensor;

/**
 * Ops whose gradient is not the derivative of their forward: the building blocks of
 * quantization-aware training (straight-through rounding, clamping that masks the gradient,
 * gradient scaling for learned step sizes) and user-defined ops with a hand-written backward.
 */
public final class StraightThrough {
    private StraightThrough() {}

    /** A user-defined op: {@code forward} sees constant inputs; {@code backward} must use differentiable ops. */
    public interface CustomOp {
        Tensor forward(Tensor[] inputs);

        /** Gradients for each input given dL/d(output); {@code output} is the op's result on the graph. */
        Tensor[] backward(Tensor gradOutput, Tensor[] inputs, Tensor output);
    }

    public static Tensor apply(String name, CustomOp op, Tensor... inputs) {
        Tensor[] constants = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) constants[i] = inputs[i].detach();
        Tensor value;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            value = op.forward(constants);
        }
        Tensor[] self = new Tensor[1];
        self[0] = Tensor.result(value.data, value.shape, name, g -> op.backward(g, inputs, self[0]), inputs);
        return self[0];
    }

    /** Round to nearest (ties to even) forward; identity backward (the straight-through estimator). */
    public static Tensor roundSte(Tensor a) {
        float[] out = new float[a.data.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) Math.rint(a.data[i]);
        return Tensor.result(out, a.shape, "roundSte", g -> new Tensor[]{g}, a);
    }

    /** Clamp to [lo, hi] forward; backward passes the gradient only where lo ≤ a ≤ hi. */
    public static Tensor clampMasked(Tensor a, float lo, float hi) {
        float[] out = new float[a.data.length];
        float[] mask = new float[a.data.length];
        for (int i = 0; i < out.length; i++) {
            float x = a.data[i];
            out[i] = Math.min(hi, Math.max(lo, x));
            mask[i] = x >= lo && x <= hi ? 1f : 0f;
        }
        Tensor maskT = Tensor.of(mask, a.shape);
        return Tensor.result(out, a.shape, "clampMasked", g -> new Tensor[]{g.mul(maskT)}, a);
    }

    /** Identity forward; multiplies the gradient by {@code factor} (LSQ's step-size gradient scale). */
    public static Tensor scaleGrad(Tensor a, float factor) {
        return Tensor.result(a.data, a.shape, "scaleGrad", g -> new Tensor[]{g.mul(factor)}, a);
    }
}
