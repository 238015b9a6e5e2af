package org.gaq.train;

import org.gaq.data.Split;
import org.gaq.data.Splits;
import org.gaq.model.EquivariantTransformer;
import org.gaq.pipeline.DemoPipeline;
import org.gaq.quant.ModelFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code gaq demo}'s pipeline end to end on a tiny model and budget: FP32 → QAT W8A8/W4A8 → integer files → eval → bench → table. */
class DemoPipelineTest {

    private static Split split() {
        return Splits.bySizes(TrainerTest.morse(48, 1), 24, 8, 16, 5);
    }

    private static DemoPipeline.Settings settings(Path out, Path fp32) {
        // A QAT budget of 6 ms: the first (scalar-only warm-up) epoch ends past it, so the pipeline adds one fully quantized epoch.
        return new DemoPipeline.Settings(out, fp32, TrainerTest.TINY, 1e-4, 1e-4, 16, 1, 8, 8, 0, 0.05, 4, 2, 1);
    }

    @Test
    void quantizesExportsEvaluatesAndTabulatesAGivenModel(@TempDir Path dir) throws Exception {
        Split split = split();
        EquivariantTransformer fp32 = new EquivariantTransformer(TrainerTest.TINY, 3);
        ElementEnergies.fit(split.train(), fp32.elementShift(), fp32.elementScale());
        Path fp32File = dir.resolve("fp32.safetensors");
        ModelFiles.save(fp32File, fp32);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path out = dir.resolve("demo");

        DemoPipeline.Summary summary = new DemoPipeline(settings(out, fp32File), new PrintStream(log, true, StandardCharsets.UTF_8))
                .run(split, "morse");

        List<DemoPipeline.Row> rows = summary.rows();
        assertEquals(3, rows.size());
        assertEquals(List.of(fp32File, out.resolve("w8a8.int.safetensors"), out.resolve("w4a8.int.safetensors")),
                rows.stream().map(DemoPipeline.Row::file).toList());
        for (DemoPipeline.Row r : rows) {
            var m = r.metrics();
            assertEquals(8, m.frames(), r.model());
            for (double v : new double[]{m.energyMaeMeV(), m.forceMaeMeVPerA(), m.leeMeVPerA(), r.latencyMs(), r.batchMsPerMolecule()}) {
                assertTrue(Double.isFinite(v) && v >= 0, r.model() + ": " + r);
            }
            assertTrue(r.latencyMs() > 0 && r.batchMsPerMolecule() > 0, r.toString());
            assertEquals(Files.size(r.file()), r.bytes());
        }
        assertEquals(0, rows.get(0).metrics().leeMeVPerA(), 1e-2, "FP32 is equivariant up to rounding");
        assertTrue(rows.get(1).bytes() < rows.get(0).bytes(), "W8A8 file smaller than FP32: " + rows);
        assertTrue(rows.get(2).bytes() < rows.get(1).bytes(), "W4A8 file smaller than W8A8: " + rows);

        String text = log.toString(StandardCharsets.UTF_8);
        for (int k = 1; k <= 6; k++) assertTrue(text.contains("[" + k + "/6]"), "step " + k + " announced:\n" + text);
        assertTrue(text.contains("one more epoch"), "QAT completed its first fully quantized epoch past the budget:\n" + text);
        String md = Files.readString(out.resolve("summary.md"));
        assertTrue(md.contains("| FP32 |") && md.contains("| GAQ W8A8 (int8) |") && md.contains("| GAQ W4A8 (int4) |"), md);
        assertTrue(Files.exists(out.resolve("qat-w8a8/best.safetensors")) && Files.exists(out.resolve("qat-w4a8/stage1/train.csv")));
        assertTrue(Files.exists(out.resolve("qat-w4a8/train.csv")), "W4A8 gets the frozen-codes stage, as gaq qat lays it out");
        assertFalse(Files.exists(out.resolve("qat-w8a8/stage1")), "W8A8 does not");
        assertFalse(Files.exists(out.resolve("fp32")), "no training when a model is given");
    }

    @Test
    void trainsAShortFp32ModelWithoutOne(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("demo");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        DemoPipeline.Summary summary = new DemoPipeline(settings(out, null), new PrintStream(log, true, StandardCharsets.UTF_8))
                .run(split(), "morse");
        assertEquals(out.resolve("fp32/best.safetensors"), summary.fp32().file());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("[1/6] FP32 model: training"), log.toString());
        assertTrue(summary.text().lines().count() == 5, summary.text());
    }

    @Test
    void theDemoCommandWiresItsOptionsToThePipeline(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("morse.xyz");
        org.gaq.data.ExtXyz.write(data, TrainerTest.morse(60, 2).frames());
        EquivariantTransformer fp32 = new EquivariantTransformer(TrainerTest.TINY, 4);
        Path fp32File = dir.resolve("fp32.safetensors");
        ModelFiles.save(fp32File, fp32);
        Path out = dir.resolve("demo");
        var cmd = org.gaq.cli.GaqCli.newCommandLine();
        java.io.StringWriter err = new java.io.StringWriter();
        cmd.setErr(new java.io.PrintWriter(err, true));
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = cmd.execute("demo", "--data", data.toString(), "--fp32-model", fp32File.toString(), "--qat-minutes", "0.0001",
                    "--qat-frames", "16", "--test-frames", "4", "--bench-warmup", "0", "--bench-seconds", "0.02", "--threads", "2",
                    "--out", out.toString());
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, code, err + "\n" + captured);
        String md = Files.readString(out.resolve("summary.md"));
        assertTrue(md.contains("(first 4 of 6 frames)") && md.contains("| GAQ W4A8 (int4) |"), md);
        assertTrue(captured.toString(StandardCharsets.UTF_8).contains("[6/6]"), captured.toString(StandardCharsets.UTF_8));
    }
}
