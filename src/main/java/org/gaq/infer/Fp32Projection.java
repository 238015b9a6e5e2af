package org.gaq.infer;

import org.gaq.tensor.kernels.Matmul;

/**
 * FP32 weights: W for the forward product and Wᵀ for the reverse one, both made once, so every product is a
 * row-major GEMM with column tiles (or dot products when the output is narrower than a vector tile).
 */
public final class Fp32Projection implements Projection {
    /**
     * Column tiles are 64 or 32 floats wide: a product whose output width is a multiple of 32 runs on whole
     * tiles, any other on dot products (masked tail tiles lose their vectorisation here).
     */
    private static final int PAIR = 32;

    private final int in, out;
    private final float[] w;    // [in × out]
    private final float[] wt;   // [out × in]

    public Fp32Projection(float[] weight, int in, int out) {
        if (weight.length != in * out) throw new IllegalArgumentException("weight has " + weight.length + " values, not " + in + "×" + out);
        this.in = in;
        this.out = out;
        this.w = weight.clone();
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
        if (out % PAIR != 0) Matmul.multiplyTransBOnThisThread(x, wt, y, rows, in, out, false);
        else Matmul.multiplyOnThisThread(x, w, y, rows, in, out, false);
    }

    /** The rows of y start as b and the product adds to them (one pass over y instead of two). */
    @Override
    public void forwardWithBias(float[] x, int rows, float[] bias, float[] y) {
        if (out % PAIR != 0) {
            Projection.super.forwardWithBias(x, rows, bias, y);
            return;
        }
        for (int r = 0; r < rows; r++) System.arraycopy(bias, 0, y, r * out, out);
        Matmul.multiplyOnThisThread(x, w, y, rows, in, out, true);
    }

    @Override
    public void backwardAdd(float[] dy, int rows, float[] dx) {
        if (in % PAIR != 0) Matmul.multiplyTransBOnThisThread(dy, w, dx, rows, out, in, true);
        else Matmul.multiplyOnThisThread(dy, wt, dx, rows, out, in, true);
    }

    @Override
    public float[] weights() {
        return w.clone();
    }

    @Override
    public long residentBytes() {
        return 8L * in * out;
    }
}
