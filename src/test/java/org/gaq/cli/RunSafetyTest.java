package org.gaq.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** What the commands refuse, keep and report when a run goes wrong (issue #18), as a user sees it. */
class RunSafetyTest {

    private static CliRun train(Path data, Path out, String... more) {
        List<Object> args = new ArrayList<>(List.of("train", "--data", data, "--out", out));
        args.addAll(List.of(CliRun.TINY_TRAINING));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray());
    }

    @Test
    void aDivergingTrainingRunStopsWithOneLineAndExitCode3(@TempDir Path dir) throws Exception {
        Path data = CliRun.h2Frames(dir.resolve("h2.xyz"), 20);
        CliRun r = train(data, dir.resolve("run"), "--lr", "1e30", "--epochs", "3");
        assertEquals(3, r.code, r.toString());
        assertTrue(r.err.contains("training stopped in epoch 1") && r.err.contains("the loss is NaN"), r.err);
        assertEquals(1, r.errorLines(), r.err);
        assertFalse(r.stackTrace(), r.err);
        assertFalse(Files.exists(dir.resolve("run/last.safetensors")), "nothing non-finite written");
    }

    @Test
    void dataWithCoincidentAtomsIsRefusedNamingTheFrame(@TempDir Path dir) throws Exception {
        Path data = CliRun.h2Frames(dir.resolve("h2.xyz"), 20);
        Files.writeString(data, Files.readString(data) + "2\nProperties=species:S:1:pos:R:3:forces:R:3 energy=-31 pbc=\"F F F\"\n"
                + "H 0 0 0 0 0 0\nH 0 0 0 0 0 0\n");
        CliRun r = train(data, dir.resolve("run"), "--epochs", "1");
        assertEquals(1, r.code, r.toString());
        assertTrue(r.err.contains("h2.xyz: frame 20: atoms 0 (H) and 1 (H) are 0.000 Å apart"), r.err);
        assertFalse(r.stackTrace(), r.err);
    }
}
