package org.gaq.tensor.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The compiled engine's products (no allocation, calling thread) against a double-precision reference. */
class OnThisThreadMatmulTest {
    static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    @ParameterizedTest
    @CsvSource({"9,64,64", "9,64,192", "72,32,192", "72,192,32", "27,64,192", "13,8,32", "5,32,8", "3,64,1", "7,20,48", "1,33,96"})
    void productsMatchTheDefinition(int m, int k, int n) {
        SplittableRandom r = new SplittableRandom(m * 1000 + k * 10 + n);
        float[] a = random(r, m * k), b = random(r, k * n), start = random(r, m * n);
        float[] bt = new float[n * k];
        Matmul.transpose(b, k, n, bt);
        for (boolean accumulate : new boolean[]{false, true}) {
            float[] tiles = start.clone(), dots = start.clone();
            Matmul.multiplyOnThisThread(a, b, tiles, m, k, n, accumulate);
            Matmul.multiplyTransBOnThisThread(a, bt, dots, m, k, n, accumulate);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double expected = accumulate ? start[i * n + j] : 0;
                    for (int p = 0; p < k; p++) expected += (double) a[i * k + p] * b[p * n + j];
                    assertEquals(expected, tiles[i * n + j], 1e-5 * k, "tiles " + i + "," + j);
                    assertEquals(expected, dots[i * n + j], 1e-5 * k, "dots " + i + "," + j);
                }
            }
        }
    }

    @Test
    void siluWithSlopeIsSiluAndItsDerivative() {
        float[] x = random(new SplittableRandom(3), 1000);
        for (int i = 0; i < x.length; i++) x[i] *= 20;
        float[] y = new float[x.length], slope = new float[x.length];
        Activations.siluWithSlope(x, y, slope, 997);                    // a length that leaves a scalar tail
        for (int i = 0; i < 997; i++) {
            assertEquals(Activations.scalar(Activations.Kind.SILU, x[i]), y[i], 1e-6 * (1 + Math.abs(y[i])));
            assertEquals(Activations.scalar(Activations.Kind.SILU_PRIME, x[i]), slope[i], 1e-6 * (1 + Math.abs(slope[i])));
        }
        assertEquals(0f, y[998]);
    }
}
