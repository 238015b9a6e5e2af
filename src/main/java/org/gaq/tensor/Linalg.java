package org.gaq.tensor;

import org.gaq.tensor.kernels.Matmul;

/**
 * Matrix products. The three layouts are closed under differentiation:
 * for C = A·B:  dA = G·Bᵀ (matmulNT), dB = Aᵀ·G (matmulTN); the backward of each is again one of the three.
 */
public final class Linalg {
    private Linalg() {}

    /** C[m×n] = A[m×k] · B[k×n]. */
    public static Tensor matmul(Tensor a, Tensor b) {
        check(a, b, 1, 0, "matmul");
        int m = a.shape[0], k = a.shape[1], n = b.shape[1];
        float[] out = new float[m * n];
        Matmul.matmul(a.data, b.data, out, m, k, n);
        return Tensor.result(out, new int[]{m, n}, "matmul", g -> new Tensor[]{
                Autograd.needsGradient(a) ? matmulNT(g, b) : null,
                Autograd.needsGradient(b) ? matmulTN(a, g) : null}, a, b);
    }

    /** C[m×n] = A[m×k] · B[n×k]ᵀ. */
    public static Tensor matmulNT(Tensor a, Tensor b) {
        check(a, b, 1, 1, "matmulNT");
        int m = a.shape[0], k = a.shape[1], n = b.shape[0];
        float[] out = new float[m * n];
        Matmul.matmulTransB(a.data, b.data, out, m, k, n);
        return Tensor.result(out, new int[]{m, n}, "matmulNT", g -> new Tensor[]{
                Autograd.needsGradient(a) ? matmul(g, b) : null,
                Autograd.needsGradient(b) ? matmulTN(g, a) : null}, a, b);
    }

    /** C[m×n] = A[k×m]ᵀ · B[k×n]. */
    public static Tensor matmulTN(Tensor a, Tensor b) {
        check(a, b, 0, 0, "matmulTN");
        int k = a.shape[0], m = a.shape[1], n = b.shape[1];
        float[] out = new float[m * n];
        Matmul.matmulTransA(a.data, b.data, out, m, k, n);
        return Tensor.result(out, new int[]{m, n}, "matmulTN", g -> new Tensor[]{
                Autograd.needsGradient(a) ? matmulNT(b, g) : null,
                Autograd.needsGradient(b) ? matmul(a, g) : null}, a, b);
    }

    private static void check(Tensor a, Tensor b, int aAxis, int bAxis, String op) {
        if (a.shape.length != 2 || b.shape.length != 2 || a.shape[aAxis] != b.shape[bAxis]) {
            throw new IllegalArgumentException(op + ": shapes " + Shape.str(a.shape) + " and " + Shape.str(b.shape)
                    + " do not fit (contracting axis " + aAxis + " of the first with axis " + bAxis + " of the second)");
        }
    }
}
