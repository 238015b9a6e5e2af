package org.gaq.train;

import org.gaq.data.Split;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.QuantizationSites;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The QAT run of gaq qat and gaq demo: its stages, its folder layout, and a budget that ends inside the warm-up. */
class QatRunTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @Test
    void theFrozenCodesStageKeepsTheMainStagesCodesAndWritesTheFinalModelIntoTheRunFolder(@TempDir Path dir) throws Exception {
        Split split = TrainerTest.split();
        EquivariantTransformer model = QatTrainerTest.calibratedModel(split, 4);
        Path best = QatRun.mainStage(QatTrainerTest.qat(2, 0f, 1)).thenFrozenCodes(QatTrainerTest.qat(1, 0f, 0)).run(model, split, dir, QUIET);
        assertEquals(dir.resolve("best.safetensors"), best);
        assertTrue(Files.exists(dir.resolve("stage1/best.safetensors")) && Files.exists(dir.resolve("train.csv")));
        assertSameCodes(dir.resolve("stage1/best.safetensors"), best);
    }

    @Test
    void withoutAMainStageTheModelStartsTheFrozenStageAsItIs(@TempDir Path dir) throws Exception {
        Split split = TrainerTest.split();
        EquivariantTransformer model = QatTrainerTest.calibratedModel(split, 5);
        Path best = QatRun.withoutMainStage().thenFrozenCodes(QatTrainerTest.qat(1, 0f, 0)).run(model, split, dir, QUIET);
        assertSameCodes(dir.resolve("stage1/start.safetensors"), best);
        assertThrows(IllegalArgumentException.class, () -> QatRun.withoutMainStage().freezeOscillatingWeights(0.02f));
        assertThrows(IllegalStateException.class, () -> QatRun.withoutMainStage().run(model, split, dir.resolve("none"), QUIET));
    }

    @Test
    void aBudgetEndingInsideTheWarmUpIsFollowedByOneFullyQuantizedEpoch(@TempDir Path dir) throws Exception {
        Split split = TrainerTest.split();
        EquivariantTransformer model = QatTrainerTest.calibratedModel(split, 6);
        var noTime = QatTrainerTest.qat(10, 0f, 2).toBuilder().maxMinutes(1e-9).build();
        Path best = QatRun.mainStage(noTime).run(model, split, dir, QUIET);
        assertEquals(dir.resolve("best.safetensors"), best);
        assertEquals(1 + 3, Files.readAllLines(dir.resolve("train.csv")).size(), "two warm-up epochs and one with every branch quantized");
    }

    private static void assertSameCodes(Path a, Path b) throws Exception {
        EquivariantTransformer ma = ModelFiles.load(a), mb = ModelFiles.load(b);
        QuantizationPlan pa = (QuantizationPlan) ma.sites(), pb = (QuantizationPlan) mb.sites();
        int compared = 0;
        for (var e : ma.parameters().entrySet()) {
            if (!QuantizationSites.isQuantizedWeight(e.getKey())) continue;
            assertArrayEquals(pa.quantizedWeight(e.getKey(), e.getValue()).codes(),
                    pb.quantizedWeight(e.getKey(), mb.parameters().get(e.getKey())).codes(), e.getKey());
            compared++;
        }
        assertTrue(compared > 0);
    }
}
