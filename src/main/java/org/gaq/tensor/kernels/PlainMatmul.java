package org.gaq.tensor.kernels;

import java.util.Arrays;

/**
 * FP32 matmul kernels in plain Java, single-threaded: the fallback when the Vector API is absent. Same
 * contracts as {@link SimdMatmul}.
 */
public final class PlainMatmul {

    private PlainMatmul() {
    }

    /** C[m×n] = A[m×k]·B[k×n], row-major, on the calling thread. */
    public static void matmul(float[] a, float[] b, float[] c, int m, int k, int n) {
        Matmul.checkShapes("PlainMatmul.matmul", "A", a, m, k, "B", b, k, n, c, m, n);
        multiply(a, k, 1, b, c, k, n, 0, m, false);
    }

    /**
     * Rows [rowStart, rowEnd) of C = (or +=) A·B with A(i, p) = {@code a[i * aRowStride + p * aColStride]}.
     * Loop order i-p-j: the inner loop runs along rows of B and C (unit stride, and C2 auto-vectorizes it),
     * where the naive i-j-p order would walk down B's columns.
     */
    static void multiply(float[] a, int aRowStride, int aColStride, float[] b, float[] c,
                         int k, int n, int rowStart, int rowEnd, boolean accumulate) {
        for (int i = rowStart; i < rowEnd; i++) {
            int row = i * n;
            if (!accumulate) {
                Arrays.fill(c, row, row + n, 0f);
            }
            for (int p = 0; p < k; p++) {
                float aip = a[i * aRowStride + p * aColStride];
                int bp = p * n;
                for (int j = 0; j < n; j++) {
                    c[row + j] += aip * b[bp + j];
                }
            }
        }
    }

    /**
     * Rows [rowStart, rowEnd) of C = (or +=) A·Btᵀ, with Bt row-major [n×k]: dot products along k, with
     * four partial sums so consecutive multiply-adds don't wait on each other.
     */
    static void multiplyTransB(float[] a, float[] bt, float[] c, int k, int n,
                               int rowStart, int rowEnd, boolean accumulate) {
        int k4 = k & ~3;
        for (int i = rowStart; i < rowEnd; i++) {
            int ai = i * k;
            for (int j = 0; j < n; j++) {
                int bj = j * k;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int p = 0;
                for (; p < k4; p += 4) {
                    s0 += a[ai + p] * bt[bj + p];
                    s1 += a[ai + p + 1] * bt[bj + p + 1];
                    s2 += a[ai + p + 2] * bt[bj + p + 2];
                    s3 += a[ai + p + 3] * bt[bj + p + 3];
                }
                for (; p < k; p++) {
                    s0 += a[ai + p] * bt[bj + p];
                }
                float dot = (s0 + s1) + (s2 + s3);
                c[i * n + j] = accumulate ? c[i * n + j] + dot : dot;
            }
        }
    }
}
