package org.gaq.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** What a user sees for the mistakes users make: a one-line message naming the problem, exit code 1 or 2. */
class UserErrorsTest {
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = GaqCli.newCommandLine();
        cmd.setOut(new PrintWriter(new StringWriter(), true)).setErr(new PrintWriter(err, true));
        cmd.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        return cmd.execute(args);
    }

    /** A tiny untrained FP32 model file at {@code file}. */
    private static Path tinyModel(Path file) throws java.io.IOException {
        org.gaq.model.Checkpoint.save(file, new org.gaq.model.EquivariantTransformer(
                new org.gaq.model.ModelConfig(8, 1, 2, 4, 5.0, true, 18), 1));
        return file;
    }

    /** A one-frame extended-XYZ file (H₂ with energy and forces) in {@code dir}. */
    private static Path h2Xyz(Path dir) throws java.io.IOException {
        Path xyz = dir.resolve("h2.xyz");
        Files.writeString(xyz, "2\nProperties=species:S:1:pos:R:3:forces:R:3 energy=-1.0 pbc=\"F F F\"\n"
                + "H 0 0 0 0 0 0.1\nH 0 0 0.74 0 0 -0.1\n");
        return xyz;
    }

    @Test
    void unknownMoleculeListsTheAvailableOnes(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("rmd17"));
        assertEquals(1, run("train", "--data", "rmd17:unobtainium", "--data-dir", dir.toString(), "--out", dir.resolve("r").toString()));
        assertTrue(err.toString().contains("unobtainium") && err.toString().contains("ethanol"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void unknownTrainingEngineIsRefused(@TempDir Path dir) throws Exception {
        Path xyz = h2Xyz(dir);
        assertEquals(2, run("train", "--data", xyz.toString(), "--engine", "gpu", "--out", dir.resolve("r").toString()));
        assertTrue(err.toString().contains("--engine takes compiled or tape"), err.toString());
        assertFalse(Files.exists(dir.resolve("r").resolve("last.safetensors")));
        Path model = tinyModel(dir.resolve("fp32.safetensors"));
        assertEquals(2, run("qat", "--from", model.toString(), "--data", xyz.toString(), "--engine", "gpu", "--out", dir.resolve("q").toString()));
        assertFalse(Files.exists(dir.resolve("q").resolve("best.safetensors")));
    }

    @Test
    void corruptModelFileIsNamed(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("broken.safetensors");
        Files.write(model, new byte[]{1, 2, 3});
        assertEquals(1, run("eval", model.toString(), "--data", "rmd17:ethanol"));
        assertTrue(err.toString().contains("broken.safetensors"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void qatContinueNeedsAFakeQuantizedModelAndEpochsZeroNeedsAFrozenStage(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir.resolve("fp32.safetensors"));
        assertEquals(1, run("qat", "--continue", "--from", model.toString(), "--data", "rmd17:ethanol"));
        assertTrue(err.toString().contains("fp32.safetensors is not a fake-quantized model"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(1, run("qat", "--from", model.toString(), "--data", "rmd17:ethanol", "--epochs", "0"));
        assertTrue(err.toString().contains("--epochs 0"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void qatsNewStagesRejectWhatTheyCannotDo(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir.resolve("fp32.safetensors"));
        // {the options after qat --from MODEL --data rmd17:ethanol, what the one-line error must say}
        String[][][] cases = {
                {{"--requantize"}, {"fp32.safetensors is not a fake-quantized model"}},          // nothing to requantize
                {{"--weight-scale-rate", "1"}, {"--weight-scale-rate"}},                          // no frozen stage to learn scales in
                {{"--continue", "--epochs", "0", "--frozen-epochs", "2", "--freeze-oscillating", "0.02"}, {"--freeze-oscillating"}},
                {{"--continue", "--requantize"}, {"exclude each other"}},
                {{"--teacher-frames", "-1"}, {"--teacher-frames must be ≥ 0"}},
                {{"--teacher-frames", "10", "--teacher-temperature", "-20"}, {"teacher temperature"}},
                {{"--teacher-frames", "10", "--requantize"}, {"need an FP32 --from model"}},
                {{"--teacher-labels", "--requantize"}, {"need an FP32 --from model"}}};
        for (String[][] c : cases) {
            err.getBuffer().setLength(0);
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("qat", "--from", model.toString(), "--data", "rmd17:ethanol"));
            args.addAll(java.util.List.of(c[0]));
            assertEquals(1, run(args.toArray(new String[0])), args.toString());
            assertTrue(err.toString().contains(c[1][0]), args + ": " + err);
            assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
        }
    }

    @Test
    void evalAgainstAReferenceKeepsNoRecord(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir.resolve("m.safetensors"));
        Path xyz = h2Xyz(dir);
        assertEquals(1, run("eval", model.toString(), "--data", xyz.toString(), "--split", "all", "--against", model.toString(),
                "--record", dir.resolve("r.json").toString()));
        assertTrue(err.toString().contains("--against"), err.toString());
        assertFalse(Files.exists(dir.resolve("r.json")));
    }

    @Test
    void missingRequiredOptionIsAUsageError() {
        assertEquals(2, run("train"));
        assertTrue(err.toString().contains("--data"), err.toString());
    }

    @Test
    void anUnknownLossOfTheTrainingBenchIsAUsageError(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir.resolve("m.safetensors"));
        assertEquals(2, run("bench", "train", model.toString(), "--loss", "forces,stress"));
        assertTrue(err.toString().contains("--loss takes forces and/or energy, not 'stress'"), err.toString());
    }

    @Test
    void badSplitNameIsRejected(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir.resolve("m.safetensors"));
        Path xyz = h2Xyz(dir);
        assertEquals(1, run("eval", model.toString(), "--data", xyz.toString(), "--split", "sideways"));
        assertTrue(err.toString().contains("sideways"), err.toString());
    }

    @Test
    void demoWithoutDataSaysWhereItLookedBeforeAnyWork(@TempDir Path dir) {
        Path out = dir.resolve("demo");
        assertEquals(1, run("demo", "--data-dir", dir.resolve("nowhere").toString(), "--out", out.toString()));
        assertTrue(err.toString().contains("rmd17_ethanol") && err.toString().contains("nowhere"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
        assertFalse(Files.exists(out), "nothing written");
    }

    /** An extended-XYZ file of one labelled frame: {@code atoms} lines "El x y z". */
    private static Path xyz(Path file, String... atoms) throws java.io.IOException {
        StringBuilder sb = new StringBuilder(atoms.length + "\nProperties=species:S:1:pos:R:3:forces:R:3 energy=-100.0 pbc=\"F F F\"\n");
        for (String a : atoms) sb.append(a).append(" 0 0 0\n");
        Files.writeString(file, sb.toString());
        return file;
    }

    @Test
    void structuresWithNoEdgesAreValidInEvalAndMd(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir.resolve("m.safetensors"));
        Path lone = xyz(dir.resolve("lone.xyz"), "O 1 2 3");
        Path apart = xyz(dir.resolve("apart.xyz"), "O 0 0 0", "H 0 0 20");
        for (Path data : new Path[]{lone, apart}) {
            CliRun r = CliRun.of("eval", model, "--data", data, "--split", "all");
            assertEquals(0, r.code, r.toString());
            assertTrue(r.out.contains("energy MAE") && !r.out.contains("NaN"), r.out);
            r = CliRun.of("md", model, "--structure", data, "--steps", "3", "--out", dir.resolve("md-" + data.getFileName()));
            assertEquals(0, r.code, r.toString());
        }
    }

    @Test
    void elementsOutsideTheModelAreAnErrorAndElementsItNeverSawAWarning(@TempDir Path dir) throws Exception {
        var m = new org.gaq.model.EquivariantTransformer(new org.gaq.model.ModelConfig(8, 1, 2, 4, 5.0, true, 18), 1);
        m.elementShift()[1] = -13.6f;                             // trained on hydrogen only
        Path model = dir.resolve("h-only.safetensors");
        org.gaq.model.Checkpoint.save(model, m);
        CliRun r = CliRun.of("eval", model, "--data", xyz(dir.resolve("hbr.xyz"), "H 0 0 0", "Br 0 0 1.41"), "--split", "all");
        assertEquals(1, r.code, r.toString());
        assertTrue(r.err.contains("atom 1: Br (Z = 35) is outside the model's elements (atomic numbers 1..18)"), r.err);
        assertFalse(r.stackTrace(), r.err);

        r = CliRun.of("eval", model, "--data", xyz(dir.resolve("nh.xyz"), "N 0 0 0", "H 0 0 1.01"), "--split", "all");
        assertEquals(0, r.code, r.toString());
        assertTrue(r.err.contains("warning: the model never saw N (Z = 7) in training"), r.err);
        assertFalse(r.err.contains("saw H"), r.err);
    }

    @Test
    void everyMistakeOfIssue18GetsOneLineSayingWhatIsWrong(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir.resolve("m.safetensors")), data = h2Xyz(dir);
        Files.createDirectories(dir.resolve("docs"));
        Files.writeString(dir.resolve("docs/results.template.md"), "forces {{broken:F}}\n");
        Files.createDirectories(dir.resolve("results/eval"));
        Files.writeString(dir.resolve("results/eval/broken.json"), "{}");
        Path folderData = Files.createDirectories(dir.resolve("frames.npz"));
        Path unlabelled = dir.resolve("unlabelled.xyz");
        Files.writeString(unlabelled, "1\nProperties=species:S:1:pos:R:3 pbc=\"F F F\"\nH 0 0 0\n");
        // {the command, what its one-line error must say}
        Object[][] cases = {
                {new Object[]{"report", "--root", dir, "--out", dir.resolve("r.md")}, "lacks the field 'name'"},
                {new Object[]{"eval", model, "--data", data, "--threads", "0"}, "--threads must be at least 1, got 0"},
                {new Object[]{"eval", model, "--data", data, "--batch-size", "-1"}, "--batch-size must be at least 1, got -1"},
                {new Object[]{"train", "--data", data, "--threads", "0", "--out", dir.resolve("t")}, "--threads must be at least 1"},
                {new Object[]{"train", "--data", data, "--lr-schedule", "linear", "--out", dir.resolve("t")}, "--lr-schedule must be plateau or cosine, got 'linear'"},
                {new Object[]{"eval", dir.resolve("missing.safetensors"), "--data", data}, "no such file or folder: " + dir.resolve("missing.safetensors")},
                {new Object[]{"eval", model, "--data", folderData}, "is a folder, not a data file"},
                {new Object[]{"eval", model, "--data", data, "--record", dir}, "is a folder: give the file to write"},
                {new Object[]{"export", model, "--out", dir.resolve("x.safetensors")}, "is an FP32 model: quantize it first"},
                {new Object[]{"eval", model, "--data", unlabelled, "--split", "all"}, "frame 0 has no energy label"},
        };
        for (Object[] c : cases) {
            CliRun r = CliRun.of((Object[]) c[0]);
            assertEquals(1, r.code, java.util.Arrays.toString((Object[]) c[0]) + ": " + r);
            assertTrue(r.err.contains((String) c[1]), java.util.Arrays.toString((Object[]) c[0]) + ": " + r.err);
            assertEquals(1, r.errorLines(), r.err);
            assertFalse(r.stackTrace(), r.err);
        }
    }

    @Test
    void anIntegerModelIsNotExportedAgain(@TempDir Path dir) throws Exception {
        Path integer = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "models/ethanol-gaq-w8a8.int.safetensors");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(integer));
        CliRun r = CliRun.of("export", integer, "--out", dir.resolve("again.safetensors"));
        assertEquals(1, r.code, r.toString());
        assertTrue(r.err.contains("is already an integer model file (written by gaq export)"), r.err);
        assertFalse(Files.exists(dir.resolve("again.safetensors")));
    }

    @Test
    void anExplicitDataFileIsEvaluatedWholeAndTheOutputSaysWhichFrames(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir.resolve("m.safetensors")), data = CliRun.h2Frames(dir.resolve("h2.xyz"), 30);
        CliRun r = CliRun.of("eval", model, "--data", data, "--lee-rotations", "0");
        assertEquals(0, r.code, r.toString());
        assertTrue(r.out.contains("frames                 all 30 frames of " + data), r.out);
        r = CliRun.of("eval", model, "--data", data, "--split", "test", "--lee-rotations", "0");
        assertTrue(r.out.contains("the test part of a split of " + data + ": 3 of its 30 frames (seed 1"), r.out);
    }
}
