package org.gaq.quant;

import org.gaq.model.LocalFrames;
import org.gaq.tensor.Autograd;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.gaq.quant.Vectors.*;
import static org.junit.jupiter.api.Assertions.*;

/** MDDQ in local frames: Q(R·h) = R·Q(h) for frames that turn with R; the gradient is MDDQ's, conjugated by the frame. */
class LocalFrameQuantizerTest {
    private static final int N = 6, F = 16;

    /** Frames given directly (rows of a rotation per atom). */
    private static LocalFrames given(float[] e) {
        return LocalFrames.given(Tensor.of(e, N, 3, 3));
    }

    private static float[] randomFrames(SplittableRandom rng) {
        float[] e = new float[9 * N];
        for (int i = 0; i < N; i++) {
            double[] r = randomRotation(rng);
            for (int k = 0; k < 9; k++) e[9 * i + k] = (float) r[k];
        }
        return e;
    }

    /** Each atom's frame turned by R: rows e_k → R e_k, i.e. E' = E·Rᵀ. */
    private static float[] rotateFrames(float[] e, double[] r) {
        float[] out = new float[e.length];
        for (int i = 0; i < N; i++) {
            for (int k = 0; k < 3; k++) {
                for (int a = 0; a < 3; a++) {
                    double s = 0;
                    for (int b = 0; b < 3; b++) s += r[3 * a + b] * e[9 * i + 3 * k + b];
                    out[9 * i + 3 * k + a] = (float) s;
                }
            }
        }
        return out;
    }

    private static Tensor randomFeatures(SplittableRandom rng) {
        double[][][] v = new double[N][F][];
        for (int a = 0; a < N; a++)
            for (int c = 0; c < F; c++) {
                double[] u = randomUnit(rng);
                double r = 0.05 + 3 * rng.nextDouble();
                v[a][c] = new double[]{r * u[0], r * u[1], r * u[2]};
            }
        return features(v, false);
    }

    @Test
    void quantizedVectorsRotateExactlyWithTheirFrames() {
        SplittableRandom rng = new SplittableRandom(5);
        LocalFrameQuantizer local = new LocalFrameQuantizer(new MddqQuantizer(8, 8, 0.02));
        MddqQuantizer lab = new MddqQuantizer(8, 8, 0.02);
        Tensor h = randomFeatures(rng);
        float[] e = randomFrames(rng);
        double worstLocal = 0, worstLab = 0;
        for (int k = 0; k < 5; k++) {
            double[] r = randomRotation(rng);
            Tensor expected = rotate(local.apply(h, given(e)), r);
            Tensor got = local.apply(rotate(h, r), given(rotateFrames(e, r)));
            Tensor expectedLab = rotate(lab.apply(h), r), gotLab = lab.apply(rotate(h, r));
            for (int i = 0; i < h.size(); i++) {
                worstLocal = Math.max(worstLocal, Math.abs(expected.data()[i] - got.data()[i]));
                worstLab = Math.max(worstLab, Math.abs(expectedLab.data()[i] - gotLab.data()[i]));
            }
        }
        // float rounding of the rotations (values up to 3) against the direction grid's δ/2 = 0.004 per unit length
        assertTrue(worstLocal < 1e-5, "local frames: " + worstLocal);
        assertTrue(worstLab > 1e-3, "the laboratory grid does not rotate: " + worstLab);
    }

    @Test
    void withTheLaboratoryFrameItIsMddq() {
        Tensor h = randomFeatures(new SplittableRandom(2));
        float[] identity = new float[9 * N];
        for (int i = 0; i < N; i++) identity[9 * i] = identity[9 * i + 4] = identity[9 * i + 8] = 1f;
        Tensor a = new LocalFrameQuantizer(new MddqQuantizer(8, 8, 0.02)).apply(h, given(identity));
        Tensor b = new MddqQuantizer(8, 8, 0.02).apply(h);
        assertArrayEquals(b.data(), a.data());
    }

    /**
     * The frame is a constant, so the straight-through gradient is Eᵀ (∂MDDQ/∂c) E: the gradient of Σ w·Q(h) equals
     * MDDQ's gradient at c = E·h with weights E·w, turned back. The rotations themselves are linear: their first and
     * second derivatives match central differences (the path is smooth there).
     */
    @Test
    void gradientIsMddqsConjugatedByTheFrame() {
        SplittableRandom rng = new SplittableRandom(9);
        float[] e = randomFrames(rng);
        Tensor frames = Tensor.of(e, N, 3, 3);
        MddqQuantizer mddq = new MddqQuantizer(8, 8, 0.02);
        LocalFrameQuantizer local = new LocalFrameQuantizer(mddq);
        Tensor h = randomFeatures(rng).asLeaf();
        Tensor w = Tensor.randn(rng, 1f, N, 3, F);
        Tensor g = Autograd.grad(local.apply(h, given(e)).mul(w).sum(), new Tensor[]{h}, false)[0];

        Tensor c = LocalFrameQuantizer.rotate(h.detach(), frames, false).asLeaf();
        Tensor wc = LocalFrameQuantizer.rotate(w, frames, false);
        Tensor gc = Autograd.grad(mddq.apply(c).mul(wc).sum(), new Tensor[]{c}, false)[0];
        Tensor expected = LocalFrameQuantizer.rotate(gc, frames, true);
        for (int i = 0; i < g.size(); i++) assertEquals(expected.data()[i], g.data()[i], 1e-4 * (1 + Math.abs(expected.data()[i])));

        // rotate: first derivative against central differences, and its gradient differentiated again (createGraph)
        for (boolean back : new boolean[]{false, true}) {
            Tensor x = randomFeatures(rng).asLeaf();
            Tensor gx = Autograd.grad(LocalFrameQuantizer.rotate(x, frames, back).mul(w).sum(), new Tensor[]{x}, true)[0];
            float[] base = x.data().clone();
            for (int i = 0; i < base.length; i += 7) {
                double step = 1e-2;
                float[] plus = base.clone(), minus = base.clone();
                plus[i] += (float) step;
                minus[i] -= (float) step;
                double fp = LocalFrameQuantizer.rotate(Tensor.of(plus, N, 3, F), frames, back).mul(w).sum().item();
                double fm = LocalFrameQuantizer.rotate(Tensor.of(minus, N, 3, F), frames, back).mul(w).sum().item();
                assertEquals((fp - fm) / (2 * step), gx.data()[i], 2e-3, "d/dx " + i + (back ? " (back)" : " (to frame)"));
            }
            // the gradient of a linear map does not depend on x: its derivative is 0, and it exists (second order)
            Tensor second = Autograd.grad(gx.mul(w).sum(), new Tensor[]{x}, false)[0];
            for (float s : second.data()) assertEquals(0f, s, 0f);
        }
    }

    @Test
    void withoutFramesItRefusesToGuess() {
        LocalFrameQuantizer local = new LocalFrameQuantizer(new MddqQuantizer(8, 8, 0.02));
        Tensor h = randomFeatures(new SplittableRandom(1));
        var ex = assertThrows(IllegalStateException.class, () -> local.apply(h));
        assertTrue(ex.getMessage().contains("local frames"), ex.getMessage());
        float[] tooFew = new float[9];
        assertThrows(IllegalArgumentException.class, () -> local.apply(h, LocalFrames.given(Tensor.of(tooFew, 1, 3, 3))));
        assertThrows(IllegalArgumentException.class, () -> LocalFrames.given(Tensor.of(tooFew, 1, 9)));
    }
}
