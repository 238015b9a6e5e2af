package org.gaq.quant;

import java.util.List;

import org.gaq.tensor.Tensor;

/**
 * The naive baseline for vector features [N, 3, F]: each Cartesian component x, y, z quantized
 * on its own with one shared signed LSQ step, h_q = round(clamp(h/s, ±Qp))·s. It is not
 * rotation-equivariant (the grid is fixed to the axes) and a short vector whose components are all
 * below s/2 collapses to zero — what {@link MddqQuantizer} avoids.
 */
public final class ComponentwiseVectorQuantizer extends FakeQuantizer {
    private final LsqQuantizer components;

    public ComponentwiseVectorQuantizer(int bits, double initialStep) {
        this.components = LsqQuantizer.signed(bits, initialStep);
    }

    @Override
    public Tensor apply(Tensor h) {
        MddqQuantizer.requireVectorShape(h, "ComponentwiseVectorQuantizer");
        return components.apply(h);
    }

    /** The underlying scalar quantizer (its step is this quantizer's only parameter). */
    public LsqQuantizer components() {
        return components;
    }

    @Override
    public List<Tensor> parameters() {
        return components.parameters();
    }
}
