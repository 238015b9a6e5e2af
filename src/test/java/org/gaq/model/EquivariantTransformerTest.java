package org.gaq.model;

import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.io.SafeTensorsException;
import org.gaq.tensor.Autograd;
import org.gaq.tensor.Tensor;
import org.gaq.train.Rotations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Physical properties of the model: invariance of E and equivariance of F under rotation,
 * translation and permutation; F = −∇E; the force-loss parameter gradient; smoothness at the cutoff;
 * checkpoints.
 */
class EquivariantTransformerTest {
    /** Small but complete: every branch of the layer is exercised (2 layers so vectors feed back). */
    static final ModelConfig TINY = new ModelConfig(16, 2, 4, 8, 5.0, true, 18);

    static EquivariantTransformer model(ModelConfig c, long seed) {
        EquivariantTransformer m = new EquivariantTransformer(c, seed);
        // Non-trivial element energies so the head's affine map is exercised too.
        m.elementShift()[1] = -13.6f;
        m.elementShift()[6] = -1030f;
        m.elementShift()[8] = -2040f;
        java.util.Arrays.fill(m.elementScale(), 0.7f);
        // Randomise the norm parameters away from (1, 0) so they matter.
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (var e : m.parameters().entrySet()) {
            if (e.getKey().contains("norm")) {
                float[] d = e.getValue().leafData();
                for (int i = 0; i < d.length; i++) d[i] += (float) (0.3 * (r.nextDouble() - 0.5));
            }
        }
        return m;
    }

