package org.gaq.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MatmulTest {

    /** Every tail of the 4-row × 64-column tile and of a 16-lane vector, plus the model's sizes. */
    private static final int[] SIZES = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 192, 200};

    private final int threadsBefore = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(threadsBefore);
    }

    /** A random product with its double-precision reference. */
    private static final class Case {
        final int m, k, n;
        final float[] a, b, at, bt, c0;
        final double[] exact;
        /** Σ_p |A(i,p)·B(p,j)| per output: the scale that float rounding error is relative to. */
        final double[] magnitude;

        Case(Random random, int m, int k, int n) {
            this.m = m;
            this.k = k;
            this.n = n;
            a = randomArray(random, m * k);
            b = randomArray(random, k * n);
            c0 = randomArray(random, m * n);
            at = new float[k * m];
            bt = new float[n * k];
            Matmul.transpose(a, m, k, at);
            Matmul.transpose(b, k, n, bt);
            exact = new double[m * n];
            magnitude = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0, abs = 0;
                    for (int p = 0; p < k; p++) {
                        double product = (double) a[i * k + p] * b[p * n + j];
                        sum += product;
                        abs += Math.abs(product);
                    }
                    exact[i * n + j] = sum;
                    magnitude[i * n + j] = abs;
                }
            }
        }

        String shape() {
            return "m=" + m + " k=" + k + " n=" + n;
        }

        /** Output buffer full of NaN, so an element the kernel forgets to write fails the check. */
        float[] unwritten() {
            float[] c = new float[m * n];
            java.util.Arrays.fill(c, Float.NaN);
            return c;
        }

        /**
         * Float summation of k products, in any order and with or without FMA, is within k·u·Σ|products|
         * of the exact sum (u = 2⁻²⁴, the float unit roundoff; the standard bound γ_k ≈ k·u). The kernels
         * differ from each other and from the reference only in that order, so the bound is the tolerance,
         * doubled for the product roundings and, when accumulating, |C₀| added for the final addition.
         */
        void check(float[] c, boolean accumulated, String what) {
            double u = Math.ulp(1.0f) / 2;
            for (int idx = 0; idx < m * n; idx++) {
                double expected = exact[idx] + (accumulated ? c0[idx] : 0);
                double scale = magnitude[idx] + (accumulated ? Math.abs(c0[idx]) : 0);
                double tolerance = 2 * (k + 1) * u * scale + Float.MIN_NORMAL;
                if (!(Math.abs(c[idx] - expected) <= tolerance)) {
                    fail(what + " " + shape() + ": C[" + idx / n + "][" + idx % n + "] = " + c[idx]
                            + ", expected " + expected + " ± " + tolerance);
                }
            }
        }
    }

    private static float[] randomArray(Random random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return values;
    }

    @Test
    void kernelsOfBothBackendsMatchReferenceOnAllShapes() {
        Random random = new Random(1);
        for (int m : SIZES) {
            for (int k : SIZES) {
                for (int n : SIZES) {
                    Case t = new Case(random, m, k, n);
                    float[] c = t.unwritten();
                    SimdMatmul.multiply(t.a, k, 1, t.b, c, k, n, 0, m, false);
                    t.check(c, false, "simd A·B");
                    c = t.unwritten();
                    PlainMatmul.multiply(t.a, k, 1, t.b, c, k, n, 0, m, false);
                    t.check(c, false, "plain A·B");

                    c = t.c0.clone();
                    SimdMatmul.multiply(t.at, 1, m, t.b, c, k, n, 0, m, true);
                    t.check(c, true, "simd C += (Aᵀ)ᵀ·B");
                    c = t.c0.clone();
                    PlainMatmul.multiply(t.at, 1, m, t.b, c, k, n, 0, m, true);
                    t.check(c, true, "plain C += (Aᵀ)ᵀ·B");

                    c = t.unwritten();
                    SimdMatmul.multiplyTransB(t.a, t.bt, c, k, n, 0, m, false);
                    t.check(c, false, "simd A·(Bᵀ)ᵀ");
                    c = t.c0.clone();
                    PlainMatmul.multiplyTransB(t.a, t.bt, c, k, n, 0, m, true);
                    t.check(c, true, "plain C += A·(Bᵀ)ᵀ");
                }
            }
        }
    }

    @Test
    void facadeMatchesReferenceOnAllShapes() {
        Parallel.setThreads(1); // the multithreaded path has its own test
        Random random = new Random(2);
        for (int m : SIZES) {
            for (int k : SIZES) {
                for (int n : SIZES) {
                    Case t = new Case(random, m, k, n);
                    float[] c = t.unwritten();
                    Matmul.matmul(t.a, t.b, c, m, k, n);
                    t.check(c, false, "matmul");
                    c = t.unwritten();
                    Matmul.matmulTransB(t.a, t.bt, c, m, k, n);
                    t.check(c, false, "matmulTransB");
                    c = t.unwritten();
                    Matmul.matmulTransA(t.at, t.b, c, m, k, n);
                    t.check(c, false, "matmulTransA");

                    c = t.c0.clone();
                    Matmul.matmulAdd(t.a, t.b, c, m, k, n);
                    t.check(c, true, "matmulAdd");
                    c = t.c0.clone();
                    Matmul.matmulTransBAdd(t.a, t.bt, c, m, k, n);
                    t.check(c, true, "matmulTransBAdd");
                    c = t.c0.clone();
                    Matmul.matmulTransAAdd(t.at, t.b, c, m, k, n);
                    t.check(c, true, "matmulTransAAdd");
                }
            }
        }
    }

    @Test
    void emptyInnerDimensionGivesZerosAndEmptyOutputsAreNoOps() {
        for (int n : new int[] {1, 3, 64, 100}) {
            float[] c = new float[5 * n];
            java.util.Arrays.fill(c, 7f);
            Matmul.matmul(new float[0], new float[0], c, 5, 0, n);
            assertArrayEquals(new float[5 * n], c, "matmul k=0 n=" + n);
            java.util.Arrays.fill(c, 7f);
            Matmul.matmulTransB(new float[0], new float[0], c, 5, 0, n);
            assertArrayEquals(new float[5 * n], c, "matmulTransB k=0 n=" + n);
            java.util.Arrays.fill(c, 7f);
            Matmul.matmulTransA(new float[0], new float[0], c, 5, 0, n);
            assertArrayEquals(new float[5 * n], c, "matmulTransA k=0 n=" + n);
            Matmul.matmulAdd(new float[0], new float[0], c, 5, 0, n);
            assertArrayEquals(new float[5 * n], c, "matmulAdd k=0 n=" + n);
        }
        Matmul.matmul(new float[0], new float[64 * 8], new float[0], 0, 64, 8);
        Matmul.matmul(new float[3 * 64], new float[0], new float[0], 3, 64, 0);
    }

    @Test
    void backendIsSimdWhenTheVectorModuleIsPresent() {
        // Surefire runs with --add-modules jdk.incubator.vector and without gaq.simd=false.
        assertTrue(Matmul.simdSupported());
        assertEquals("simd", Matmul.backend());
    }

    @Test
    void multithreadedEqualsSingleThreaded() {
        Random random = new Random(3);
        // Above Matmul.PARALLEL_MIN_MACS; odd sizes give uneven chunks and row and column tails.
        int[][] shapes = {{1001, 64, 192}, {4096, 64, 64}, {3001, 128, 3}, {64, 20_000, 65}, {6000, 192, 1}};
        for (int[] shape : shapes) {
            int m = shape[0], k = shape[1], n = shape[2];
            assertTrue((long) m * k * n >= Matmul.PARALLEL_MIN_MACS);
            float[] a = randomArray(random, m * k);
            float[] b = randomArray(random, k * n);
            float[] at = new float[k * m], bt = new float[n * k];
            Matmul.transpose(a, m, k, at);
            Matmul.transpose(b, k, n, bt);

            Parallel.setThreads(1);
            float[][] single = {new float[m * n], new float[m * n], new float[m * n]};
            Matmul.matmul(a, b, single[0], m, k, n);
            Matmul.matmulTransB(a, bt, single[1], m, k, n);
            Matmul.matmulTransA(at, b, single[2], m, k, n);

            for (int threads : new int[] {2, 3}) {
                Parallel.setThreads(threads);
                float[][] multi = {new float[m * n], new float[m * n], new float[m * n]};
                Matmul.matmul(a, b, multi[0], m, k, n);
                Matmul.matmulTransB(a, bt, multi[1], m, k, n);
                Matmul.matmulTransA(at, b, multi[2], m, k, n);
                String shapeText = m + "×" + k + "·" + k + "×" + n + " on " + threads + " threads";
                // Each row is computed by the same code in the same order whichever thread runs it: bitwise equal.
                assertArrayEquals(single[0], multi[0], "matmul " + shapeText);
                assertArrayEquals(single[1], multi[1], "matmulTransB " + shapeText);
                assertArrayEquals(single[2], multi[2], "matmulTransA " + shapeText);
            }
        }
    }

    @Test
    void nestedAndConcurrentCallsDoNotDeadlock() {
        Parallel.setThreads(2);
        int m = 2048, k = 64, n = 64;
        Random random = new Random(4);
        float[] a = randomArray(random, m * k);
        float[] b = randomArray(random, k * n);
        float[] expected = new float[m * n];
        Matmul.matmul(a, b, expected, m, k, n);

        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            // Parallel products inside parallel chunks: pool threads run them inline, the caller shares them.
            float[][] outputs = new float[8][m * n];
            Parallel.forRange(outputs.length, 1, (start, end) -> {
                for (int i = start; i < end; i++) {
                    Matmul.matmul(a, b, outputs[i], m, k, n);
                }
            });
            for (float[] c : outputs) {
                assertArrayEquals(expected, c);
            }

            // Two outside threads sharing the pool, like the training loop's workers.
            ExecutorService workers = Executors.newFixedThreadPool(2);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int task = 0; task < 16; task++) {
                    results.add(workers.submit(() -> {
                        float[] c = new float[m * n];
                        Matmul.matmul(a, b, c, m, k, n);
                        return c;
                    }));
                }
                for (Future<float[]> result : results) {
                    assertArrayEquals(expected, result.get());
                }
            } finally {
                workers.shutdownNow();
            }
        });
    }

    @Test
    void transposeMovesEveryElement() {
        Random random = new Random(5);
        for (int rows : SIZES) {
            for (int cols : SIZES) {
                float[] src = randomArray(random, rows * cols);
                float[] dst = new float[rows * cols];
                Matmul.transpose(src, rows, cols, dst);
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        assertEquals(src[i * cols + j], dst[j * rows + i], rows + "×" + cols);
                    }
                }
            }
        }
    }

    @Test
    void badArrayLengthsAreRejectedWithTheShapes() {
        float[] a = new float[3 * 4], b = new float[4 * 5], c = new float[3 * 5];
        assertMessageContains(() -> Matmul.matmul(a, new float[19], c, 3, 4, 5), "matmul", "A[3×4]", "B[4×5]", "C[3×5]");
        assertMessageContains(() -> Matmul.matmulAdd(a, b, new float[14], 3, 4, 5), "matmulAdd", "C[3×5]");
        assertMessageContains(() -> Matmul.matmulTransB(new float[11], new float[20], c, 3, 4, 5), "matmulTransB", "A[3×4]", "B[5×4]");
        assertMessageContains(() -> Matmul.matmulTransA(new float[12], new float[19], c, 3, 4, 5), "matmulTransA", "A[4×3]", "B[4×5]");
        assertMessageContains(() -> Matmul.matmul(a, b, c, -3, 4, 5), "[-3×4]");
        assertMessageContains(() -> Matmul.transpose(a, 4, 4, new float[16]), "transpose", "[4×4]");
        assertMessageContains(() -> SimdMatmul.matmul(a, new float[19], c, 3, 4, 5), "A[3×4]", "B[4×5]");
        assertMessageContains(() -> PlainMatmul.matmul(a, new float[19], c, 3, 4, 5), "A[3×4]", "B[4×5]");
    }

    private static void assertMessageContains(Runnable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message \"" + e.getMessage() + "\" lacks " + part);
        }
    }
}
