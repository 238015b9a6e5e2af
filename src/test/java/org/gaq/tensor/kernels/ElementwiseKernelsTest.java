package org.gaq.tensor.kernels;

import org.gaq.tensor.kernels.ElementwiseKernels.Op;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The element-wise kernels agree bitwise with plain loops: every run length around the 16-lane vector
 * (tails), runs starting at odd offsets, each stride form (contiguous, broadcast left, broadcast right,
 * and the strided fallback), and nothing outside [io, io+n) is written.
 */
class ElementwiseKernelsTest {
    private static final int[] LENGTHS = {0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 192, 1003};
    private static final int[] OFFSETS = {0, 1, 5, 16};
    private static final int[][] STRIDES = {{1, 1}, {1, 0}, {0, 1}, {2, 1}, {1, 3}, {0, 0}};

    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 8 - 4);
        return x;
    }

    private static float apply(Op op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
        };
    }

    @Test
    void binaryMatchesPlainLoop() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : LENGTHS) {
            for (int off : OFFSETS) {
                for (int[] st : STRIDES) {
                    int sa = st[0], sb = st[1];
                    float[] a = random(r, off + 3 * n + 1), b = random(r, off + 3 * n + 1);
                    for (Op op : Op.values()) {
                        int ia = off, ib = off + 1 - (off > 0 ? 1 : 0), io = off + 2;
                        float[] expected = new float[io + n + 3];
                        Arrays.fill(expected, Float.NaN);
                        for (int k = 0; k < n; k++) expected[io + k] = apply(op, a[ia + k * sa], b[ib + k * sb]);
                        float[] facade = new float[expected.length];
                        Arrays.fill(facade, Float.NaN);
                        ElementwiseKernels.binary(op, a, ia, sa, b, ib, sb, facade, io, n);
                        String what = op + " n=" + n + " off=" + off + " strides=" + sa + "," + sb;
                        assertArrayEquals(expected, facade, what);
                        if (Matmul.simdSupported() && (sa | sb) == 1 && n > 0) {
                            float[] simd = new float[expected.length];
                            Arrays.fill(simd, Float.NaN);
                            if (sa == 1 && sb == 1) SimdElementwise.binary(op, a, ia, b, ib, simd, io, n);
                            else if (sb == 0) SimdElementwise.binaryScalarRight(op, a, ia, b[ib], simd, io, n);
                            else SimdElementwise.binaryScalarLeft(op, a[ia], b, ib, simd, io, n);
                            assertArrayEquals(expected, simd, "simd " + what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void mulAddToMatchesPlainLoop() {
        SplittableRandom r = new SplittableRandom(12);
        for (int n : LENGTHS) {
            for (int off : OFFSETS) {
                for (int[] st : STRIDES) {
                    int sa = st[0], sb = st[1];
                    float[] a = random(r, off + 3 * n + 1), b = random(r, off + 3 * n + 1);
                    int ia = off + 1, ib = off, io = off + 3;
                    float[] start = random(r, io + n + 4);
                    float[] expected = start.clone();
                    for (int k = 0; k < n; k++) expected[io + k] += a[ia + k * sa] * b[ib + k * sb];
                    float[] facade = start.clone();
                    ElementwiseKernels.mulAddTo(a, ia, sa, b, ib, sb, facade, io, n);
                    String what = "n=" + n + " off=" + off + " strides=" + sa + "," + sb;
                    assertArrayEquals(expected, facade, what);
                    float[] plain = start.clone();
                    ElementwiseKernels.mulAddToPlain(a, ia, sa, b, ib, sb, plain, io, n);
                    assertArrayEquals(expected, plain, "plain " + what);
                    if (Matmul.simdSupported() && sa == 1 && sb == 1) {
                        float[] simd = start.clone();
                        SimdElementwise.mulAddTo(a, ia, b, ib, simd, io, n);
                        assertArrayEquals(expected, simd, "simd " + what);
                    }
                }
            }
        }
    }

    @Test
    void addToMatchesPlainLoop() {
        SplittableRandom r = new SplittableRandom(13);
        for (int n : LENGTHS) {
            for (int off : OFFSETS) {
                float[] src = random(r, off + n + 2);
                float[] start = random(r, off + n + 7);
                float[] expected = start.clone();
                for (int k = 0; k < n; k++) expected[off + 3 + k] += src[off + k];
                float[] facade = start.clone();
                ElementwiseKernels.addTo(src, off, facade, off + 3, n);
                assertArrayEquals(expected, facade, "n=" + n + " off=" + off);
                if (Matmul.simdSupported()) {
                    float[] simd = start.clone();
                    SimdElementwise.addTo(src, off, simd, off + 3, n);
                    assertArrayEquals(expected, simd, "simd n=" + n + " off=" + off);
                }
            }
        }
    }

    /**
     * The Adam update: the vector loop is bitwise the plain loop (whole vectors, then the tail), and the plain loop is
     * Adam's formula, against a double-precision evaluation of it to float rounding over ten steps.
     */
    @Test
    void adamMatchesPlainLoopAndTheFormula() {
        SplittableRandom r = new SplittableRandom(14);
        float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 1e-4f, lr = 1e-3f;
        for (int n : LENGTHS) {
            float[] theta = random(r, n), m = new float[n], v = new float[n];
            double[] thetaRef = new double[n], mRef = new double[n], vRef = new double[n];
            for (int k = 0; k < n; k++) thetaRef[k] = theta[k];
            float[] thetaSimd = theta.clone(), mSimd = m.clone(), vSimd = v.clone();
            for (int t = 1; t <= 10; t++) {
                float[] g = random(r, n);
                var step = new ElementwiseKernels.AdamStep(b1, b2, (float) (1 - Math.pow(b1, t)), (float) (1 - Math.pow(b2, t)), eps, wd, lr);
                ElementwiseKernels.adamPlain(step, theta, g, m, v, 0, n);
                if (Matmul.simdSupported()) {
                    int tail = SimdElementwise.adam(step, thetaSimd, g, mSimd, vSimd, n);
                    ElementwiseKernels.adamPlain(step, thetaSimd, g, mSimd, vSimd, tail, n);
                }
                for (int k = 0; k < n; k++) {
                    mRef[k] = b1 * mRef[k] + (1 - (double) b1) * g[k];
                    vRef[k] = b2 * vRef[k] + (1 - (double) b2) * g[k] * g[k];
                    thetaRef[k] -= lr * ((mRef[k] / (1 - Math.pow(b1, t))) / (Math.sqrt(vRef[k] / (1 - Math.pow(b2, t))) + eps) + wd * thetaRef[k]);
                }
            }
            for (int k = 0; k < n; k++) assertEquals(thetaRef[k], theta[k], 1e-6 * (1 + Math.abs(thetaRef[k])), "n=" + n + " k=" + k);
            if (Matmul.simdSupported()) {
                assertArrayEquals(theta, thetaSimd, "simd n=" + n);
                assertArrayEquals(m, mSimd, "simd m n=" + n);
                assertArrayEquals(v, vSimd, "simd v n=" + n);
            }
        }
    }
}