    /** An ethanol-like molecule: C C O and six H around them, with a bit of noise. */
    static Frame ethanolLike(long seed) {
        double[] p = {0, 0, 0, 1.52, 0, 0, 2.0, 1.35, 0, -0.4, 1.0, 0.2, -0.4, -0.5, 0.9, -0.4, -0.5, -0.9,
                1.9, -0.5, 0.9, 1.9, -0.5, -0.9, 2.9, 1.4, 0.3};
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < p.length; i++) p[i] += 0.1 * (r.nextDouble() - 0.5);
        return Frame.unlabeled(new int[]{6, 6, 8, 1, 1, 1, 1, 1, 1}, p);
    }

    static EquivariantTransformer.Prediction predict(EquivariantTransformer m, Frame f) {
        return m.predict(NeighborList.batch(List.of(f), m.config().cutoff()), false);
    }

    @Test
    void energyIsInvariantAndForcesRotateWithTheMolecule() {
        EquivariantTransformer m = model(TINY, 5);
        Frame f = ethanolLike(1);
        var base = predict(m, f);
        SplittableRandom rng = new SplittableRandom(9);
        for (int trial = 0; trial < 5; trial++) {
            double[] rot = Rotations.random(rng);
            double[] shifted = Rotations.apply(rot, f.positions());
            for (int i = 0; i < shifted.length; i++) shifted[i] += 3.0 * (i % 3 - 1);   // plus a translation
            var moved = predict(m, f.withPositions(shifted));
            // Float32 rounding on energies ~3000 eV: |ΔE| ≲ 1e-3 eV; forces to 1e-4 of their scale.
            assertEquals(base.energies()[0], moved.energies()[0], 2e-3, "energy after rotation + translation");
            double[] expected = Rotations.apply(rot, toDouble(base.forces().data()));
            assertArrayClose(expected, moved.forces().data(), 1e-4 * maxAbs(expected) + 1e-5, "rotated forces");
        }
    }

    @Test
    void permutingAtomsPermutesForces() {
        EquivariantTransformer m = model(TINY, 6);
        Frame f = ethanolLike(2);
        int[] perm = {4, 2, 0, 8, 1, 3, 7, 6, 5};
        int[] z = new int[9];
        double[] p = new double[27];
        for (int i = 0; i < 9; i++) {
            z[i] = f.atomicNumbers()[perm[i]];
            System.arraycopy(f.positions(), 3 * perm[i], p, 3 * i, 3);
        }
        var base = predict(m, f);
        var permuted = predict(m, Frame.unlabeled(z, p));
        assertEquals(base.energies()[0], permuted.energies()[0], 2e-3);
        float[] fb = base.forces().data(), fp = permuted.forces().data();
        for (int i = 0; i < 9; i++) for (int a = 0; a < 3; a++) {
            assertEquals(fb[3 * perm[i] + a], fp[3 * i + a], 1e-4 * maxAbs(toDouble(fb)) + 1e-5);
        }
    }

    @Test
    void forcesAreMinusTheEnergyGradient() {
        // Energy differences of ~1e-2 eV on a ~3000 eV total are below float resolution, so the
        // finite differences use a model without the element shift (it adds a constant only).
        EquivariantTransformer m = model(TINY, 7);
        java.util.Arrays.fill(m.elementShift(), 0f);
        Frame f = ethanolLike(3);
        float[] forces = predict(m, f).forces().data();
        double h = 1e-2;
        for (int k = 0; k < 27; k++) {
            double[] plus = f.positions().clone(), minus = f.positions().clone();
            plus[k] += h;
            minus[k] -= h;
            double fd = -(energy(m, f.withPositions(plus)) - energy(m, f.withPositions(minus))) / (2 * h);
            assertEquals(fd, forces[k], 2e-3 + 1e-2 * Math.abs(fd), "force component " + k);
        }
    }

    private static double energy(EquivariantTransformer m, Frame f) {
        return m.predictEnergies(NeighborList.batch(List.of(f), m.config().cutoff()))[0];
    }

    @Test
    void forceLossParameterGradientMatchesFiniteDifferences() {
        EquivariantTransformer m = model(TINY, 8);
        java.util.Arrays.fill(m.elementShift(), 0f);
        List<Frame> frames = List.of(ethanolLike(4), ethanolLike(5));
        GraphBatch g = NeighborList.batch(frames, TINY.cutoff());
        float[] reference = Tensor.randn(new SplittableRandom(1), 0.5f, g.numAtoms(), 3).data();
        int checked = checkParameterGradient(m, () -> forceLoss(m, g, reference), 24, 2);
        assertTrue(checked >= 8, "most probed parameters must have non-trivial gradients, got " + checked);
    }

    /**
     * Probes {@code trials} random parameter entries: ∂loss/∂θ from the graph against central differences (h = 1e-2);
     * returns how many probed gradients were non-trivial (above 1e-3).
     */
    private static int checkParameterGradient(EquivariantTransformer m, java.util.function.Supplier<Tensor> loss, int trials, long seed) {
        Tensor[] params = m.parameters().values().toArray(new Tensor[0]);
        Tensor[] grads = Autograd.grad(loss.get(), params, false);
        SplittableRandom pick = new SplittableRandom(seed);
        List<String> names = new ArrayList<>(m.parameters().keySet());
        int checked = 0;
        for (int trial = 0; trial < trials; trial++) {
            int p = pick.nextInt(names.size());
            float[] data = params[p].leafData();
            int i = pick.nextInt(data.length);
            float original = data[i];
            double h = 1e-2;
            data[i] = (float) (original + h);
            double up = loss.get().item();
            data[i] = (float) (original - h);
            double down = loss.get().item();
            data[i] = original;
            double fd = (up - down) / (2 * h);
            double an = grads[p].data()[i];
            assertEquals(fd, an, 2e-3 + 2e-2 * Math.abs(fd), names.get(p) + "[" + i + "]");
            if (Math.abs(an) > 1e-3) checked++;
        }
        return checked;
    }

    private static Tensor forceLoss(EquivariantTransformer m, GraphBatch g, float[] reference) {
        var pred = m.predict(g, true);
        return pred.forces().sub(Tensor.of(reference, g.numAtoms(), 3)).square().sum();
    }

    /** Energy-only training's loss Σ_m (E_m − Ê_m)² on {@link EquivariantTransformer#predictEnergiesOnGraph}. */
    private static Tensor energyLoss(EquivariantTransformer.Prediction pred, double[] labels) {
        double[] target = new double[labels.length];
        for (int m = 0; m < labels.length; m++) target[m] = labels[m] - pred.shifts()[m];
        return pred.interaction().sub(Tensor.of(target, labels.length)).square().sum();
    }

    @Test
    void energyOnlyLossParameterGradientMatchesFiniteDifferences() {
        EquivariantTransformer m = model(TINY, 10);
        GraphBatch g = NeighborList.batch(List.of(ethanolLike(6), ethanolLike(7), ethanolLike(8)), TINY.cutoff());
        double[] e = m.predictEnergies(g);
        double[] labels = {e[0] + 0.8, e[1] - 0.6, e[2] + 0.3};   // residuals of some tenths of an eV
        assertNull(m.predictEnergiesOnGraph(g).forces(), "energy-only prediction computes no forces");
        int checked = checkParameterGradient(m, () -> energyLoss(m.predictEnergiesOnGraph(g), labels), 48, 3);
        // (embedding rows of elements absent from the batch have no gradient)
        assertTrue(checked >= 12, "most probed parameters must have non-trivial gradients, got " + checked);
    }

    @Test
    void energyOnlyGradientEqualsTheForcePassGradientOfTheSameLoss() {
        // The one-backward path and the force path (createGraph) differentiate the same energies.
        EquivariantTransformer m = model(TINY, 11);
        GraphBatch g = NeighborList.batch(List.of(ethanolLike(9), ethanolLike(10)), TINY.cutoff());
        double[] e = m.predictEnergies(g);
        double[] labels = {e[0] - 0.1, e[1] + 0.25};
        Tensor[] params = m.parameters().values().toArray(new Tensor[0]);
        Tensor[] direct = Autograd.grad(energyLoss(m.predictEnergiesOnGraph(g), labels), params, false);
        Tensor[] viaForces = Autograd.grad(energyLoss(m.predict(g, true), labels), params, false);
        for (int p = 0; p < params.length; p++) {
            float[] a = direct[p].data(), b = viaForces[p].data();
            for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-6 + 1e-5 * Math.abs(b[i]), params[p].name() + "[" + i + "]");
        }
    }

    @Test
    void energyIsSmoothAsAnAtomCrossesTheCutoff() {
        EquivariantTransformer m = model(TINY, 9);
        java.util.Arrays.fill(m.elementShift(), 0f);
        double rc = TINY.cutoff();
        // A hydrogen pulled away from a CO pair along x: its distance to C crosses r_c.
        double[] samples = {rc - 0.02, rc - 0.01, rc - 1e-4, rc + 1e-4, rc + 0.01, rc + 0.02};
        double[] e = new double[samples.length];
        for (int s = 0; s < samples.length; s++) {
            double[] p = {0, 0, 0, -1.2, 0.3, 0, samples[s], 0.5, 0};
            double[] pp = p.clone();
            pp[6] = Math.sqrt(samples[s] * samples[s] - 0.25);   // |R_H − R_C| = samples[s]
            e[s] = energy(m, Frame.unlabeled(new int[]{6, 8, 1}, pp));
        }
        // Continuous: the jump across r_c is no larger than the change over 1e-4 Å elsewhere would be.
        assertEquals(e[2], e[3], 1e-5, "energy jumps at the cutoff");
        // Smooth: the slope on either side tends to zero (φ'(r_c) = 0), so one-sided slopes agree.
        double slopeIn = (e[2] - e[0]) / (samples[2] - samples[0]);
        double slopeOut = (e[5] - e[3]) / (samples[5] - samples[3]);
        assertEquals(0.0, slopeOut, 1e-4, "beyond the cutoff the H no longer interacts");
        assertEquals(slopeOut, slopeIn, 5e-3, "no kink at the cutoff");
    }

    @Test
    void checkpointRoundTripAndCorruptFilesAreRejected(@TempDir Path dir) throws IOException {
        EquivariantTransformer m = model(TINY, 10);
        Path file = dir.resolve("m.safetensors");
        Checkpoint.save(file, m);
        EquivariantTransformer loaded = Checkpoint.loadModel(file);
        Frame f = ethanolLike(6);
        assertArrayEquals(predict(m, f).forces().data(), predict(loaded, f).forces().data());
        assertArrayEquals(predict(m, f).energies(), predict(loaded, f).energies());

        byte[] bytes = Files.readAllBytes(file);
        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertThrows(SafeTensorsException.class, () -> Checkpoint.loadModel(truncated));

        Path other = dir.resolve("other.safetensors");
        org.gaq.io.SafeTensors.write(other, Map.of("format", "something-else"), List.of());
        var e = assertThrows(SafeTensorsException.class, () -> Checkpoint.loadModel(other));
        assertTrue(e.getMessage().contains("not a gaq model"), e.getMessage());
    }

    @Test
    void unknownElementsAreRejected() {
        EquivariantTransformer m = model(TINY, 11);
        Frame gold = Frame.unlabeled(new int[]{79, 1}, new double[]{0, 0, 0, 1, 0, 0});
        var e = assertThrows(IllegalArgumentException.class, () -> predict(m, gold));
        assertTrue(e.getMessage().contains("79"), e.getMessage());
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static double maxAbs(double[] d) {
        double m = 0;
        for (double x : d) m = Math.max(m, Math.abs(x));
        return m;
    }

    static void assertArrayClose(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], tol, what + "[" + i + "]");
    }
}
