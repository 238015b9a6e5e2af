package org.gaq.engine;

import org.gaq.model.ActivationSites;
import org.gaq.model.LocalFrames;
import org.gaq.quant.FakeQuantizer;
import org.gaq.quant.LocalFrameQuantizer;
import org.gaq.quant.LsqQuantizer;
import org.gaq.quant.MddqQuantizer;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.gaq.tensor.Tensor;

import java.util.Map;

/**
 * Integer execution of the model (the third concept next to observers and fake-quantizers): the
 * activation sites quantize exactly as the QAT model's {@link QuantizationPlan} did, and every product
 * with a quantized weight runs in an {@link IntegerLinear}, which holds the weight's codes; the model
 * itself keeps only its FP32 parameters (embedding, norms, biases, attention temperatures, energy head).
 */
public final class IntegerSites implements ActivationSites {
    private final QuantizationPlan activations;
    private final Map<String, IntegerLinear> layers;

    public IntegerSites(QuantizationPlan activations, Map<String, IntegerLinear> layers) {
        this.activations = activations;
        this.layers = Map.copyOf(layers);
    }

    @Override
    public Tensor scalar(String site, Tensor x) {
        LsqQuantizer q = activations.plainScalarQuantizer(site);
        return q == null ? activations.scalar(site, x) : FusedLsq.apply(x, q.stepValues(), q.qn(), q.qp(), identityGradient());
    }

    @Override
    public Tensor vector(String site, Tensor v) {
        return vector(site, v, null);
    }

    @Override
    public Tensor vector(String site, Tensor v, LocalFrames frames) {
        FakeQuantizer quantizer = activations.plainVectorQuantizer(site);
        if (quantizer instanceof MddqQuantizer q && fusable(q, v)) return FusedMddq.apply(v, q, identityGradient());
        if (quantizer instanceof LocalFrameQuantizer q && frames != null && fusable(q.mddq(), v)) {
            return q.inFrames(v, frames, local -> FusedMddq.apply(local, q.mddq(), identityGradient()));
        }
        return activations.vector(site, v, frames);
    }

    /** True if the fused kernel computes what {@code q} computes on {@code v}. */
    private static boolean fusable(MddqQuantizer q, Tensor v) {
        return !q.geometricSte() && q.magnitude().bits() != LsqQuantizer.FULL_PRECISION
                && (q.magnitude().channels() == 1 || q.magnitude().channels() == v.dim(2))
                && q.directionBits() != LsqQuantizer.FULL_PRECISION && v.rank() == 3 && v.dim(1) == 3;
    }

    @Override
    public Tensor project(String weightName, int third, Tensor x) {
        IntegerLinear layer = layers.get(weightName);
        if (layer == null) throw new IllegalStateException("no integer layer for weight " + weightName);
        return layer.apply(third, x);
    }

    private boolean identityGradient() {
        return activations.spec().gradient() == QuantizationSpec.Gradient.IDENTITY;
    }

    public QuantizationPlan activations() {
        return activations;
    }

    public Map<String, IntegerLinear> layers() {
        return layers;
    }

    /** Weight bytes held by the integer layers. */
    public long residentWeightBytes() {
        long b = 0;
        for (IntegerLinear l : layers.values()) b += l.residentBytes();
        return b;
    }
}
