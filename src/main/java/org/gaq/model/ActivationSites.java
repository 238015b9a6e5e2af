package org.gaq.model;

import org.gaq.tensor.Tensor;

/**
 * The places in the model where quantization may act: every scalar (ℓ = 0) activation that feeds a
 * quantized linear map, every vector (ℓ = 1) activation, and every weight matrix of a quantized
 * layer. The model calls these hooks and uses what they return; the default returns its input, so
 * the same model definition serves FP32 training, fake-quantized training (a
 * {@code org.gaq.quant.QuantizationPlan}) and, later, integer execution.
 *
 * <p>Site names are stable strings such as {@code layers.3.scalar_in} (see docs/quantization.md).
 * The embedding (first) and energy head (last) never pass through here: they stay FP32.
 */
public interface ActivationSites {
    /** A scalar activation [.., F] at {@code site}. */
    default Tensor scalar(String site, Tensor x) {
        return x;
    }

    /** A vector activation [N, 3, F] (a 3-vector per channel) at {@code site}. */
    default Tensor vector(String site, Tensor v) {
        return v;
    }

    /**
     * A vector activation [N, 3, F] at {@code site}, with the atoms' local frames at hand for quantizers that work
     * in them (the model calls this one; the frames are computed only if a site asks for them).
     */
    default Tensor vector(String site, Tensor v, LocalFrames frames) {
        return vector(site, v);
    }

    /** The weight matrix [in, out] named {@code name}, as the layer should use it. */
    default Tensor weight(String name, Tensor w) {
        return w;
    }

    /**
     * x · W[:, third] for a weight the model does not hold itself ({@code third} 0, 1 or 2 selects a
     * third of W's columns, −1 all of them): integer layers, which keep only their codes and scales,
     * compute it. Sites that leave the weights with the model never get this call.
     */
    default Tensor project(String weightName, int third, Tensor x) {
        throw new IllegalStateException("the model has no weight " + weightName + " and these sites do not provide it");
    }

    /** No quantization anywhere: the FP32 model. */
    ActivationSites FP32 = new ActivationSites() {};
}
