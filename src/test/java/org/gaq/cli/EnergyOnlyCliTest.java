package org.gaq.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** `gaq train`, `gaq eval` and `gaq demo` on QM9 (energies, no forces): the first 100 molecules of ../shared/data. */
class EnergyOnlyCliTest {
    @TempDir Path dir;

    private static Path qm9() {
        Path file = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
                .toAbsolutePath().resolve("../shared/data/qm9/qm9_reduced_100.xyz").normalize();
        assumeTrue(Files.isRegularFile(file), "QM9 reference data not available: " + file);
        return file;
    }

    @Test
    void trainAndEvalOnQm9ShowNoForceColumns() throws IOException {
        Path data = qm9(), run = dir.resolve("run");
        CliRun train = CliRun.of("train", "--data", data, "--features", "8", "--layers", "1", "--heads", "2", "--epochs", "2",
                "--threads", "1", "--out", run);
        assertEquals(0, train.code, train.toString());
        assertFalse(Files.readString(run.resolve("train.csv")).contains("force"), "train.csv has no force column");

        Path record = dir.resolve("qm9.json");
        CliRun eval = CliRun.of("eval", run.resolve("best.safetensors"), "--data", data, "--split", "test", "--record", record);
        assertEquals(0, eval.code, eval.toString());
        assertTrue(eval.out.contains("energy MAE (meV)") && eval.out.contains("energies only (no force labels)"), eval.out);
        assertFalse(eval.out.contains("force MAE") || eval.out.contains("force RMSE") || eval.out.contains("NaN"), eval.out);
        JsonObject json = JsonParser.parseString(Files.readString(record)).getAsJsonObject();
        assertFalse(json.has("forceMaeMeVPerA") || json.has("forceRmseMeVPerA"), json.toString());
        assertEquals(0, json.getAsJsonArray("frameForceMaeMeVPerA").size());
        assertTrue(json.get("energyMaeMeV").getAsDouble() > 0);
    }

    @Test
    void mixedForceLabelsAreRefusedInOneLine() throws IOException {
        // H₂ frames from CliRun, the third without its forces column.
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < 10; k++) {
            double d = 0.70 + 0.01 * k;
            if (k == 2) sb.append("2\nProperties=species:S:1:pos:R:3 energy=").append(d).append("\nH 0 0 0\nH ").append(d).append(" 0 0\n");
            else sb.append("2\nProperties=species:S:1:pos:R:3:forces:R:3 energy=").append(d)
                    .append("\nH 0 0 0 0.1 0 0\nH ").append(d).append(" 0 0 -0.1 0 0\n");
        }
        Path data = Files.writeString(dir.resolve("mixed.xyz"), sb.toString());
        CliRun train = CliRun.of("train", "--data", data, "--features", "8", "--layers", "1", "--heads", "2", "--epochs", "1",
                "--out", dir.resolve("run"));
        assertNotEquals(0, train.code);
        assertFalse(train.stackTrace(), train.err);
        assertEquals(1, train.errorLines(), train.err);
        assertTrue(train.err.contains("mixes frames with forces") && train.err.contains("and without"), train.err);

        CliRun eval = CliRun.of("eval", CliRun.tinyModel(dir.resolve("tiny.safetensors")), "--data", data);
        assertNotEquals(0, eval.code, "no force MAE over a subset of the frames");
        assertFalse(eval.stackTrace(), eval.err);
        assertTrue(eval.err.contains("mixes frames with forces"), eval.err);
    }

    @Test
    void demoRefusesDataWithoutForces() {
        CliRun demo = CliRun.of("demo", "--data", qm9(), "--out", dir.resolve("demo"));
        assertNotEquals(0, demo.code);
        assertFalse(demo.stackTrace(), demo.err);
        assertTrue(demo.err.contains("has energies but no forces"), demo.err);
    }
}
