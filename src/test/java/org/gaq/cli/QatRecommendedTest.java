package org.gaq.cli;

import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code gaq qat --recommended} makes the recipe's spec, and an explicit option still overrides it. */
class QatRecommendedTest {

    /** One QAT epoch of a tiny model on 24 H₂ frames (enough for a split) with {@code extra} options; the saved model's spec. */
    private static QuantizationSpec qat(Path dir, String name, String... extra) throws Exception {
        List<Object> args = new ArrayList<>(List.of("qat", "--from", CliRun.tinyModel(dir.resolve(name + "-fp32.safetensors")),
                "--data", CliRun.h2Frames(dir.resolve(name + ".xyz"), 24), "--recommended", "--epochs", "1", "--threads", "1",
                "--out", dir.resolve(name)));
        args.addAll(List.of(extra));
        CliRun run = CliRun.of(args.toArray());
        assertEquals(0, run.code, run.toString());
        return ((QuantizationPlan) ModelFiles.load(dir.resolve(name).resolve("best.safetensors")).sites()).spec();
    }

    @Test
    void recommendedQuantizesVectorsInLocalFramesUnlessTheSchemeIsGiven(@TempDir Path dir) throws Exception {
        QuantizationSpec recommended = qat(dir, "recommended");
        assertEquals(QuantizationSpec.VectorScheme.LOCAL_FRAME, recommended.vectorScheme());
        assertEquals(QuantizationSpec.Gradient.IDENTITY, recommended.gradient());
        assertEquals(List.of("rbf_in", "scalar_message"), recommended.fullPrecisionSites());
        assertEquals(QuantizationSpec.VectorScheme.MDDQ, qat(dir, "laboratory", "--vector-scheme", "mddq").vectorScheme(),
                "an explicit --vector-scheme overrides the recipe");
    }
}
