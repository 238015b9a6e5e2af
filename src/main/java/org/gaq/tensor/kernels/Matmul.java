package org.gaq.tensor.kernels;

/** TEMPORARY plain kernels; replaced by the SIMD kernels from branch kern. */
public final class Matmul {
    private Matmul() {}

    public static void matmul(float[] a, float[] b, float[] c, int m, int k, int n) {
        java.util.Arrays.fill(c, 0, m * n, 0f);
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++) {
                float x = a[i * k + p];
                for (int j = 0; j < n; j++) c[i * n + j] += x * b[p * n + j];
            }
    }

    public static void matmulTransB(float[] a, float[] b, float[] c, int m, int k, int n) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
                c[i * n + j] = s;
            }
    }

    public static void matmulTransA(float[] a, float[] b, float[] c, int m, int k, int n) {
        java.util.Arrays.fill(c, 0, m * n, 0f);
        for (int p = 0; p < k; p++)
            for (int i = 0; i < m; i++) {
                float x = a[p * m + i];
                for (int j = 0; j < n; j++) c[i * n + j] += x * b[p * n + j];
            }
    }
}
