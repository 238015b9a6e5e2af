package org.gaq.train.compiled;

import org.gaq.tensor.kernels.Matmul;

/** The products with a layer's weights W [in × out] in the four passes, on the calling thread. */
final class Products {
    private Products() {}

    /** y = x W. */
    static void forward(float[] x, float[] w, float[] y, int rows, int in, int out) {
        Matmul.multiplyOnThisThread(x, w, y, rows, in, out, false);
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
     * adjoint of its output).
     */
    static void weightGradient(float[] x, float[] eY, float[] dx, float[] gY, float[] grad, int rows, int in, int out) {
        if (rows == 0) return;
        Matmul.matmulTransAAdd(x, eY, grad, in, rows, out);
        Matmul.matmulTransAAdd(dx, gY, grad, in, rows, out);
    }

    /** b̄ += Σ_rows eY (a bias has no tangent part). */
    static void biasGradient(float[] eY, float[] grad, int rows, int out) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < out; c++) grad[c] += eY[r * out + c];
        }
    }
}
