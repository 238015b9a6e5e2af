package org.gaq.train;

import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.NeighborList;
import org.gaq.data.Qm9Xyz;
import org.gaq.data.Split;
import org.gaq.data.Splits;
import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.tensor.Autograd;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Training on energies alone, on the first 100 QM9 molecules of ../shared/data (a smoke test: 100 molecules and a
 * tiny model show that the loss, the σ and shifts fit and the run's files work, not QM9 accuracy).
 */
class EnergyOnlyTrainingTest {
    static final ModelConfig TINY = new ModelConfig(16, 2, 4, 8, 5.0, true, 18);

    static Dataset qm9() throws IOException {
        Path file = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
                .toAbsolutePath().resolve("../shared/data/qm9/qm9_reduced_100.xyz").normalize();
        assumeTrue(Files.isRegularFile(file), "QM9 reference data not available: " + file);
        return Qm9Xyz.read(file);
    }

    @Test
    void smokeTestOnTheFirst100Qm9MoleculesTheEnergyLossFalls(@TempDir Path dir) throws Exception {
        Split split = Splits.byFractions(qm9(), 0.1, 0.1, 1);
        var options = Trainer.Options.builder().epochs(6).learningRate(3e-3f).warmupEpochs(1).plateauPatience(50).seed(3).threads(2).maxMinutes(60).build();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.start(new EquivariantTransformer(TINY, 1), split, options, dir, new PrintStream(log, true)).run();

        List<String> csv = Files.readAllLines(dir.resolve("train.csv"));
        assertEquals("epoch,step,lr,train_loss,val_loss,val_energy_mae_meV,seconds", csv.get(0), "no force column");
        assertEquals(7, csv.size(), "header + one row per epoch");
        double first = Double.parseDouble(csv.get(1).split(",")[3]), last = Double.parseDouble(csv.get(6).split(",")[3]);
        assertTrue(last < 0.7 * first, "the training loss falls: " + first + " → " + last);
        double firstMae = Double.parseDouble(csv.get(1).split(",")[5]), lastMae = Double.parseDouble(csv.get(6).split(",")[5]);
        assertTrue(lastMae < firstMae, "the validation energy MAE falls: " + firstMae + " → " + lastMae);
        for (String line : csv) assertFalse(line.contains("NaN"), line);
        assertFalse(log.toString().contains("F "), "no force error in the log:\n" + log);
        assertTrue(Files.size(dir.resolve("learning_curve.png")) > 5_000);

        EquivariantTransformer best = Checkpoint.loadModel(dir.resolve("best.safetensors"));
        Metrics.Result r = Metrics.evaluate(best, split.test(), 16, 0, 1, null);
        assertFalse(r.hasForces());
        assertTrue(Double.isFinite(r.energyMaeMeV()) && r.energyMaeMeV() < 2000, "test energy MAE " + r.energyMaeMeV());
    }

    @Test
    void theShiftsAndScaleAreFittedOnQm9InDouble() throws IOException {
        Dataset train = Splits.byFractions(qm9(), 0.1, 0.1, 1).train();
        float[] shift = new float[19], scale = new float[19];
        ElementEnergies.fit(train, shift, scale);
        assertEquals(0f, shift[9], "fluorine is absent from the first 100 molecules: no shift");
        for (int z : new int[]{1, 6, 7, 8}) assertTrue(shift[z] < -10, "a shift for Z=" + z + ": " + shift[z]);
        // σ is the per-atom RMS of the residual energies, which the float shifts leave to a few meV per molecule.
        double sumSq = 0;
        long atoms = 0;
        for (Frame f : train.frames()) {
            double r = f.energy();
            for (int z : f.atomicNumbers()) r -= shift[z];
            sumSq += r * r;
            atoms += f.numAtoms();
        }
        assertEquals(Math.sqrt(sumSq / atoms), scale[1], 1e-3 * scale[1]);
        assertTrue(scale[1] > 0.01 && scale[1] < 1, "σ = " + scale[1] + " eV: residuals of tenths of an eV, not the −10⁴ eV totals");
        for (int z = 0; z < scale.length; z++) assertEquals(scale[1], scale[z]);
    }

    @Test
    void dataWithForcesOnSomeFramesOnlyIsRefused(@TempDir Path dir) {
        Split withForces = TrainerTest.split();
        List<Frame> mixed = new ArrayList<>(withForces.train().frames());
        Frame f = mixed.get(3);
        mixed.set(3, new Frame(f.atomicNumbers(), f.positions(), f.energy(), null));
        Split split = new Split(new Dataset("mixed", mixed), withForces.validation(), withForces.test());
        var e = assertThrows(IllegalArgumentException.class, () -> Trainer.start(new EquivariantTransformer(TINY, 1), split,
                TrainerTest.options(1), dir, new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("mixed mixes frames with forces (31, e.g. frame 0) and without (1, e.g. frame 3)"), e.getMessage());

        List<Frame> noForces = new ArrayList<>();
        for (Frame g : withForces.train().frames()) noForces.add(new Frame(g.atomicNumbers(), g.positions(), g.energy(), null));
        Split unlike = new Split(new Dataset("energies", noForces), withForces.validation(), withForces.test());
        e = assertThrows(IllegalArgumentException.class, () -> Trainer.start(new EquivariantTransformer(TINY, 1), unlike,
                TrainerTest.options(1), dir, new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("training and validation frames need the same labels"), e.getMessage());
    }

    @Test
    void theLossOfDataWithoutForcesIsTheEnergyTermAlone() throws Exception {
        // The same frames with and without forces: with w_F = 0 both losses are the energy term, and their
        // parameter gradients (one through the force pass, one without it) agree.
        Split split = TrainerTest.split();
        List<Frame> frames = split.train().frames().subList(0, 6);
        List<Frame> stripped = new ArrayList<>();
        for (Frame f : frames) stripped.add(new Frame(f.atomicNumbers(), f.positions(), f.energy(), null));
        EquivariantTransformer m = new EquivariantTransformer(TINY, 2);
        ElementEnergies.fit(split.train(), m.elementShift(), m.elementScale());
        var g = NeighborList.batch(frames, TINY.cutoff());
        var gNoForces = NeighborList.batch(stripped, TINY.cutoff());
        assertNull(gNoForces.forces());
        var params = m.parameters().values().toArray(new Tensor[0]);
        var withForcePass = Trainer.loss(m, g, m.predict(g, true), 1f / 6, 0f);
        var energyOnly = Trainer.loss(m, gNoForces, m.predictEnergiesOnGraph(gNoForces), 1f / 6, 0.99f);
        assertEquals(withForcePass.item(), energyOnly.item(), 1e-6 * Math.abs(withForcePass.item()));
        var a = Autograd.grad(withForcePass, params, false);
        var b = Autograd.grad(energyOnly, params, false);
        for (int p = 0; p < params.length; p++) {
            float[] x = a[p].data(), y = b[p].data();
            for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-6 + 1e-5 * Math.abs(x[i]), params[p].name());
        }
    }
}
