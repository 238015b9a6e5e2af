package org.gaq.report;

import org.gaq.md.RunFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ResultsReportTest {
    @TempDir Path root;

    private void evalRecord(String ref, String model, double e, double f, Double lee, double[] perFrame) throws IOException {
        Path modelFile = root.resolve(model);
        Files.createDirectories(modelFile.getParent());
        if (!Files.exists(modelFile)) Files.writeString(modelFile, "weights of " + model);
        Records.write(root.resolve("results/eval/" + ref + ".json"), new Records.Eval(ref, model, Records.sha256(modelFile), "FP32",
                "rmd17:ethanol", "test", perFrame.length, 1, 1, e, f, 2 * e, 2 * f, lee, perFrame, "./gaq eval " + model, "2026-11-30"));
    }

    @Test
    void tablesAndInlineValuesComeFromTheRecords() throws IOException {
        evalRecord("ethanol/fp32", "models/a.safetensors", 1.161, 7.2034, 0.00266, new double[]{5, 7, 9});
        evalRecord("ethanol/w8", "models/b.safetensors", 6.07, 10.03, 7.28, new double[]{8, 10, 12});
        String template = """
                # Title
                <!-- gaq:table E F LEE -->
                | FP32 | ethanol/fp32 |
                | **W8** | ethanol/w8 |
                | lost | ethanol/missing |
                <!-- gaq:end -->
                W8 forces {{ethanol/w8:F}} vs {{ethanol/fp32:F}} meV/Å.
                """;
        ResultsReport report = new ResultsReport(root);
        String md = report.expand(template);
        assertTrue(md.contains("| model | energy MAE (meV) | force MAE (meV/Å) | LEE forces (meV/Å) |"), md);
        assertTrue(md.contains("| FP32 | 1.16 | 7.20 | 0.0027 |"), md);
        assertTrue(md.contains("| **W8** | 6.07 | 10.03 | 7.28 |"), md);
        assertTrue(md.contains("| lost | — | — | — |"), md);
        assertTrue(md.contains("W8 forces 10.03 vs 7.20 meV/Å."), md);
        assertFalse(md.contains("gaq:"), "directives are consumed: " + md);
        assertEquals(List.of("no evaluation record results/eval/ethanol/missing.json"), report.warnings());
    }

    @Test
    void tableTwoOfTheIntegerModelsGivesRatiosToFp32AndToThePaper() throws IOException {
        evalRecord("t2/aspirin/fp32", "models/f.safetensors", 4.0, 20.0, 0.003, new double[]{20});
        evalRecord("t2/aspirin/gaq-w8a8-int", "models/8.safetensors", 5.0, 21.0, 0.5, new double[]{21});
        evalRecord("t2/aspirin/gaq-w4a8-int", "models/4.safetensors", 8.0, 22.0, 0.7, new double[]{22});
        evalRecord("t2/aspirin/ptq-naive-w8a8", "models/n.safetensors", 9.0, 30.0, 20.0, new double[]{30});
        Path log = root.resolve("results/train/t2/aspirin/fp32.csv");
        Files.createDirectories(log.getParent());
        Files.writeString(log, "epoch,loss\n1,0.5\n2,0.4\n3,0.3\n");
        String md = new ResultsReport(root).expand("<!-- gaq:table2-integer records=t2 -->\n| aspirin | 11.5 |\n| uracil | 5.19 |\n<!-- gaq:end -->\n");
        assertTrue(md.contains("| aspirin | 4.00 | 20.00 | 1.74× | 5.00 | 21.00 | 1.25×, 1.05× (+6.4) | 8.00 | 22.00 | 2.00×, 1.10× (+9.2) | 0.50 / 0.70 | 20.00 (40×) | 11.5 | 3 |"), md);
        assertTrue(md.contains("| uracil | — | — | — |"), "a molecule not trained yet shows dashes: " + md);
        assertThrows(IllegalArgumentException.class, () -> new ResultsReport(root).expand("<!-- gaq:table2-integer -->\n<!-- gaq:end -->\n"));
    }

    @Test
    void aRecordWithoutForcesShowsDashesNotNaN() throws IOException {
        Path modelFile = root.resolve("models/qm9.safetensors");
        Files.createDirectories(modelFile.getParent());
        Files.writeString(modelFile, "weights");
        Records.write(root.resolve("results/eval/qm9/fp32.json"), new Records.Eval("qm9", "models/qm9.safetensors",
                Records.sha256(modelFile), "FP32", "qm9", "test", 10, 1, 1, 12.5, null, 20.1, null, 0.001, new double[0],
                "./gaq eval models/qm9.safetensors --data qm9", "2026-12-01"));
        Records.Eval read = Records.read(root.resolve("results/eval/qm9/fp32.json"), Records.Eval.class);
        assertNull(read.forceMaeMeVPerA());
        String md = new ResultsReport(root).expand("<!-- gaq:table E F Erms Frms -->\n| QM9 | qm9/fp32 |\n<!-- gaq:end -->\n");
        assertTrue(md.contains("| QM9 | 12.50 | — | 20.10 | — |"), md);
    }

    @Test
    void aRecordOfAChangedModelFileIsReportedStale() throws IOException {
        evalRecord("ethanol/fp32", "models/a.safetensors", 1, 7, null, new double[]{1});
        Files.writeString(root.resolve("models/a.safetensors"), "retrained weights");
        ResultsReport report = new ResultsReport(root);
        report.expand("{{ethanol/fp32:E}}\n");
        assertEquals(1, report.warnings().size());
        assertTrue(report.warnings().get(0).contains("SHA-256 differs"), report.warnings().toString());
    }

    @Test
    void figuresAreDrawnFromRecordsAndMdLogs() throws IOException {
        evalRecord("ethanol/fp32", "models/a.safetensors", 1.2, 7.2, 0.003, new double[]{5, 7, 9, 6});
        evalRecord("ethanol/int8", "models/a.int.safetensors", 6.1, 10.0, 7.3, new double[]{8, 10, 12, 9});
        Records.write(root.resolve("results/bench/ethanol.json"), new Records.Bench("native", "cpu", 1, List.of(
                new Records.BenchRow("a.safetensors", "ethanol, 64 molecules, per molecule", 2.0, 1.9, 2.1),
                new Records.BenchRow("a.int.safetensors", "ethanol, 64 molecules, per molecule", 1.0, 0.9, 1.1)), "./gaq bench model", "2026-11-30"));
        Path md = root.resolve("results/md/ethanol-fp32");
        Files.createDirectories(md);
        List<String> rows = new ArrayList<>(List.of("step,time_fs,potential_eV,kinetic_eV,total_eV,temperature_K"));
        for (int i = 0; i <= 100; i++) rows.add(i + "," + 0.5 * i + ",-1.0,0.5," + (-0.5 + 9e-6 * 0.5 * i) + ",300");  // +9 µeV/fs on 9 atoms
        Files.write(md.resolve(RunFiles.ENERGY_LOG), rows);
        RunFiles.writeJson(md.resolve(RunFiles.SUMMARY), new RunFiles.Summary(9, 100, 100, 50.0, 1.0, 0.0, 0.05));
        String template = """
                <!-- gaq:figure accuracy-efficiency bench=ethanol -->
                | FP32 | ethanol/fp32 |
                | W8A8 | ethanol/int8 |
                <!-- gaq:end -->
                <!-- gaq:figure force-error-distribution -->
                | FP32 | ethanol/fp32 |
                <!-- gaq:end -->
                <!-- gaq:md -->
                | FP32 | ethanol-fp32 |
                <!-- gaq:end -->
                <!-- gaq:figure md-energy -->
                | FP32 | ethanol-fp32 |
                <!-- gaq:end -->
                """;
        ResultsReport report = new ResultsReport(root);
        String out = report.expand(template);
        assertEquals(List.of(), report.warnings());
        assertEquals(3, report.figuresWritten().size());
        for (Path png : report.figuresWritten()) assertTrue(Files.size(png) > 1000, png + " is a real image");
        assertTrue(out.contains("![accuracy and speed-up](figures/accuracy-efficiency.png)"), out);
        // drift recomputed from the log: 9 µeV/fs over 9 atoms = 1 meV/atom/ps
        assertTrue(out.contains("| FP32 | 0.1 | 1.0000 | 0.000 | 300 | 50 |"), out);
    }

    @Test
    void malformedTemplatesFailWithTheLine() {
        ResultsReport report = new ResultsReport(root);
        var noEnd = assertThrows(IllegalArgumentException.class, () -> report.expand("<!-- gaq:table E -->\n| a | b |\n"));
        assertTrue(noEnd.getMessage().contains("line 1"), noEnd.getMessage());
        var unknown = assertThrows(IllegalArgumentException.class, () -> report.expand("<!-- gaq:pie -->\n<!-- gaq:end -->\n"));
        assertTrue(unknown.getMessage().contains("gaq:pie"), unknown.getMessage());
        var column = assertThrows(IllegalArgumentException.class, () -> report.expand("<!-- gaq:table X -->\n<!-- gaq:end -->\n"));
        assertTrue(column.getMessage().contains("unknown column X"), column.getMessage());
    }
}
