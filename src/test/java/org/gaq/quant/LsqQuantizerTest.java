package org.gaq.quant;

import java.util.SplittableRandom;

import org.gaq.tensor.Autograd;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LsqQuantizerTest {

    @Test
    void forwardIsRoundedClampedMultipleOfStep() {
        LsqQuantizer q = LsqQuantizer.signed(8, 0.1);
        Tensor x = Tensor.of(new float[]{0.26f, -0.04f, 0.05f, 100f, -100f}, 5);
        float[] y = q.apply(x).data();
        assertEquals(0.3f, y[0], 1e-6);
        assertEquals(-0f, y[1], 1e-6);
        assertEquals(0.0f, y[2], 1e-6, "0.05/0.1 = 0.5 rounds half to even, to 0");
        assertEquals(12.7f, y[3], 1e-5, "clipped at Qp·s = 127·0.1");
        assertEquals(-12.7f, y[4], 1e-5, "clipped at Qn·s = −127·0.1 (symmetric, no −128)");
    }

    @Test
    void unsignedRangeIsZeroTo255() {
        LsqQuantizer q = LsqQuantizer.unsigned(8, 0.1);
        assertEquals(0, q.qn());
        assertEquals(255, q.qp());
        float[] y = q.apply(Tensor.of(new float[]{-1f, 30f, 7.04f}, 3)).data();
        assertEquals(0f, y[0], 0f);
        assertEquals(25.5f, y[1], 1e-5);
        assertEquals(7.0f, y[2], 1e-5);
        assertEquals(-7, LsqQuantizer.signed(4, 1).qn());
        assertEquals(7, LsqQuantizer.signed(4, 1).qp());
    }

    /** ∂L/∂s = g Σ_i w_i (round(x_i/s) − x_i/s) inside, g Σ w_i·(Qn or Qp) outside, g = 1/√(Qp·numel). */
    @Test
    void stepGradientIsLsqFormulaTimesGradScale() {
        for (int bits : new int[]{8, 4}) {
            SplittableRandom rng = new SplittableRandom(bits);
            int n = 50;
            float s = 0.05f;
            LsqQuantizer q = LsqQuantizer.signed(bits, s);
            float[] xv = new float[n], wv = new float[n];
            for (int i = 0; i < n; i++) {
                xv[i] = (float) (rng.nextGaussian() * q.qp() * s * 0.7);    // some values outside the range
                wv[i] = (float) rng.nextGaussian();
            }
            Tensor x = Tensor.leaf(xv, n);
            Tensor w = Tensor.of(wv, n);
            Tensor[] g = Autograd.grad(q.apply(x).mul(w).sum(), new Tensor[]{q.step(), x}, false);

            double gradScale = 1 / Math.sqrt((double) q.qp() * n);
            double expectedStep = 0;
            int outside = 0;
            for (int i = 0; i < n; i++) {
                double v = xv[i] / s;
                boolean inside = v >= q.qn() && v <= q.qp();
                if (!inside) outside++;
                double dxq = inside ? Math.rint(v) - v : (v < q.qn() ? q.qn() : q.qp());
                expectedStep += wv[i] * dxq;
                assertEquals(inside ? wv[i] : 0f, g[1].data()[i], 1e-6, "∂/∂x passes only inside the range");
            }
            assertTrue(outside > 0 && outside < n, "the test covers both clipped and unclipped values");
            expectedStep *= gradScale;
            assertEquals(expectedStep, g[0].item(), 1e-4 * (1 + Math.abs(expectedStep)), bits + " bits");
        }
    }

    @Test
    void fullPrecisionAndDisabledAreExactIdentity() {
        Tensor x = Tensor.leaf(new float[]{0.123456f, -7.654321f, 1e-7f}, 3);
        LsqQuantizer fp = LsqQuantizer.signed(LsqQuantizer.FULL_PRECISION, 1);
        assertSame(x, fp.apply(x));
        assertTrue(fp.parameters().isEmpty());
        assertNotEquals(x.data()[0], LsqQuantizer.signed(8, 0.5).apply(x).data()[0], "8 bits quantize");
    }

    @Test
    void initFromObserverUsesItsSuggestedStep() {
        MeanAbsObserver obs = new MeanAbsObserver(Signedness.SIGNED);
        obs.observe(Tensor.of(new float[]{1f, -3f}, 2));
        LsqQuantizer q = LsqQuantizer.signed(8, 1);
        q.initFrom(obs);
        assertEquals(2 * 2 / Math.sqrt(127), q.stepValue(), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> LsqQuantizer.unsigned(8, 1).initFrom(obs));
        assertThrows(IllegalArgumentException.class, () -> LsqQuantizer.signed(1, 1));
        assertThrows(IllegalArgumentException.class, () -> q.setStep(0));
    }
}
