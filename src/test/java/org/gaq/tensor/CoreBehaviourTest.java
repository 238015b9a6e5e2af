package org.gaq.tensor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Graph bookkeeping, no-grad mode, straight-through ops and error messages. */
class CoreBehaviourTest {

    @Test
    void noGradModeRecordsNothing() {
        Tensor x = Tensor.leaf(new float[]{1, 2, 3}, 3);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor y = x.exp().mul(x);
            assertFalse(y.requiresGrad());
            assertNull(y.gradFn());
        }
        assertTrue(x.exp().requiresGrad(), "recording resumes after the scope");
    }

    @Test
    void gradientWithoutCreateGraphIsAConstant() {
        Tensor x = Tensor.leaf(new float[]{1, 2, 3}, 3);
        Tensor g = Autograd.grad(x.square().sum(), new Tensor[]{x}, false)[0];
        assertFalse(g.requiresGrad());
        assertArrayEquals(new float[]{2, 4, 6}, g.data());
        Tensor g2 = Autograd.grad(x.square().sum(), new Tensor[]{x}, true)[0];
        assertTrue(g2.requiresGrad(), "createGraph keeps the gradient on the graph");
    }

    @Test
    void reusedTensorsAccumulateGradients() {
        Tensor x = Tensor.leaf(new float[]{3}, 1);
        Tensor y = x.mul(x).add(x).sum();          // y = x² + x, dy/dx = 2x + 1 = 7
        assertEquals(7f, Autograd.grad(y, new Tensor[]{x}, false)[0].item());
    }

    @Test
    void unusedInputGetsZeros() {
        Tensor x = Tensor.leaf(new float[]{1, 2}, 2), z = Tensor.leaf(new float[]{5}, 1);
        Tensor[] g = Autograd.grad(x.sum(), new Tensor[]{x, z}, false);
        assertArrayEquals(new float[]{0}, g[1].data());
    }

    @Test
    void straightThroughRoundAndMaskedClamp() {
        Tensor x = Tensor.leaf(new float[]{-2.6f, 0.4f, 1.5f, 2.5f, 9f}, 5);
        Tensor q = StraightThrough.roundSte(StraightThrough.clampMasked(x, -2f, 3f));
        assertArrayEquals(new float[]{-2, 0, 2, 2, 3}, q.data(), "clamp then round half to even");
        Tensor g = Autograd.grad(q.mul(Tensor.of(new float[]{1, 2, 3, 4, 5}, 5)).sum(), new Tensor[]{x}, false)[0];
        assertArrayEquals(new float[]{0, 2, 3, 4, 0}, g.data(), "gradient passes inside [lo, hi] only");
    }

    @Test
    void lsqStepGradientIsRoundingResidual() {
        // x_q = round(clamp(x/s)) s: ∂x_q/∂s = round(x/s) − x/s inside the range, ±Qmax outside.
        Tensor s = Tensor.leaf(new float[]{0.5f}, 1);
        Tensor x = Tensor.of(new float[]{0.6f, -0.3f, 100f}, 3);
        Tensor v = StraightThrough.clampMasked(x.div(s), -127f, 127f);
        Tensor xq = StraightThrough.roundSte(v).mul(s);
        float[] g = new float[3];
        for (int i = 0; i < 3; i++) {
            Tensor pick = Tensor.of(new float[]{i == 0 ? 1 : 0, i == 1 ? 1 : 0, i == 2 ? 1 : 0}, 3);
            g[i] = Autograd.grad(xq.mul(pick).sum(), new Tensor[]{s}, false)[0].item();
        }
        assertEquals(1f - 1.2f, g[0], 1e-6);
        assertEquals(-1f + 0.6f, g[1], 1e-6);
        assertEquals(127f, g[2], 1e-6);
    }

    @Test
    void customOpUsesItsOwnBackward() {
        StraightThrough.CustomOp cube = new StraightThrough.CustomOp() {
            public Tensor forward(Tensor[] in) { return in[0].square().mul(in[0]); }
            public Tensor[] backward(Tensor g, Tensor[] in, Tensor out) { return new Tensor[]{g.mul(in[0].square()).mul(3f)}; }
        };
        Tensor x = Tensor.leaf(new float[]{2f}, 1);
        Tensor y = StraightThrough.apply("cube", cube, x);
        assertEquals(8f, y.item());
        Tensor dy = Autograd.grad(y.sum(), new Tensor[]{x}, true)[0];
        assertEquals(12f, dy.item());
        assertEquals(12f, Autograd.grad(dy.sum(), new Tensor[]{x}, false)[0].item(), 1e-5, "second derivative 6x");
    }

    @Test
    void scaleGradScalesOnlyTheGradient() {
        Tensor x = Tensor.leaf(new float[]{2f}, 1);
        Tensor y = StraightThrough.scaleGrad(x, 0.25f);
        assertEquals(2f, y.item());
        assertEquals(0.25f, Autograd.grad(y.sum(), new Tensor[]{x}, false)[0].item());
    }

    @Test
    void badShapesNameTheOpAndBothShapes() {
        Tensor a = Tensor.zeros(3, 4), b = Tensor.zeros(5, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> a.matmul(b));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5, 2]"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> a.add(Tensor.zeros(3)));
        assertTrue(e2.getMessage().contains("add") && e2.getMessage().contains("[3, 4]") && e2.getMessage().contains("[3]"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> a.reshape(5, -1));
        assertTrue(e3.getMessage().contains("reshape"), e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> Shapes.concat(List.of(a, b), 0));
        assertTrue(e4.getMessage().contains("concat"), e4.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.narrow(1, 3, 2));
        assertThrows(IllegalArgumentException.class, () -> a.sum(2, false));
    }

    @Test
    void badIndicesNameTheOpAndThePosition() {
        Tensor a = Tensor.zeros(3, 2);
        var e = assertThrows(IndexOutOfBoundsException.class, () -> a.gatherRows(new int[]{0, 3}));
        assertTrue(e.getMessage().contains("gatherRows") && e.getMessage().contains("position 1"), e.getMessage());
        var e2 = assertThrows(IndexOutOfBoundsException.class, () -> a.indexAdd(new int[]{0, -1, 1}, 2));
        assertTrue(e2.getMessage().contains("indexAdd"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.indexAdd(new int[]{0, 1}, 2), "index count must match rows");
    }

    @Test
    void segmentSoftmaxSumsToOneWithoutWeightsAndEps() {
        int[] seg = {0, 1, 0, 1, 1};
        Tensor logits = Tensor.of(new float[]{1, 50, 2, -3, 4, 0, 100, 1, 2, 2}, 5, 2);
        Tensor a = Functional.segmentSoftmax(logits, null, seg, 2, 0f);
        float[] sums = a.indexAdd(seg, 2).data();
        for (float s : sums) assertEquals(1f, s, 1e-6);
    }

    @Test
    void segmentOpsOnNoEdgesGiveZeroRowsOfTheRightShape() {
        // A structure with no atom pair inside the cutoff has no edges: every segment sum is over nothing.
        Tensor none = Tensor.leaf(new float[0], 0, 8);
        Tensor sum = none.indexAdd(new int[0], 3);
        assertArrayEquals(new int[]{3, 8}, sum.shape());
        assertArrayEquals(new float[24], sum.data());
        Tensor g = Autograd.grad(sum.sum(), new Tensor[]{none}, false)[0];
        assertArrayEquals(new int[]{0, 8}, g.shape());
    }
}
