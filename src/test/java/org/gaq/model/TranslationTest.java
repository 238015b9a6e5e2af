package org.gaq.model;

import org.gaq.infer.Potential;
import org.gaq.data.Frame;
import org.gaq.data.NeighborList;
import org.gaq.md.ModelForceField;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Energies and forces do not depend on where a molecule sits: positions reach float32 only after a shift to the origin. */
class TranslationTest {
    private static final EquivariantTransformer MODEL = new EquivariantTransformer(new ModelConfig(16, 2, 4, 8, 5.0, true, 18), 7);

    private static double[] moved(double[] x, double... by) {
        double[] y = x.clone();
        for (int i = 0; i < y.length; i++) y[i] += by[i % 3];
        return y;
    }

    @Test
    void forcesOfAMoleculeMovedBy1e6AngstromAreTheSameToFloatNoise() {
        double[] x = TestMolecules.ETHANOL_POSITIONS;
        ModelForceField here = new ModelForceField(Potential.of(MODEL), TestMolecules.ETHANOL_ELEMENTS);
        var reference = here.evaluate(x);
        double scale = 0;
        for (double f : reference.forces()) scale = Math.max(scale, Math.abs(f));
        for (double[] by : new double[][]{{1e6, 0, 0}, {1e6 + 0.37, -2.5e5 - 0.11, 3.3e6 + 0.05}, {-1e7, 1e7, 5}}) {
            var far = here.evaluate(moved(x, by));
            for (int i = 0; i < x.length; i++) {
                // Float noise: the coordinates round differently (≤ 2.4e-7 Å near the origin); the error this replaces was 98%.
                assertEquals(reference.forces()[i], far.forces()[i], 1e-5 * scale, "force component " + i + " moved by " + by[0]);
            }
            assertEquals(reference.energy(), far.energy(), 1e-5, "energy moved by " + by[0]);
        }
    }

    @Test
    void aMoleculeNearTheOriginIsNotMovedAtAllAndEachMoleculeOfABatchIsMovedOnItsOwn() {
        Frame near = Frame.unlabeled(TestMolecules.ETHANOL_ELEMENTS, TestMolecules.ETHANOL_POSITIONS);
        Frame far = near.withPositions(moved(TestMolecules.ETHANOL_POSITIONS, 40.3, 0, -1e5));
        float[] pos = NeighborList.batch(List.of(near, far), 5.0).positions();
        int n = near.numAtoms();
        for (int i = 0; i < 3 * n; i++) {
            assertEquals((float) near.positions()[i], pos[i], 0f, "bit-for-bit as before near the origin");
            assertEquals(near.positions()[i], pos[3 * n + i] - (i % 3 == 0 ? 40.3 - 48 : i % 3 == 2 ? -1e5 + 1e5 : 0), 1e-5,
                    "moved by a multiple of 16 Å towards the origin");
        }
    }
}
