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

    @Test
    void resumeRefusesOtherDataAndChangedOptionsButKeepsTheRunsOwn(@TempDir Path dir) throws Exception {
        Path h2 = CliRun.h2Frames(dir.resolve("h2.xyz"), 20), other = CliRun.h2Frames(dir.resolve("other.xyz"), 30);
        Path run = dir.resolve("run");
        assertEquals(0, train(h2, run, "--epochs", "1", "--batch-size", "4").code);
        Path last = run.resolve("last.safetensors");
        String log = Files.readString(run.resolve("train.csv"));

        CliRun r = CliRun.of("train", "--resume", last, "--data", other, "--epochs", "2");
        assertEquals(1, r.code, r.toString());
        assertTrue(r.err.contains("was trained on h2[train]") && r.err.contains("other[train] (24 frames"), r.err);
        r = CliRun.of("train", "--resume", last, "--data", h2, "--epochs", "2", "--batch-size", "8");
        assertEquals(1, r.code, r.toString());
        assertTrue(r.err.contains("--batch-size 8 (the run's: 4)"), r.err);
        r = CliRun.of("train", "--resume", last, "--data", h2, "--epochs", "2", "--features", "16");
        assertTrue(r.code == 1 && r.err.contains("--features 16 (the run's: 8)"), r.toString());
        assertEquals(log, Files.readString(run.resolve("train.csv")), "nothing written by the refused commands");

        // Options left out are the run's own (batch size 4, not the default 8): it continues.
        r = CliRun.of("train", "--resume", last, "--data", h2, "--epochs", "2", "--threads", "1");
        assertEquals(0, r.code, r.toString());
        assertEquals(3, Files.readAllLines(run.resolve("train.csv")).size());
        String origin = Files.readString(run.resolve("origin.json"));
        assertTrue(origin.contains("\"command\": \"gaq train --data") && origin.contains("fingerprint") && origin.contains("--resume"), origin);
    }

    @Test
    void aFreshRunNeverWritesOverAFinishedOne(@TempDir Path dir) throws Exception {
        Path h2 = CliRun.h2Frames(dir.resolve("h2.xyz"), 20), run = dir.resolve("run");
        assertEquals(0, train(h2, run, "--epochs", "1").code);
        byte[] best = Files.readAllBytes(run.resolve("best.safetensors"));
        CliRun r = train(h2, run, "--epochs", "1");
        assertEquals(1, r.code, r.toString());
        assertTrue(r.err.contains("already holds a run") && r.err.contains("--resume"), r.err);
        assertArrayEquals(best, Files.readAllBytes(run.resolve("best.safetensors")));

        Path model = CliRun.tinyModel(dir.resolve("m.safetensors"));
        Path md = dir.resolve("md");
        assertEquals(0, CliRun.of("md", model, "--structure", h2, "--steps", "4", "--out", md).code);
        String trajectory = Files.readString(md.resolve("trajectory.xyz"));
        r = CliRun.of("md", model, "--structure", h2, "--steps", "4", "--out", md);
        assertTrue(r.code == 1 && r.err.contains("already holds a run") && r.err.contains("--resume"), r.toString());
        assertEquals(trajectory, Files.readString(md.resolve("trajectory.xyz")));
    }

    @Test
    void aDefaultFolderThatIsTakenGivesWayToANumberedSibling(@TempDir Path dir) throws Exception {
        Path taken = Files.createDirectories(dir.resolve("md-nve"));
        Files.writeString(taken.resolve("energy.csv"), "step\n");
        Files.createDirectories(dir.resolve("md-nve-2"));
        Files.writeString(dir.resolve("md-nve-2/state.json"), "{}");
        var log = new java.io.ByteArrayOutputStream();
        Path chosen = org.gaq.run.RunFolders.forFreshRun(taken, false, "resume it", new java.io.PrintStream(log, true));
        assertEquals(dir.resolve("md-nve-3"), chosen);
        assertTrue(log.toString().contains("this one goes to " + chosen), log.toString());
        assertEquals(dir.resolve("free"), org.gaq.run.RunFolders.forFreshRun(dir.resolve("free"), true, "resume it", null));
    }

    @Test
    void oneProcessPerRunFolder(@TempDir Path dir) throws Exception {
        Path h2 = CliRun.h2Frames(dir.resolve("h2.xyz"), 20), run = dir.resolve("run");
        try (var lock = org.gaq.run.RunLock.acquire(run, "gaq train (another)", null)) {
            CliRun r = train(h2, run, "--epochs", "1");
            assertEquals(1, r.code, r.toString());
            assertTrue(r.err.contains("is in use by another gaq process (pid " + ProcessHandle.current().pid()), r.err);
            assertFalse(Files.exists(run.resolve("train.csv")));
        }
        assertFalse(Files.exists(run.resolve("gaq.lock")), "released and removed");
        assertEquals(0, train(h2, run, "--epochs", "1").code);
        assertFalse(Files.exists(run.resolve("gaq.lock")), "released at the end of the command");
    }

    @Test
    void aLockHeldByAnotherProcessStopsUsAndOneLeftByADeadProcessDoesNot(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run")), lockFile = run.resolve("gaq.lock");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs python3 to hold a lock");
        // Another process holds the OS lock (fcntl, as the JVM's FileChannel.lock): refused.
        Process holder = new ProcessBuilder("/usr/bin/python3", "-c", "import fcntl,sys,time\nf=open(sys.argv[1],'a')\n"
                + "f.write('pid 4242, since then: gaq md elsewhere'); f.flush(); fcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(60)",
                lockFile.toString()).start();
        try {
            assertEquals("locked", new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine());
            var e = assertThrows(org.gaq.run.RunFolderException.class, () -> org.gaq.run.RunLock.acquire(run, "gaq train", null));
            assertTrue(e.getMessage().contains("in use by another gaq process (pid 4242"), e.getMessage());
        } finally {
            holder.destroyForcibly().waitFor();
        }
        // The holder died without cleaning up: its file remains, its lock is gone. Taken over, with a note.
        assertTrue(Files.exists(lockFile));
        var notes = new java.io.ByteArrayOutputStream();
        try (var lock = org.gaq.run.RunLock.acquire(run, "gaq train", new java.io.PrintStream(notes, true))) {
            assertTrue(notes.toString().contains("was left by a gaq process that is gone (pid 4242"), notes.toString());
            assertTrue(Files.readString(lockFile).startsWith("pid " + ProcessHandle.current().pid()));
        }
    }

    @Test
    void noCommandWritesOverItsInputOrIntoTheWrongKindOfPath(@TempDir Path dir) throws Exception {
        Path model = CliRun.tinyModel(dir.resolve("m.safetensors"));
        byte[] before = Files.readAllBytes(model);
        Path h2 = CliRun.h2Frames(dir.resolve("h2.xyz"), 20);
        for (Object[] args : new Object[][]{{"export", model, "--out", model}, {"ptq", "--from", model, "--data", h2, "--out", model},
                {"refit-shifts", model, "--data", h2, "--out", dir.resolve(".").resolve("m.safetensors")}}) {
            CliRun r = CliRun.of(args);
            assertEquals(1, r.code, r.toString());
            assertTrue(r.err.contains("is the input file itself"), r.err);
            assertFalse(r.stackTrace(), r.err);
        }
        assertArrayEquals(before, Files.readAllBytes(model));
        CliRun r = CliRun.of("export", model, "--out", dir);
        assertTrue(r.code == 1 && r.err.contains("is a folder: give the file to write"), r.toString());
        r = train(h2, model, "--epochs", "1");
        assertTrue(r.code == 1 && r.err.contains("--out " + model + " is a file, not a folder"), r.toString());
        r = CliRun.of("md", model, "--structure", h2, "--steps", "2", "--out", model);
        assertTrue(r.code == 1 && r.err.contains("is a file, not a folder"), r.toString());
        assertArrayEquals(before, Files.readAllBytes(model));
    }

    @Test
    void mdAtDt10StopsWithOneLineAndResumesWithASmallerStep(@TempDir Path dir) throws Exception {
        Path model = CliRun.ethanolModel(), xyz = CliRun.ethanolXyz(dir.resolve("ethanol.xyz")), md = dir.resolve("md");
        CliRun r = CliRun.of("md", model, "--structure", xyz, "--dt", "10", "--steps", "200", "--out", md);
        assertEquals(3, r.code, r.toString());
        assertTrue(r.err.startsWith("gaq md: MD stopped at step ") && r.err.contains("last_good.xyz") && r.err.contains("--resume"), r.err);
        assertEquals(1, r.errorLines(), r.err);
        assertFalse(r.stackTrace(), r.err);
        assertTrue(Files.exists(md.resolve("last_good.xyz")));

        r = CliRun.of("md", "--resume", md, "--temperature", "500");
        assertTrue(r.code == 1 && r.err.contains("leave out --temperature"), r.toString());
        r = CliRun.of("md", "--resume", md, "--dt", "0.25", "--steps", "20");
        assertEquals(0, r.code, r.toString());
        assertTrue(Files.readString(md.resolve("run.json")).contains("\"dtFs\": 0.25"));
    }
}
