package org.gaq.quant;

import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.model.QuantizationSites;
import org.gaq.model.TestMolecules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Calibration observes without changing the model, and gives a quantizer to exactly the sites the spec quantizes. */
class CalibratorTest {
    private static final ModelConfig TINY = new ModelConfig(16, 3, 4, 8, 5.0, true, 18);

    @Test
    void observingLeavesTheModelAsItIs() {
        EquivariantTransformer m = new EquivariantTransformer(TINY, 3);
        GraphBatch g = NeighborList.batch(TestMolecules.ethanolLike(3, 2), TINY.cutoff());
        var fp32 = m.predict(g, false);
        m.setSites(new Calibrator(QuantizationSpec.w4a8()));
        var observed = m.predict(g, false);
        assertArrayEquals(fp32.energies(), observed.energies(), 0);
        assertArrayEquals(fp32.forces().data(), observed.forces().data(), 0);
    }

    @Test
    void everySiteTheSpecQuantizesGetsAQuantizerAndNoOther(@TempDir Path dir) {
        EquivariantTransformer m = new EquivariantTransformer(TINY, 3);
        var spec = QuantizationSpec.w8a8().withFullPrecisionSites(List.of(QuantizationSites.Activation.RBF_IN.key(), "layers.1.vector_message"));
        QuantizationPlan plan = Calibrator.calibrate(m, spec, TestMolecules.ethanolLike(4, 1), 2);
        assertSame(plan, m.sites(), "the calibrated plan is attached");
        Set<String> expected = new LinkedHashSet<>();
        for (int l = 0; l < TINY.layers(); l++) {
            for (var a : QuantizationSites.Activation.values()) {
                String site = a.in(l);
                if (a == QuantizationSites.Activation.RBF_IN || site.equals("layers.1.vector_message")) continue;
                if (l == 0 && a == QuantizationSites.Activation.VECTOR_IN) continue;   // v = 0 entering layer 0
                expected.add(site);
            }
        }
        assertEquals(expected, new LinkedHashSet<>(plan.describeSites().keySet()));

        m.setSites(new Calibrator(spec));
        assertThrows(IllegalStateException.class, () -> ModelFiles.save(dir.resolve("m.safetensors"), m), "no file of a model half calibrated");
    }
}
