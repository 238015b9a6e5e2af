package org.gaq.engine.kernels;

/**
 * The reference: the definitions of {@link Int8Gemm} as plain loops, reading each code out of the prepared
 * layout ({@link PreparedInt8#code}, {@link PreparedInt4#code}). Every other
 * implementation is tested against this one, bit for bit. Slow (a few GOP/s); the fallback of last resort.
 */
public final class PlainInt8Gemm extends CheckedInt8Gemm {

    @Override
    public String name() {
        return "java-plain";
    }

    @Override
    void multiplyChecked(byte[] a, int aOffset, int rows, int k, PreparedInt8 w, int[] c, int cOffset) {
        int m = w.m();
        for (int i = 0; i < rows; i++) {
            int row = aOffset + i * k, out = cOffset + i * m;
            for (int j = 0; j < m; j++) {
                int sum = 0;
                for (int p = 0; p < k; p++) sum += a[row + p] * w.code(p, j);
                c[out + j] = sum;
            }
        }
    }

    @Override
    void multiplyInt4Checked(byte[] a, int aOffset, int rows, int k, PreparedInt4 w, float[] out, int outOffset) {
        int m = w.m();
        for (int i = 0; i < rows; i++) {
            int row = aOffset + i * k;
            for (int j = 0; j < m; j++) {
                float acc = 0f;
                for (int g = 0; g < w.groups(); g++) {
                    int dot = 0;
                    for (int p = g * PreparedInt4.GROUP_SIZE; p < (g + 1) * PreparedInt4.GROUP_SIZE; p++) {
                        dot += a[row + p] * w.code(p, j);
                    }
                    // the fixed summation order of the contract: one rounding per group
                    acc = Math.fma(w.scale(g, j), (float) dot, acc);
                }
                out[outOffset + i * m + j] = acc;
            }
        }
    }
}
