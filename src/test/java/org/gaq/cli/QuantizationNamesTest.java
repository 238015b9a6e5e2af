package org.gaq.cli;

import org.gaq.quant.QuantizationSpec;
import org.gaq.train.QatRecipe;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The command line's names of quantization settings: each known name maps to its setting, and a wrong one is named back. */
class QuantizationNamesTest {
    @Test
    void namesMapToSettingsAndWrongNamesListTheRightOnes() {
        assertEquals(QatRecipe.Bits.W4A8, QuantizationNames.bits("w4a8"));
        for (QatRecipe.Bits b : QatRecipe.Bits.values()) assertEquals(b, QuantizationNames.bits(b.cliName()));
        assertEquals(QuantizationSpec.VectorScheme.LOCAL_FRAME, QuantizationNames.vectorScheme("local-frame"));
        assertEquals(QatRecipe.Method.DEGREE_QUANT, QuantizationNames.method("degree-quant"));
        assertEquals(QuantizationSpec.Calibration.MEAN_ABS, QuantizationNames.calibration("mean-abs"));
        var bad = assertThrows(IllegalArgumentException.class, () -> QuantizationNames.vectorScheme("local"));
        assertTrue(bad.getMessage().contains("local-frame") && bad.getMessage().contains("'local'"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QuantizationNames.bits("w8a4"));
        assertThrows(IllegalArgumentException.class, () -> QuantizationNames.gradient("straight"));
        assertThrows(IllegalArgumentException.class, () -> QuantizationNames.weightRange("min"));
    }
}
