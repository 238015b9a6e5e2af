package org.gaq.quant;

import java.util.List;

import org.gaq.tensor.Tensor;

/**
 * A differentiable quantize–dequantize op for quantization-aware training: the forward value is
 * exactly what integer inference would compute (dequantized back to float), the backward is a
 * straight-through estimate built from differentiable ops, so it can be differentiated again.
 */
public interface FakeQuantizer {
    /** Quantize–dequantize {@code x}; the identity when disabled. */
    Tensor apply(Tensor x);

    /** The learned tensors (step sizes); empty if nothing is learned. */
    List<Tensor> parameters();

    boolean isEnabled();

    /** Disabled quantizers are the identity (e.g. the vector branch during the scalar-only warm-up). */
    void setEnabled(boolean enabled);
}
