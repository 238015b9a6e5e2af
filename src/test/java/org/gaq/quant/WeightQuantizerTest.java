package org.gaq.quant;

import java.util.SplittableRandom;

import org.gaq.tensor.Autograd;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class WeightQuantizerTest {
    private static Tensor randomWeight(SplittableRandom rng, int in, int out) {
        float[] w = new float[in * out];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rng.nextGaussian() * Math.exp(rng.nextGaussian()));
        for (int i = 0; i < in; i++) w[i * out] = 0f;        // an all-zero column: scale 0, codes 0
        return Tensor.leaf(w, in, out);
    }

    /** |W − code·scale| ≤ scale/2 per element (plus float rounding), codes within ±Qp, Qp reached per group. */
    private static void assertWithinHalfStep(Tensor w, QuantizedWeight q, int qp) {
        float[] wv = w.data(), deq = q.dequantize();
        for (int i = 0; i < q.in(); i++) {
            for (int j = 0; j < q.out(); j++) {
                int k = i * q.out() + j;
                float scale = q.scale(i, j);
                assertTrue(Math.abs(wv[k] - deq[k]) <= scale / 2 * (1 + 1e-5) + 1e-30, "element " + i + "," + j);
                assertTrue(Math.abs(q.codes()[k]) <= qp);
            }
        }
        for (int g = 0; g < q.groups(); g++) {
            for (int j = 1; j < q.out(); j++) {
                int maxCode = 0;
                for (int i = g * q.groupSize(); i < Math.min(q.in(), (g + 1) * q.groupSize()); i++) {
                    maxCode = Math.max(maxCode, Math.abs(q.codes()[i * q.out() + j]));
                }
                assertEquals(qp, maxCode, "the largest |W| of a group maps to ±Qp (no range wasted)");
            }
        }
    }

    @Test
    void int8PerChannelErrorAtMostHalfScale() {
        Tensor w = randomWeight(new SplittableRandom(1), 40, 6);
        QuantizedWeight q = WeightQuantizer.quantizeInt8PerChannel(w);
        assertEquals(1, q.groups());
        assertEquals(6, q.scales().length);
        assertEquals(0f, q.scales()[0]);
        for (int j = 0; j < 6; j++) {
            float max = 0;
            for (int i = 0; i < 40; i++) max = Math.max(max, Math.abs(w.data()[i * 6 + j]));
            assertEquals(max / 127, q.scales()[j], 1e-7 * max);
        }
        assertWithinHalfStep(w, q, 127);
    }

    @Test
    void int4GroupsOf32AlongInputAxisErrorAtMostHalfScale() {
        Tensor w = randomWeight(new SplittableRandom(2), 70, 5);     // groups 32, 32, 6
        QuantizedWeight q = WeightQuantizer.quantizeInt4Grouped(w, 32);
        assertEquals(3, q.groups());
        assertEquals(15, q.scales().length);
        assertWithinHalfStep(w, q, 7);
        // group 1 of column 3 has its own scale: max over rows 32..63 only
        float max = 0;
        for (int i = 32; i < 64; i++) max = Math.max(max, Math.abs(w.data()[i * 5 + 3]));
        assertEquals(max / 7, q.scale(40, 3), 1e-7 * max);
    }

    /** Σ (W − Ŵ)² over group g of column j. */
    private static double groupError(Tensor w, QuantizedWeight q, int g, int j) {
        float[] deq = q.dequantize();
        double e = 0;
        for (int i = g * q.groupSize(); i < Math.min(q.in(), (g + 1) * q.groupSize()); i++) {
            double d = w.data()[i * q.out() + j] - deq[i * q.out() + j];
            e += d * d;
        }
        return e;
    }

    @Test
    void mseRangeNeverRoundsWorseThanMaxAbsAndRoundsFinerAtFourBits() {
        SplittableRandom rng = new SplittableRandom(5);
        float[] v = new float[64 * 3];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
        Tensor w = Tensor.leaf(v, 64, 3);
        for (WeightQuantizer.Scheme scheme : WeightQuantizer.Scheme.values()) {
            QuantizedWeight max = WeightQuantizer.quantize(w, scheme, WeightQuantizer.Range.MAX_ABS);
            QuantizedWeight mse = WeightQuantizer.quantize(w, scheme, WeightQuantizer.Range.MSE);
            int qp = scheme.bits == 8 ? 127 : 7;
            for (int g = 0; g < mse.groups(); g++) {
                for (int j = 0; j < 3; j++) {
                    assertTrue(groupError(w, mse, g, j) <= groupError(w, max, g, j), scheme + " group " + g + " column " + j);
                    float ratio = mse.scales()[g * 3 + j] / max.scales()[g * 3 + j];
                    assertTrue(ratio >= 0.5f - 1e-6f && ratio <= 1f, "α on the grid [0.5, 1]: " + ratio);
                }
            }
            for (byte c : mse.codes()) assertTrue(Math.abs(c) <= qp);
        }
        // Gaussian groups of 32 at 4 bits: the largest |W| (≈ 2σ) sets a step that clipping it a little refines
        // for the other 31 (the expected optimum is α ≈ 0.8–0.9), so the total error must drop clearly.
        QuantizedWeight mse4 = WeightQuantizer.quantize(w, WeightQuantizer.Scheme.INT4_GROUPED, WeightQuantizer.Range.MSE);
        QuantizedWeight max4 = WeightQuantizer.quantize(w, WeightQuantizer.Scheme.INT4_GROUPED, WeightQuantizer.Range.MAX_ABS);
        double eMse = 0, eMax = 0;
        for (int g = 0; g < 2; g++) for (int j = 0; j < 3; j++) { eMse += groupError(w, mse4, g, j); eMax += groupError(w, max4, g, j); }
        assertTrue(eMse < 0.9 * eMax, "MSE " + eMse + " vs max-abs " + eMax);
    }

    @Test
    void fakeQuantForwardIsDequantizedAndGradientIsStraightThrough() {
        Tensor w = randomWeight(new SplittableRandom(3), 33, 4);
        for (WeightQuantizer.Scheme scheme : WeightQuantizer.Scheme.values()) {
            WeightQuantizer fq = new WeightQuantizer(scheme);
            Tensor wq = fq.apply(w);
            assertArrayEquals(WeightQuantizer.quantize(w, scheme).dequantize(), wq.data(), 0f);
            Tensor mse = new WeightQuantizer(scheme, WeightQuantizer.Range.MSE).apply(w);
            assertArrayEquals(WeightQuantizer.quantize(w, scheme, WeightQuantizer.Range.MSE).dequantize(), mse.data(), 0f);
            Tensor up = Tensor.of(new float[33 * 4], 33, 4).add(1.5f);
            float[] g = Autograd.grad(wq.mul(up).sum(), new Tensor[]{w}, false)[0].data();
            for (float v : g) assertEquals(1.5f, v, 0f);
        }
    }

    @Test
    void int4PackUnpackRoundTripIncludingNegativesAndOddCount() {
        byte[] codes = {-8, -7, -1, 0, 1, 7, 3, -4, 5};
        byte[] packed = WeightQuantizer.packInt4(codes);
        assertEquals(5, packed.length);
        assertEquals((byte) 0x98, packed[0], "−7 → 0x9 high nibble, −8 → 0x8 low nibble");
        assertArrayEquals(codes, WeightQuantizer.unpackInt4(packed, codes.length));

        Tensor w = randomWeight(new SplittableRandom(4), 64, 3);
        QuantizedWeight q = WeightQuantizer.quantizeInt4Grouped(w, 32);
        assertArrayEquals(q.codes(), WeightQuantizer.unpackInt4(WeightQuantizer.packInt4(q.codes()), q.codes().length));
        assertThrows(IllegalArgumentException.class, () -> WeightQuantizer.packInt4(new byte[]{8}));
    }
}
