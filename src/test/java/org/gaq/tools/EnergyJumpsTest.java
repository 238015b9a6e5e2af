package org.gaq.tools;

import org.gaq.data.Frame;
import org.gaq.infer.Potential;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.model.TestMolecules;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** r_t = ΔE + ½(F_t + F_{t+1})·Δx: the trapezoid rule's O(Δx³) error for a smooth model, and checked input. */
class EnergyJumpsTest {
    @Test
    void aSmoothModelsEnergyIsTheIntegralOfItsForces() {
        EquivariantTransformer model = new EquivariantTransformer(new ModelConfig(32, 2, 4, 16, 5.0, true, 9), 3);
        Potential potential = Potential.of(model);
        Frame start = TestMolecules.ethanolLike(1, 2).get(0);
        List<Frame> path = new ArrayList<>();
        double energyChange = 0;
        for (int t = 0; t <= 20; t++) {
            double[] p = start.positions().clone();
            p[0] += 0.01 * t;           // the first carbon moves along x
            p[4] -= 0.005 * t;
            path.add(Frame.unlabeled(start.atomicNumbers(), p));
        }
        double[] r = EnergyJumps.residuals(potential, path);
        assertEquals(20, r.length);
        for (int t = 0; t < r.length; t++) {
            double de = 1000 * Math.abs(potential.energyAndForces(path.get(t + 1).atomicNumbers(), path.get(t + 1).positions()).energy()
                    - potential.energyAndForces(path.get(t).atomicNumbers(), path.get(t).positions()).energy());
            energyChange = Math.max(energyChange, de);
            assertTrue(Math.abs(r[t]) < 0.02 * de + 1e-3, "step " + t + ": r " + r[t] + " meV against ΔE " + de + " meV");
        }
        assertTrue(energyChange > 0.2, "the path changes the energy: " + energyChange + " meV");
    }

    @Test
    void framesOfOtherAtomsAreRefused() {
        Potential potential = Potential.of(new EquivariantTransformer(new ModelConfig(32, 2, 4, 16, 5.0, true, 9), 3));
        Frame a = TestMolecules.ethanolLike(1, 2).get(0);
        Frame b = Frame.unlabeled(new int[]{1, 1}, new double[]{0, 0, 0, 0.7, 0, 0});
        var e = assertThrows(IllegalArgumentException.class, () -> EnergyJumps.residuals(potential, List.of(a, b)));
        assertTrue(e.getMessage().contains("other atoms"), e.getMessage());
    }
}
