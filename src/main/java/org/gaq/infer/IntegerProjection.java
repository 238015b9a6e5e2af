package org.gaq.infer;

import org.gaq.engine.IntegerLinear;
import org.gaq.tensor.kernels.Matmul;

/**
 * Integer weights (int8 per output channel or packed int4 in groups, {@link IntegerLinear}): when the input is
 * a quantized activation the forward product runs on its integer codes in the integer kernels (native VNNI/AMX
 * or Java), y = s_x·s_w·Σ a·q with an exact int32 sum. A float input (MDDQ vectors, an FP32 radial basis) and
 * the reverse product use the dequantized weight, the same values, kept as FP32 beside the codes.
 */
public final class IntegerProjection implements Projection {
    private final IntegerLinear layer;
    private final int in, out;
    private final float[] w;    // dequantized [in × out], for a float input
    private final float[] wt;   // dequantized [out × in], for the reverse product

    public IntegerProjection(IntegerLinear layer) {
        this.layer = layer;
        this.in = layer.in();
        this.out = layer.out();
        this.w = layer.dequantized();
        this.wt = new float[in * out];
        Matmul.transpose(w, in, out, wt);
    }

    @Override
    public int in() {
        return in;
    }

    @Override
    public int out() {
        return out;
    }

    @Override
    public void forward(float[] x, int rows, float[] y) {
        if (layer.integerInput()) layer.forwardInto(x, rows, y);
        else if (out % 32 != 0) Matmul.multiplyTransBOnThisThread(x, wt, y, rows, in, out, false);
        else Matmul.multiplyOnThisThread(x, w, y, rows, in, out, false);
    }

    @Override
    public void backwardAdd(float[] dy, int rows, float[] dx) {
        if (in % 32 != 0) Matmul.multiplyTransBOnThisThread(dy, w, dx, rows, out, in, true);
        else Matmul.multiplyOnThisThread(dy, wt, dx, rows, out, in, true);
    }

    @Override
    public long residentBytes() {
        return layer.residentBytes() + 8L * in * out;
    }

    /** 8 or 4. */
    public int bits() {
        return layer.bits();
    }
}
