package org.gaq.cli;

import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code gaq qat --recommended} makes the recipe's spec, and an explicit option still overrides it. */
class QatRecommendedTest {
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = GaqCli.newCommandLine();
        cmd.setOut(new PrintWriter(new StringWriter(), true)).setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    /** 24 water-like frames with jittered positions and made-up labels: enough for a split and one QAT epoch. */
    private static Path waters(Path dir) throws java.io.IOException {
        Random random = new Random(3);
        StringBuilder sb = new StringBuilder();
        double[][] base = {{0, 0, 0}, {0.96, 0, 0}, {-0.24, 0.93, 0}};
        String[] elements = {"O", "H", "H"};
        for (int f = 0; f < 24; f++) {
            sb.append("3\nProperties=species:S:1:pos:R:3:forces:R:3 energy=")
                    .append(String.format(Locale.ROOT, "%.4f", -2.0 + 0.1 * random.nextGaussian())).append(" pbc=\"F F F\"\n");
            for (int a = 0; a < 3; a++) {
                sb.append(elements[a]);
                for (int k = 0; k < 3; k++) sb.append(String.format(Locale.ROOT, " %.4f", base[a][k] + 0.05 * random.nextGaussian()));
                for (int k = 0; k < 3; k++) sb.append(String.format(Locale.ROOT, " %.4f", 0.1 * random.nextGaussian()));
                sb.append('\n');
            }
        }
        Path xyz = dir.resolve("waters.xyz");
        Files.writeString(xyz, sb);
        return xyz;
    }

    private QuantizationSpec qat(Path dir, String name, String... extra) throws Exception {
        Path model = dir.resolve("fp32.safetensors");
        if (!Files.exists(model)) Checkpoint.save(model, new EquivariantTransformer(new ModelConfig(8, 1, 2, 4, 5.0, true, 18), 1));
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("qat", "--from", model.toString(), "--data",
                waters(dir).toString(), "--recommended", "--epochs", "1", "--threads", "1", "--out", dir.resolve(name).toString()));
        args.addAll(java.util.List.of(extra));
        assertEquals(0, run(args.toArray(new String[0])), err.toString());
        return ((QuantizationPlan) ModelFiles.load(dir.resolve(name).resolve("best.safetensors")).sites()).spec();
    }

    @Test
    void recommendedQuantizesVectorsInLocalFramesUnlessTheSchemeIsGiven(@TempDir Path dir) throws Exception {
        QuantizationSpec recommended = qat(dir, "recommended");
        assertEquals(QuantizationSpec.VectorScheme.LOCAL_FRAME, recommended.vectorScheme());
        assertEquals(QuantizationSpec.Gradient.IDENTITY, recommended.gradient());
        assertEquals(java.util.List.of("rbf_in", "scalar_message"), recommended.fullPrecisionSites());
        assertEquals(QuantizationSpec.VectorScheme.MDDQ, qat(dir, "laboratory", "--vector-scheme", "mddq").vectorScheme(),
                "an explicit --vector-scheme overrides the recipe");
    }
}
