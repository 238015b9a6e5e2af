package org.gaq.quant;

import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Degree-Quant's protective masking: probabilities follow degree, protected rows are exactly FP32. */
class ProtectiveMaskingTest {

    /** A chain of 4 atoms 1.5 Å apart with a 2 Å cutoff: degrees 1, 2, 2, 1. */
    static GraphBatch chain() {
        double[] p = {0, 0, 0, 1.5, 0, 0, 3.0, 0, 0, 4.5, 0, 0};
        return NeighborList.batch(List.of(Frame.unlabeled(new int[]{6, 6, 6, 6}, p)), 2.0);
    }

    @Test
    void protectionProbabilityRisesWithDegree() {
        double[] p = new ProtectiveMasking(0.0, 0.2).probabilities(chain());
        // Ends (degree 1): nobody below, one tie → rank ½/3; middles: two below, one tie → rank 2.5/3.
        assertEquals(0.2 * 0.5 / 3, p[0], 1e-12);
        assertEquals(0.2 * 2.5 / 3, p[1], 1e-12);
        assertEquals(p[1], p[2], 0);
        assertEquals(p[0], p[3], 0);
    }

    @Test
    void protectedRowsAreFullPrecisionAndTheRestQuantized() {
        ProtectiveMasking masking = new ProtectiveMasking(1.0, 1.0);   // every atom protected
        Tensor x = Tensor.of(new float[]{0.123f, -0.456f, 0.789f, 0.1f}, 4, 1);
        Tensor q = Tensor.of(new float[]{0.1f, -0.5f, 0.8f, 0.1f}, 4, 1);
        assertSame(q, masking.protect(x, q), "outside begin/end nothing is protected");
        masking.begin(chain(), new SplittableRandom(1));
        try {
            assertArrayEquals(x.data(), masking.protect(x, q).data(), 0f);
            Tensor edges = Tensor.zeros(6, 1);                          // 6 edges ≠ 4 atoms: edge features stay quantized
            assertSame(edges, masking.protect(Tensor.ones(6, 1), edges));
        } finally {
            masking.end();
        }
        ProtectiveMasking none = new ProtectiveMasking(0.0, 0.0);
        none.begin(chain(), new SplittableRandom(1));
        try {
            assertArrayEquals(q.data(), none.protect(x, q).data(), 0f);
        } finally {
            none.end();
        }
    }

    @Test
    void fullyProtectedForwardIgnoresNodeQuantizersAndEvaluationIsUnmasked() {
        var frames = QuantizationPlanTest.molecules(2, 7);
        GraphBatch g = NeighborList.batch(frames, QuantizationPlanTest.TINY.cutoff());
        EquivariantTransformer m = new EquivariantTransformer(QuantizationPlanTest.TINY, 11);
        QuantizationPlan plan = QuantizationPlanTest.calibrated(m, QuantizationSpec.naivePtq(), g);
        double[] quantized = m.predict(g, false).energies();
        double[] protectedAll = withEveryAtomProtected(m, plan, g);
        assertArrayEquals(quantized, m.predict(g, false).energies(), 0, "no mask outside a training batch");
        assertFalse(java.util.Arrays.equals(quantized, protectedAll));

        // Same plan with every node site's step tripled: the unprotected model changes, the protected one
        // does not (its node activations bypass the quantizers; only the radial basis and weights are quantized).
        java.util.Map<String, float[]> steps = new java.util.LinkedHashMap<>(plan.steps());
        steps.replaceAll((site, s) -> site.endsWith("rbf_in") ? s : new float[]{3 * s[0]});
        QuantizationPlan coarser = QuantizationPlan.withSavedSteps(plan.spec(), steps);
        m.setSites(coarser);
        assertFalse(java.util.Arrays.equals(quantized, m.predict(g, false).energies()));
        assertArrayEquals(protectedAll, withEveryAtomProtected(m, coarser, g), 0);
    }

    private static double[] withEveryAtomProtected(EquivariantTransformer m, QuantizationPlan plan, GraphBatch g) {
        ProtectiveMasking all = new ProtectiveMasking(1.0, 1.0);
        plan.setProtectiveMasking(all);
        all.begin(g, new SplittableRandom(3));
        try {
            return m.predict(g, false).energies();
        } finally {
            all.end();
            plan.setProtectiveMasking(null);
        }
    }

    @Test
    void badProbabilitiesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new ProtectiveMasking(0.3, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new ProtectiveMasking(-0.1, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new ProtectiveMasking(0.0, 1.5));
    }
}
