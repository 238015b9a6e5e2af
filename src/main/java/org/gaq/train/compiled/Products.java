package org.gaq.train.compiled;

import org.gaq.tensor.kernels.Matmul;

/** The products with a layer's weights W [in × out] in the four passes, on the calling thread. */
final class Products {
    private Products() {}

    /** Outputs narrower than this (the heads) take dot products: column tiles would leave most lanes empty. */
    private static final int NARROW = 16;

    /** y = x W. */
    static void forward(float[] x, float[] w, float[] y, int rows, int in, int out) {
        Matmul.multiplyOnThisThread(x, w, y, rows, in, out, false);
    }

    /** y = x W for a narrow W (fewer than 16 outputs), given wt = Wᵀ [out × in]: dot products. */
    static void forwardNarrow(float[] x, float[] wt, float[] y, int rows, int in, int out) {
        Matmul.multiplyTransBOnThisThread(x, wt, y, rows, in, out, false);
    }

    /** y = x W + b. */
    static void forwardWithBias(float[] x, float[] w, float[] b, float[] y, int rows, int in, int out) {
        for (int r = 0; r < rows; r++) System.arraycopy(b, 0, y, r * out, out);
        Matmul.multiplyOnThisThread(x, w, y, rows, in, out, true);
    }

    /** dx += dy Wᵀ, with wt = Wᵀ [out × in]. */
    static void backwardAdd(float[] dy, float[] wt, float[] dx, int rows, int in, int out) {
        Matmul.multiplyOnThisThread(dy, wt, dx, rows, out, in, true);
    }

    /**
     * The ε-part of W̄ = xᵀȳ in dual numbers: W̄ += xᵀ eY + ẋᵀ gY (x + εẋ the product's input, gY + εeY the
     * adjoint of its output). x and ẋ are transposed into {@code scratch} (≥ in × rows) first, so that both products
     * run on the row-major tile kernel (reading x by columns ran at a few GFLOP/s).
     */
    static void weightGradient(float[] x, float[] eY, float[] dx, float[] gY, float[] grad, int rows, int in, int out, float[] scratch) {
        if (rows == 0) return;
        Matmul.transpose(x, rows, in, scratch);
        Matmul.multiplyOnThisThread(scratch, eY, grad, in, rows, out, true);
        Matmul.transpose(dx, rows, in, scratch);
        Matmul.multiplyOnThisThread(scratch, gY, grad, in, rows, out, true);
    }

    /** {@link #weightGradient} with x and ẋ given transposed ([in × rows]: the radial basis, shared by all layers). */
    static void weightGradientTransposed(float[] xT, float[] eY, float[] dxT, float[] gY, float[] grad, int rows, int in, int out, float[] scratch) {
        if (rows == 0) return;
        if (out >= NARROW) {
            Matmul.multiplyOnThisThread(xT, eY, grad, in, rows, out, true);
            Matmul.multiplyOnThisThread(dxT, gY, grad, in, rows, out, true);
            return;
        }
        // narrow outputs (the heads): dot products against the transposed adjoints [out × rows]
        Matmul.transpose(eY, rows, out, scratch);
        Matmul.multiplyTransBOnThisThread(xT, scratch, grad, in, rows, out, true);
        Matmul.transpose(gY, rows, out, scratch);
        Matmul.multiplyTransBOnThisThread(dxT, scratch, grad, in, rows, out, true);
    }

    /** b̄ += Σ_rows eY (a bias has no tangent part). */
    static void biasGradient(float[] eY, float[] grad, int rows, int out) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < out; c++) grad[c] += eY[r * out + c];
        }
    }
}
