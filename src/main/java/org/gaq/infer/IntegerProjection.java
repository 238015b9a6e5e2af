package org.gaq.infer;

import org.gaq.engine.IntegerLinear;

/**
 * Integer weights (int8 per output channel or packed int4 in groups, {@link IntegerLinear}): when the input is
 * a quantized activation the forward product runs on its integer codes in the integer kernels (native VNNI/AMX
 * or Java), y = s_x·s_w·Σ a·q with an exact int32 sum. A float input (MDDQ vectors, an FP32 radial basis) and
 * the reverse product use the dequantized weight, the same values, kept as FP32 beside the codes.
 */
public final class IntegerProjection implements Projection {
    private final IntegerLinear layer;
    private final Fp32Projection dequantized;   // the same weights in FP32: float inputs and the reverse product

    public IntegerProjection(IntegerLinear layer) {
        this.layer = layer;
        this.dequantized = new Fp32Projection(layer.dequantized(), layer.in(), layer.out());
    }

    @Override
    public int in() {
        return layer.in();
    }

    @Override
    public int out() {
        return layer.out();
    }

    @Override
    public void forward(float[] x, int rows, float[] y) {
        if (layer.integerInput()) layer.forwardInto(x, rows, y);
        else dequantized.forward(x, rows, y);
    }

    @Override
    public void backwardAdd(float[] dy, int rows, float[] dx) {
        dequantized.backwardAdd(dy, rows, dx);
    }

    @Override
    public float[] weights() {
        return dequantized.weights();
    }

    @Override
    public long residentBytes() {
        return layer.residentBytes() + dequantized.residentBytes();
    }

    /** 8 or 4. */
    public int bits() {
        return layer.bits();
    }
}
