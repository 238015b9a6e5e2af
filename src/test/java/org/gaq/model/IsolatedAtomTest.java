package org.gaq.model;

import org.gaq.infer.Potential;
import org.gaq.data.Frame;
import org.gaq.data.NeighborList;
import org.gaq.md.ModelForceField;
import org.gaq.md.ModelForceField;
import org.gaq.train.Metrics;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Structures with no atom pair inside the cutoff are valid: an isolated atom has its element's energy (μ_Z plus the
 * network's constant for a lone atom, the limit as its neighbours leave the cutoff) and zero force.
 */
class IsolatedAtomTest {
    private static final EquivariantTransformer MODEL = new EquivariantTransformer(new ModelConfig(16, 2, 4, 8, 5.0, true, 18), 3);
    static {
        MODEL.elementShift()[1] = -13.6f;
        MODEL.elementShift()[8] = -2040f;
    }

    private static double energy(int[] z, double... x) {
        return new ModelForceField(Potential.of(MODEL), z).evaluate(x).energy();
    }

    @Test
    void anIsolatedAtomHasItsElementsEnergyAndNoForce() {
        var lone = new ModelForceField(Potential.of(MODEL), new int[]{8}).evaluate(new double[]{1, 2, 3});
        assertEquals(-2040, lone.energy(), 10, "μ_O plus the network's small constant");
        assertArrayEquals(new double[3], lone.forces(), 0);
        // The same through the i-PI engine (gaq drive) and the evaluation batches (gaq eval):
        assertEquals(lone.energy(), new ModelForceField(Potential.of(MODEL), new int[]{8}).evaluate(new double[]{1, 2, 3}).energy(), 0);
        var pred = MODEL.predict(NeighborList.batch(List.of(Frame.unlabeled(new int[]{8}, new double[]{1, 2, 3})), 5.0), false);
        assertEquals(lone.energy(), pred.energies()[0], 1e-6, "compiled engine (MD) against the tape, to float rounding");
    }

    @Test
    void moleculesFlyingApartEndAsTheSumOfTheirAtomsContinuously() {
        int[] oh = {8, 1};
        double apart = energy(oh, 0, 0, 0, 0, 0, 7.0);                  // no edge: two isolated atoms
        assertEquals(energy(new int[]{8}, 0, 0, 0) + energy(new int[]{1}, 0, 0, 0), apart, 1e-4);
        assertEquals(apart, energy(oh, 0, 0, 0, 0, 0, 4.9999), 1e-4, "continuous at the cutoff: no jump when the last edge goes");
        double[] f = new ModelForceField(Potential.of(MODEL), oh).evaluate(new double[]{0, 0, 0, 0, 0, 7.0}).forces();
        assertArrayEquals(new double[6], f, 0);
    }

    @Test
    void aBatchMayMixIsolatedAtomsAndMolecules() throws Exception {
        var frames = List.of(Frame.unlabeled(new int[]{1}, new double[3]).withLabels(-13.6, new double[3]),
                Frame.unlabeled(TestMolecules.ETHANOL_ELEMENTS, TestMolecules.ETHANOL_POSITIONS).withLabels(-4000, new double[27]));
        var r = Metrics.evaluate(MODEL, new org.gaq.data.Dataset("mixed", frames), 2, 1, 1, null);
        assertTrue(Double.isFinite(r.energyMaeMeV()) && Double.isFinite(r.forceMaeMeVPerA()) && Double.isFinite(r.leeMeVPerA()), r.toString());
    }
}
