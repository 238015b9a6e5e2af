package org.gaq.engine.kernels;

import jdk.incubator.vector.FloatVector;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The quantization kernels agree bitwise with their plain loops (the definitions), both the facade and the
 * Vector API versions called directly: every length around the vector width (tails), odd offsets, values at
 * and next to rounding ties, ±0, values beyond the clamp range, ±∞ and NaN; nothing outside the run is written.
 */
class QuantizeKernelsTest {
    private static final int[] LENGTHS = {0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1003};
    private static final int[] OFFSETS = {0, 1, 5, 16};

    /** Random activations with ties (k + ½)·step, their neighbours, zeros, out-of-range and special values. */
    private static float[] activations(SplittableRandom r, int n, float step) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (r.nextInt(12)) {
                case 0 -> (r.nextInt(300) - 150 + 0.5f) * step;                       // a tie (before the product rounds)
                case 1 -> Math.nextUp((r.nextInt(300) - 150 + 0.5f) * step);
                case 2 -> Math.nextDown((r.nextInt(300) - 150 + 0.5f) * step);
                case 3 -> r.nextBoolean() ? 0f : -0f;
                case 4 -> (float) ((r.nextDouble() - 0.5) * step);                    // rounds to ±0
                case 5 -> (float) ((r.nextDouble() - 0.5) * 1e6);                     // far outside the range
                case 6 -> new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE}[r.nextInt(6)];
                case 7 -> (r.nextInt(255) - 127) * step;                              // on the grid (a site's output)
                default -> (float) ((r.nextDouble() - 0.5) * 300 * step);
            };
        }
        return x;
    }

    private static float[] nanFilled(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    @Test
    void quantizeMatchesMathRound() {
        SplittableRandom r = new SplittableRandom(5);
        for (float step : new float[]{0.013f, 0.5f, 1f, 0.1f, 3.7e-4f}) {
            float inv = 1f / step;
            for (int n : LENGTHS) {
                for (int off : OFFSETS) {
                    float[] x = activations(r, off + n, step);
                    byte[] expected = new byte[off + 2 + n + 3];
                    Arrays.fill(expected, (byte) 99);
                    for (int k = 0; k < n; k++) {
                        float code = Math.round(x[off + k] * inv);          // IntegerLinear's loop before the kernels
                        expected[off + 2 + k] = (byte) Math.max(-127, Math.min(127, code));
                    }
                    byte[] plain = new byte[expected.length], simd = new byte[expected.length], facade = new byte[expected.length];
                    Arrays.fill(plain, (byte) 99);
                    Arrays.fill(simd, (byte) 99);
                    Arrays.fill(facade, (byte) 99);
                    QuantizeKernels.quantizePlain(x, off, inv, plain, off + 2, n);
                    QuantizeKernels.quantizeSimd(x, off, inv, simd, off + 2, n);
                    QuantizeKernels.quantize(x, off, inv, facade, off + 2, n);
                    assertArrayEquals(expected, plain, "plain n=" + n);
                    assertArrayEquals(expected, simd, "simd n=" + n + " off=" + off + " step=" + step);
                    assertArrayEquals(expected, facade, "facade n=" + n);
                }
            }
        }
    }

    @Test
    void scaleIntsAndScaleMatchPlainLoops() {
        SplittableRandom r = new SplittableRandom(7);
        for (int n : LENGTHS) {
            for (int off : OFFSETS) {
                int[] c = new int[off + n];
                for (int i = 0; i < c.length; i++) c[i] = r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(2_000_001) - 1_000_000;   // also beyond 2^24
                float[] s = activations(r, off + 1 + n, 0.01f);
                float[] expected = nanFilled(off + 3 + n + 2);
                for (int j = 0; j < n; j++) expected[off + 3 + j] = c[off + j] * s[off + 1 + j];
                float[] simd = nanFilled(expected.length), facade = nanFilled(expected.length);
                QuantizeKernels.scaleIntsSimd(c, off, s, off + 1, simd, off + 3, n);
                QuantizeKernels.scaleInts(c, off, s, off + 1, facade, off + 3, n);
                assertArrayEquals(expected, simd, "scaleInts n=" + n);
                assertArrayEquals(expected, facade);

                float f = (float) r.nextDouble();
                float[] x = activations(r, off + n, 0.02f);
                float[] e2 = nanFilled(off + 1 + n + 2);
                for (int j = 0; j < n; j++) e2[off + 1 + j] = x[off + j] * f;
                float[] s2 = nanFilled(e2.length);
                QuantizeKernels.scaleSimd(x, off, f, s2, off + 1, n);
                assertArrayEquals(e2, s2, "scale n=" + n);
                float[] inPlace = x.clone();                                   // y may be x
                QuantizeKernels.scale(inPlace, off, f, inPlace, off, n);
                for (int j = 0; j < n; j++) assertEquals(Float.floatToIntBits(x[off + j] * f), Float.floatToIntBits(inPlace[off + j]));
            }
        }
    }

    @Test
    void lsqForwardAndBackwardMatchTheComposedOps() {
        SplittableRandom r = new SplittableRandom(9);
        int[][] ranges = {{-127, 127}, {0, 255}, {-7, 7}, {-32767, 32767}};
        for (float step : new float[]{0.013f, 0.5f, 1f, 3.7e-4f}) {
            for (int[] q : ranges) {
                float qn = q[0], qp = q[1];
                for (int n : LENGTHS) {
                    float[] x = activations(r, n, step), g = activations(r, n, 0.3f);
                    float[] expected = new float[n], expectedGrad = new float[n];
                    for (int k = 0; k < n; k++) {
                        // LsqQuantizer.apply: x.div(s), clampMasked (Math.min(hi, Math.max(lo, ·))), roundSte (Math.rint), mul(s)
                        float t = x[k] / step;
                        expected[k] = (float) Math.rint(Math.min(qp, Math.max(qn, t))) * step;
                        // backward: mul → g·s, clampMasked → ·mask, roundSte → identity, div → /s
                        float mask = t >= qn && t <= qp ? 1f : 0f;
                        expectedGrad[k] = ((g[k] * step) * mask) / step;
                    }
                    float[] plain = new float[n], simd = new float[n], facade = new float[n];
                    QuantizeKernels.lsqForwardPlain(x, 0, step, qn, qp, plain, n);
                    QuantizeKernels.lsqForwardSimd(x, step, qn, qp, simd, n);
                    QuantizeKernels.lsqForward(x, step, qn, qp, facade, n);
                    assertBitwise(expected, plain, "forward plain");
                    assertBitwise(expected, simd, "forward simd n=" + n + " step=" + step + " q=" + qp);
                    assertBitwise(expected, facade, "forward facade");
                    float[] gp = new float[n], gs = new float[n], gf = new float[n];
                    QuantizeKernels.lsqBackwardPlain(g, x, 0, step, qn, qp, gp, n);
                    QuantizeKernels.lsqBackwardSimd(g, x, step, qn, qp, gs, n);
                    QuantizeKernels.lsqBackward(g, x, step, qn, qp, gf, n);
                    assertBitwise(expectedGrad, gp, "backward plain");
                    assertBitwise(expectedGrad, gs, "backward simd n=" + n);
                    assertBitwise(expectedGrad, gf, "backward facade");
                }
            }
        }
    }

    @Test
    void codesWithChannelStepsMatchTheScalarDefinition() {
        SplittableRandom r = new SplittableRandom(13);
        for (int n : LENGTHS) {
            float[] inv = new float[n];
            for (int k = 0; k < n; k++) inv[k] = (float) (1 / (0.002 + 0.2 * r.nextDouble()));
            float[] x = activations(r, n + 3, 0.02f);
            byte[] expected = new byte[n + 5], plain = new byte[n + 5], facade = new byte[n + 5], simd = new byte[n + 5];
            for (int k = 0; k < n; k++) expected[2 + k] = (byte) Math.max(-127, Math.min(127, Math.round(x[3 + k] * inv[k])));
            QuantizeKernels.quantizeChannelsPlain(x, 3, inv, 0, plain, 2, n);
            QuantizeKernels.quantizeChannels(x, 3, inv, facade, 2, n);
            assertArrayEquals(expected, plain, "plain n=" + n);
            assertArrayEquals(expected, facade, "facade n=" + n);
            if (QuantizeKernels.simd()) {
                QuantizeKernels.quantizeChannelsSimd(x, 3, inv, simd, 2, n);
                assertArrayEquals(expected, simd, "simd n=" + n);
            }
        }
    }

    @Test
    void lsqForwardWithChannelStepsMatchesTheScalarDefinition() {
        SplittableRandom r = new SplittableRandom(11);
        for (int channels : new int[]{16, 64, 3}) {
            float[] steps = new float[channels];
            for (int j = 0; j < channels; j++) steps[j] = (float) (0.002 + 0.3 * r.nextDouble());
            for (int n : new int[]{0, channels, 5 * channels, 5 * channels + 7}) {
                float[] x = activations(r, n, 0.05f);
                if (n > 3) { x[0] = -0.0f; x[1] = Float.NaN; x[2] = 1e6f; x[3] = -0.4f * steps[3 % channels]; }
                float[] expected = new float[n], plain = new float[n], facade = new float[n];
                for (int k = 0; k < n; k++) {
                    float s = steps[k % channels];
                    expected[k] = (float) Math.rint(Math.min(127f, Math.max(-127f, x[k] / s))) * s;
                }
                QuantizeKernels.lsqForwardChannelsPlain(x, 0, steps, -127f, 127f, plain, n);
                QuantizeKernels.lsqForwardChannels(x, steps, -127f, 127f, facade, n);
                assertBitwise(expected, plain, "channels plain c=" + channels + " n=" + n);
                assertBitwise(expected, facade, "channels facade c=" + channels + " n=" + n);
                if (channels % FloatVector.SPECIES_PREFERRED.length() == 0) {
                    float[] simd = new float[n];
                    QuantizeKernels.lsqForwardChannelsSimd(x, steps, -127f, 127f, simd, n);
                    assertBitwise(expected, simd, "channels simd c=" + channels + " n=" + n);
                }
            }
        }
    }

    /** Equal bit patterns (−0 ≠ +0), NaNs compared as NaN. */
    private static void assertBitwise(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]),
                    what + " [" + i + "]: expected " + expected[i] + ", got " + actual[i]);
        }
    }
}
