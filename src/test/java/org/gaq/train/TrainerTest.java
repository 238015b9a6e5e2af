package org.gaq.train;

import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.Split;
import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Training on a synthetic Morse potential: it learns, it writes its files, and resuming is exact. */
class TrainerTest {
    static final ModelConfig TINY = new ModelConfig(16, 2, 4, 8, 5.0, true, 18);

    /** Frames of a 4-atom molecule labelled by E = Σ_{i<j} D (1 − e^{−a(d−r0)})² and its exact forces. */
    static Dataset morse(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] base = {0, 0, 0, 1.1, 0, 0, 0, 1.2, 0, 0.4, 0.3, 1.0};
        List<Frame> frames = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            double[] p = base.clone();
            for (int i = 0; i < p.length; i++) p[i] += 0.15 * (r.nextDouble() - 0.5);
            double e = 0;
            double[] f = new double[p.length];
            for (int i = 0; i < 4; i++) for (int j = i + 1; j < 4; j++) {
                double dx = p[3 * j] - p[3 * i], dy = p[3 * j + 1] - p[3 * i + 1], dz = p[3 * j + 2] - p[3 * i + 2];
                double d = Math.sqrt(dx * dx + dy * dy + dz * dz), x = Math.exp(-1.5 * (d - 1.2));
                e += 2.0 * (1 - x) * (1 - x);
                double dEdd = 2.0 * 2 * (1 - x) * 1.5 * x;
                double[] u = {dx / d, dy / d, dz / d};
                for (int a = 0; a < 3; a++) { f[3 * i + a] += dEdd * u[a]; f[3 * j + a] -= dEdd * u[a]; }
            }
            frames.add(new Frame(new int[]{6, 8, 7, 1}, p, e, f));
        }
        return new Dataset("morse", frames);
    }

    static Trainer.Options options(int epochs) {
        return optionsBuilder(epochs).build();
    }

    static Trainer.Options.Builder optionsBuilder(int epochs) {
        return Trainer.Options.builder().epochs(epochs).batchSize(4).learningRate(3e-3f).warmupEpochs(1).plateauPatience(50).seed(3).threads(2).maxMinutes(60);
    }

    static Split split() {
        Dataset all = morse(40, 1);
        return org.gaq.data.Splits.bySizes(all, 32, 8, 0, 5);
    }

    @Test
    void learnsAndWritesItsRunFolder(@TempDir Path dir) throws Exception {
        Split split = split();
        EquivariantTransformer model = new EquivariantTransformer(TINY, 1);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Trainer t = Trainer.start(model, split, options(1), dir, quiet);
        double before = Metrics.evaluate(model, split.validation(), 8, 0, 1, null).forceMaeMeVPerA();
        Trainer.start(model, split, options(15), dir.resolve("long"), quiet).run();
        double after = Metrics.evaluate(model, split.validation(), 8, 0, 1, null).forceMaeMeVPerA();
        assertTrue(after < 0.5 * before, "validation force MAE should at least halve: " + before + " → " + after);
        Path run = dir.resolve("long");
        for (String f : List.of("best.safetensors", "last.safetensors", "train.csv", "learning_curve.png")) {
            assertTrue(Files.exists(run.resolve(f)), f);
        }
        assertEquals(16, Files.readAllLines(run.resolve("train.csv")).size(), "header + one row per epoch");
        assertNotNull(t);
    }

    @Test
    void resumingContinuesExactlyWhereTheRunStopped(@TempDir Path dir) throws Exception {
        Split split = split();
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        EquivariantTransformer straight = new EquivariantTransformer(TINY, 2);
        Trainer.start(straight, split, options(3), dir.resolve("a"), quiet).run();

        EquivariantTransformer first = new EquivariantTransformer(TINY, 2);
        Trainer.start(first, split, options(2), dir.resolve("b"), quiet).run();
        Trainer resumed = Trainer.resume(dir.resolve("b/last.safetensors"), split, options(3), dir.resolve("b"), quiet);
        resumed.run();

        for (String name : straight.parameters().keySet()) {
            assertArrayEquals(straight.parameters().get(name).data(), resumed.model().parameters().get(name).data(),
                    "parameter " + name + " after 2 + 1 epochs equals 3 epochs straight");
        }
        assertEquals(4, Files.readAllLines(dir.resolve("b/train.csv")).size(), "the resumed run appends to its log");
        assertNotNull(Checkpoint.loadModel(dir.resolve("b/best.safetensors")));
    }

    @Test
    void aResumedRunCountsTheBudgetItsEarlierSessionsUsed(@TempDir Path dir) throws Exception {
        Split split = split();
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Trainer.start(new EquivariantTransformer(TINY, 2), split, options(2), dir, quiet).run();
        Path last = dir.resolve("last.safetensors");
        double used = Double.parseDouble(org.gaq.io.SafeTensors.read(last).metadata().get("train.budget_used_s"));
        assertTrue(used > 0, "the checkpoint records the budget used: " + used);
        // A budget of half what the first session used is spent already: the resumed run trains no further epoch.
        Trainer.resume(last, split, optionsBuilder(4).maxMinutes(used / 120).build(), dir, quiet).run();
        assertEquals(1 + 2, Files.readAllLines(dir.resolve("train.csv")).size(), "no epoch after the budget ran out");
        // With budget left it continues, and its time column runs on from the first session's.
        Trainer.resume(last, split, options(3), dir, quiet).run();
        List<String> rows = Files.readAllLines(dir.resolve("train.csv"));
        assertEquals(1 + 3, rows.size());
        double second = Double.parseDouble(rows.get(2).split(",")[7]), third = Double.parseDouble(rows.get(3).split(",")[7]);
        assertTrue(third > second, "seconds run on across sessions: " + second + " then " + third);
    }

    @Test
    void theBestModelsEnergyShiftsAreRefittedOnceAtTheEnd(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Trainer.start(new EquivariantTransformer(TINY, 7), split(), options(2), dir, new PrintStream(out, true)).run();
        long refits = out.toString().lines().filter(l -> l.startsWith("refitted the per-element energy shifts")).count();
        assertEquals(1, refits, out.toString());
    }

    @Test
    void stopsWhenTheMinimumLearningRateBringsNoImprovement(@TempDir Path dir) throws Exception {
        // lr = min lr = 1e-9: nothing improves after epoch 1, and the rate cannot decay further.
        var options = Trainer.Options.builder().epochs(10).batchSize(4).learningRate(1e-9f).minLearningRate(1e-9f).warmupEpochs(0).plateauPatience(1)
                .seed(3).threads(2).maxMinutes(60).build();
        Trainer.start(new EquivariantTransformer(TINY, 4), split(), options, dir, new PrintStream(new ByteArrayOutputStream())).run();
        assertEquals(1 + 2, Files.readAllLines(dir.resolve("train.csv")).size(), "epoch 1 (best) and epoch 2 (no gain, stop)");
    }

    /**
     * The cosine schedule: each epoch's rate is η_min + (η_0 − η_min)·½(1 + cos πf) with f the fraction of the epochs done
     * (the time budget is far off here), it neither decays on a plateau nor stops early, and a resumed run follows the
     * same curve.
     */
    @Test
    void theCosineScheduleFollowsTheRunsFractionAndIgnoresPlateaus(@TempDir Path dir) throws Exception {
        // lr = 1e-9 improves nothing after epoch 1: the plateau schedule would stop at epoch 2 (the test above)
        var options = Trainer.Options.builder().epochs(6).batchSize(4).learningRate(1e-9f).minLearningRate(1e-10f).warmupEpochs(0)
                .decay(Trainer.Options.Decay.COSINE).plateauPatience(1).seed(3).threads(2).maxMinutes(60);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Trainer.start(new EquivariantTransformer(TINY, 4), split(), options.epochs(3).build(), dir, quiet).run();
        Trainer.resume(dir.resolve("last.safetensors"), split(), options.epochs(6).build(), dir, quiet).run();
        List<String> rows = Files.readAllLines(dir.resolve("train.csv"));
        assertEquals(1 + 6, rows.size(), "every epoch runs: no plateau stop");
        for (int e = 1; e <= 6; e++) {
            // epochs 1..3 ran in a run of 3 epochs, 4..6 in the resumed run of 6
            double fraction = e <= 3 ? (e - 1) / 3.0 : (e - 1) / 6.0;
            double expected = 1e-10 + (1e-9 - 1e-10) * 0.5 * (1 + Math.cos(Math.PI * fraction));
            double lr = Double.parseDouble(rows.get(e).split(",")[2]);
            assertEquals(expected, lr, 1e-6 * expected, "rate of epoch " + e);
        }
        assertEquals(1e-9, Trainer.Options.Decay.cosine(1e-9f, 1e-10f, -0.5), 1e-16, "clamped below 0");
        assertEquals(1e-10, Trainer.Options.Decay.cosine(1e-9f, 1e-10f, 1.5), 1e-16, "clamped above 1");
    }

    @Test
    void refittingTheShiftsRemovesAConstantEnergyOffset() throws Exception {
        Split split = split();
        EquivariantTransformer m = new EquivariantTransformer(TINY, 5);
        ElementEnergies.fit(split.train(), m.elementShift(), m.elementScale());
        ElementEnergies.refit(m, split.train(), 8);   // absorb the untrained network's own mean output
        double before = Metrics.evaluate(m, split.train(), 8, 0, 1, null).energyMaeMeV();
        for (int z : new int[]{1, 6, 7, 8}) m.elementShift()[z] += 0.05f;   // a 0.2 eV offset per molecule
        double offset = Metrics.evaluate(m, split.train(), 8, 0, 1, null).energyMaeMeV();
        double rms = ElementEnergies.refit(m, split.train(), 8);
        double after = Metrics.evaluate(m, split.train(), 8, 0, 1, null).energyMaeMeV();
        assertTrue(offset > before + 100, "the offset shows: " + before + " → " + offset);
        assertEquals(200, 1000 * rms, 1, "the refit finds the 200 meV offset");
        assertTrue(after <= before + 1e-3, "refitted MAE " + after + " is no worse than the original fit's " + before);
    }

    @Test
    void aCpuBudgetDoesNotRunWhileTheProcessWaits() throws Exception {
        var frames = morse(4, 3).frames();   // labelled: a Trainer checks its labels when it is made
        var split = new org.gaq.data.Split(new org.gaq.data.Dataset("t", frames.subList(0, 2)), new org.gaq.data.Dataset("v", frames.subList(2, 3)),
                new org.gaq.data.Dataset("x", frames.subList(3, 4)));
        var options = Trainer.Options.builder().epochs(1).batchSize(1).warmupEpochs(0).plateauPatience(3).energyWeight(0.1f).forceWeight(0.9f)
                .threads(1).maxMinutes(1.0).build();
        Trainer t = new Trainer(new org.gaq.model.EquivariantTransformer(new org.gaq.model.ModelConfig(8, 1, 2, 4, 5.0, true, 18), 1),
                split, options, java.nio.file.Files.createTempDirectory("cpu-budget"), System.out);
        long wall0 = t.budgetClock();
        Thread.sleep(300);
        assertTrue(t.budgetClock() - wall0 >= 300_000_000L, "the default budget is wall time");
        // (the process's CPU clock also counts JIT and GC threads, hence the margin)
        // JIT compiler threads finishing earlier tests' work can burn a core for a while: the least of three sleeps
        t.cpuBudget(true);
        long least = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 3; attempt++) {
            long cpu0 = t.budgetClock();
            Thread.sleep(1000);
            least = Math.min(least, t.budgetClock() - cpu0);
        }
        assertTrue(least < 700_000_000L, "sleeping costs (almost) no CPU time: " + least / 1e6 + " ms");
    }

    /** {@code data} with frame {@code k}'s second atom moved onto its first (the model's forces are NaN there). */
    static Dataset withCoincidentAtoms(Dataset data, int k) {
        List<Frame> frames = new ArrayList<>(data.frames());
        Frame f = frames.get(k);
        double[] p = f.positions().clone();
        System.arraycopy(p, 0, p, 3, 3);
        frames.set(k, f.withPositions(p));
        return new Dataset(data.name(), frames);
    }

    @Test
    void aNonFiniteLossStopsTheRunAndKeepsTheLastGoodModels(@TempDir Path dir) throws Exception {
        Split split = split();
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Trainer.start(new EquivariantTransformer(TINY, 2), split, options(2), dir, quiet).run();
        byte[] last = Files.readAllBytes(dir.resolve("last.safetensors"));
        Split poisoned = new Split(withCoincidentAtoms(split.train(), 5), split.validation(), split.test());

        Trainer resumed = Trainer.resume(dir.resolve("last.safetensors"), poisoned, options(4), dir, quiet);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, resumed::run);
        assertEquals(3, e.epoch());
        assertTrue(e.getMessage().contains("epoch 3") && e.getMessage().contains("the loss is NaN")
                && e.getMessage().matches(".*training frames [0-9, ]*\\b5\\b.*") && e.getMessage().contains("last.safetensors (epoch 2)"), e.getMessage());
        assertArrayEquals(last, Files.readAllBytes(dir.resolve("last.safetensors")), "last.safetensors is the epoch-2 checkpoint");
        assertNotNull(Checkpoint.loadModel(dir.resolve("best.safetensors")), "best.safetensors still loads (its shift refit skipped NaN)");
        assertEquals(3, Files.readAllLines(dir.resolve("train.csv")).size(), "no row for the epoch that diverged");
    }

    @Test
    void aDivergenceInTheFirstEpochWritesNoModel(@TempDir Path dir) {
        Split split = split();
        Split poisoned = new Split(withCoincidentAtoms(split.train(), 0), split.validation(), split.test());
        var e = assertThrows(TrainingDivergedException.class, () -> Trainer.start(new EquivariantTransformer(TINY, 2), poisoned, options(2),
                dir, new PrintStream(new ByteArrayOutputStream())).run());
        assertTrue(e.getMessage().contains("nothing was saved"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("last.safetensors")) || Files.exists(dir.resolve("best.safetensors")));
    }

    @Test
    void theShiftRefitAndTheCheckpointWriterRefuseNonFiniteValues(@TempDir Path dir) throws Exception {
        Split split = split();
        EquivariantTransformer m = new EquivariantTransformer(TINY, 5);
        ElementEnergies.fit(split.train(), m.elementShift(), m.elementScale());
        float[] shifts = m.elementShift().clone();
        var e = assertThrows(IllegalArgumentException.class, () -> ElementEnergies.refit(m, withCoincidentAtoms(split.train(), 3), 8));
        assertTrue(e.getMessage().contains("frame 3"), e.getMessage());
        assertArrayEquals(shifts, m.elementShift(), "no shift changed");

        Path file = dir.resolve("m.safetensors");
        Checkpoint.save(file, m);
        byte[] good = Files.readAllBytes(file);
        m.parameters().get("head.out.bias").leafData()[0] = Float.NaN;
        var io = assertThrows(java.io.IOException.class, () -> Checkpoint.save(file, m));
        assertTrue(io.getMessage().contains("head.out.bias"), io.getMessage());
        assertArrayEquals(good, Files.readAllBytes(file), "the file on disk is unchanged");
    }
}
