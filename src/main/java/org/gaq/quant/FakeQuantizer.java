package org.gaq.quant;

import java.util.List;

import org.gaq.model.LocalFrames;
import org.gaq.tensor.Tensor;

/**
 * A differentiable quantize–dequantize op for quantization-aware training: the forward value is
 * exactly what integer inference would compute (dequantized back to float), the backward is a
 * straight-through estimate built from differentiable ops, so it can be differentiated again.
 */
public abstract class FakeQuantizer {
    /** Quantize–dequantize {@code x}. */
    public abstract Tensor apply(Tensor x);

    /**
     * Quantize–dequantize vector features {@code x} of atoms whose local frames are {@code frames} (null: none
     * known). Only a quantizer that works in the atoms' frames ({@link LocalFrameQuantizer}) reads them.
     */
    public Tensor apply(Tensor x, LocalFrames frames) {
        return apply(x);
    }

    /**
     * The same value as {@link #apply}, with the derivative in x the identity (to every order):
     * Q(x̄) + (x − x̄), x̄ = x detached. x − x̄ is exactly 0, so the value is Q(x) bit for bit; the learned
     * steps still get their gradient through Q(x̄).
     */
    public Tensor applyWithIdentityGradient(Tensor x) {
        return applyWithIdentityGradient(x, null);
    }

    /** {@link #applyWithIdentityGradient(Tensor)} of {@link #apply(Tensor, LocalFrames)}. */
    public Tensor applyWithIdentityGradient(Tensor x, LocalFrames frames) {
        Tensor constant = x.detach();
        Tensor q = apply(constant, frames);
        return q == constant ? x : q.add(x.sub(constant));
    }

    /** The learned tensors (step sizes); empty if nothing is learned. */
    public abstract List<Tensor> parameters();
}
