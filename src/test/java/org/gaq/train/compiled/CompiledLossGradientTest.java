package org.gaq.train.compiled;

import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.model.TestMolecules;
import org.gaq.tensor.Autograd;
import org.gaq.tensor.Tensor;
import org.gaq.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The compiled training step's loss and ∂L/∂θ against the tape's (which differentiates the force pass again). */
class CompiledLossGradientTest {

    static EquivariantTransformer randomModel(ModelConfig config, long seed) {
        return TestMolecules.randomModel(config, seed);
    }

    /** Labelled frames: ethanol-like molecules with random energies and forces, and one with an isolated atom. */
    static List<Frame> labelled(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Frame> frames = new ArrayList<>(TestMolecules.ethanolLike(3, seed));
        double[] lonely = TestMolecules.ETHANOL_POSITIONS.clone();
        lonely[3 * 8] += 12.0;
        frames.add(Frame.unlabeled(TestMolecules.ETHANOL_ELEMENTS, lonely));
        List<Frame> out = new ArrayList<>();
        for (Frame f : frames) {
            double[] forces = new double[3 * f.numAtoms()];
            for (int k = 0; k < forces.length; k++) forces[k] = r.nextGaussian();
            out.add(f.withLabels(-200 * r.nextDouble(), forces));
        }
        return out;
    }

    @Test
    void lossAndGradientsEqualTheTapes() {
        for (ModelConfig config : new ModelConfig[]{ModelConfig.paper(), new ModelConfig(64, 3, 8, 32, 5.0, false, 18)}) {
            EquivariantTransformer model = randomModel(config, 7);
            GraphBatch g = NeighborList.batch(labelled(3), config.cutoff());
            float wE = 0.3f, wF = 0.05f;

            var pred = model.predict(g, true);
            Tensor loss = Trainer.loss(model, g, pred, wE, wF);
            Tensor[] params = model.parameters().values().toArray(new Tensor[0]);
            Tensor[] expected = Autograd.grad(loss, params, false);

            // the batch whole, in groups of one molecule, and in the default groups (three molecules, then one)
            for (int groupEdges : new int[]{Integer.MAX_VALUE, 1, CompiledLossGradient.GROUP_EDGES}) {
                CompiledLossGradient compiled = new CompiledLossGradient(model);
                compiled.groupEdges = groupEdges;
                float[][] grads = new float[params.length][];
                for (int p = 0; p < params.length; p++) grads[p] = new float[params[p].size()];
                double actualLoss = compiled.lossAndGradient(g, wE, wF, grads);
                assertEquals(loss.item(), actualLoss, 1e-5 * Math.abs(loss.item()), "loss");

                String label = "cosine attention " + config.cosineAttention() + ", groups of " + groupEdges + " edges";
                double worst = assertGradientsAgree(model, expected, grads, 1e-5, label);
                System.out.printf("FP32, %s: worst gradient difference %.2e of its largest entry%n", label, worst);
            }
        }
    }

    /**
     * Every parameter's gradient within {@code tolerance} of its largest entry (tape's {@code expected} against the
     * compiled {@code actual}); returns the worst such ratio.
     */
    static double assertGradientsAgree(EquivariantTransformer model, Tensor[] expected, float[][] actual, double tolerance, String label) {
        String[] names = model.parameters().keySet().toArray(new String[0]);
        double worst = 0;
        for (int p = 0; p < names.length; p++) {
            float[] e = expected[p].data(), a = actual[p];
            double max = 0, diff = 0;
            for (int i = 0; i < e.length; i++) {
                max = Math.max(max, Math.abs(e[i]));
                diff = Math.max(diff, Math.abs(e[i] - a[i]));
            }
            worst = Math.max(worst, diff / (max + 1e-30));
            assertTrue(diff <= tolerance * max + 1e-9, label + ", " + names[p] + ": max |Δ| " + diff + " of max " + max);
        }
        return worst;
    }

    /**
     * Adam steps with the compiled gradient and with the tape's, on two workers: the same weights after them, to rounding;
     * and the compiled steps run twice give bitwise the same weights (training is deterministic for a thread count).
     */
    @Test
    void trainerStepsAgreeBetweenEnginesAndRepeat() throws Exception {
        ModelConfig config = new ModelConfig(64, 2, 8, 32, 5.0, true, 18);
        List<Frame> frames = labelled(5);
        var data = new org.gaq.data.Dataset("test", frames);
        var split = new org.gaq.data.Split(data, data, data);
        var engines = List.of(Trainer.Options.Engine.COMPILED, Trainer.Options.Engine.TAPE, Trainer.Options.Engine.COMPILED);
        EquivariantTransformer[] models = new EquivariantTransformer[engines.size()];
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int k = 0; k < engines.size(); k++) {
                models[k] = randomModel(config, 11);
                var options = Trainer.Options.builder().epochs(1).batchSize(frames.size()).threads(2).warmupEpochs(0).engine(engines.get(k)).build();
                Trainer t = new Trainer(models[k], split, options, java.nio.file.Path.of("unused"), new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
                for (int step = 0; step < 3; step++) t.step(frames, 1e-3f, pool);
            }
        } finally {
            pool.shutdownNow();
        }
        for (String name : models[0].parameters().keySet()) {
            float[] a = models[0].parameters().get(name).data(), b = models[1].parameters().get(name).data();
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5f + 1e-5f * Math.abs(a[i]), name + "[" + i + "]");
            assertArrayEquals(a, models[2].parameters().get(name).data(), name + ": the compiled steps again");
        }
    }

    /** A fake-quantized model of gaq's recommended kind ({@code QatRecipe.recommended}: identity gradient, its FP32 sites, per-channel steps for 8-bit weights), calibrated on a few molecules. */
    static EquivariantTransformer fakeQuantized(int weightBits, org.gaq.quant.QuantizationSpec.VectorScheme scheme) {
        EquivariantTransformer m = randomModel(new ModelConfig(64, 3, 8, 32, 5.0, true, 18), 21);
        var spec = org.gaq.train.QatRecipe.recommended(org.gaq.quant.QuantizationSpec.builder().weightBits(weightBits).activationBits(8)
                .vectorScheme(scheme).vectorBits(8).calibration(org.gaq.quant.QuantizationSpec.Calibration.MIN_MAX).build());
        org.gaq.quant.Calibrator.calibrate(m, spec, TestMolecules.ethanolLike(4, 1), 4);
        return m;
    }

    /**
     * QAT: the loss with the LEE term (‖F(R·x) − R·F(x)‖ on a rotated copy) and its gradient, compiled against the tape
     * on fake-quantized models (W8A8 MDDQ, W4A8 local frames). Quantized activations are step functions: a value within
     * float rounding of a rounding boundary may take the other code in one path; these molecules have no such flip (the
     * worst entry is printed: about 10⁻⁶ of the largest), and the bar is 10⁻⁴ (a wrong second-order rule moved 10⁻³).
     */
    @Test
    void quantizationAwareLossWithLeeAgreesWithTheTape() {
        for (var variant : List.of(new Object[]{8, org.gaq.quant.QuantizationSpec.VectorScheme.MDDQ},
                new Object[]{4, org.gaq.quant.QuantizationSpec.VectorScheme.LOCAL_FRAME})) {
            EquivariantTransformer model = fakeQuantized((Integer) variant[0], (org.gaq.quant.QuantizationSpec.VectorScheme) variant[1]);
            assertTrue(CompiledLossGradient.supports(model), CompiledLossGradient.unsupported(model));
            var sites = model.sites();
            List<Frame> probe = labelled(3);
            double quantized = model.predictEnergies(NeighborList.batch(probe, model.config().cutoff()))[0];
            model.setSites(org.gaq.model.ActivationSites.FP32);
            double fp32 = model.predictEnergies(NeighborList.batch(probe, model.config().cutoff()))[0];
            model.setSites(sites);
            assertNotEquals(fp32, quantized, "the sites quantize");
            List<Frame> frames = labelled(3);
            GraphBatch g = NeighborList.batch(frames, model.config().cutoff());
            SplittableRandom rng = new SplittableRandom(5);
            List<Frame> rotated = new ArrayList<>();
            float[] perAtom = new float[9 * g.numAtoms()];
            int atom = 0;
            for (Frame f : frames) {
                double[] r = org.gaq.train.Rotations.random(rng);
                rotated.add(f.withPositions(org.gaq.train.Rotations.apply(r, f.positions())));
                for (int i = 0; i < f.numAtoms(); i++, atom++) for (int k = 0; k < 9; k++) perAtom[9 * atom + k] = (float) r[k];
            }
            GraphBatch gr = NeighborList.batch(rotated, model.config().cutoff());
            float wE = 0.3f, wF = 0.05f, c = 0.02f;

            var pred = model.predict(g, true);
            Tensor forcesRotated = model.predict(gr, true).forces();
            Tensor rotatedForces = Tensor.of(perAtom, g.numAtoms(), 3, 3).mul(pred.forces().reshape(g.numAtoms(), 1, 3)).sum(2, false);
            Tensor leeTerm = org.gaq.tensor.Functional.norm(forcesRotated.sub(rotatedForces), 1, false, 1e-6f).sum().mul(c);
            Tensor loss = Trainer.loss(model, g, pred, wE, wF).add(leeTerm);
            Tensor[] params = model.parameters().values().toArray(new Tensor[0]);
            Tensor[] expected = Autograd.grad(loss, params, false);

            for (int groupEdges : new int[]{Integer.MAX_VALUE, 1}) {   // the batch whole; one molecule at a time
                CompiledLossGradient compiled = new CompiledLossGradient(model);
                compiled.groupEdges = groupEdges;
                float[][] grads = new float[params.length][];
                for (int p = 0; p < params.length; p++) grads[p] = new float[params[p].size()];
                double actualLoss = compiled.lossAndGradient(g, new CompiledLossGradient.Lee(gr, perAtom, c), wE, wF, grads);
                String label = variant[0] + "-bit weights, " + variant[1] + ", groups of " + groupEdges + " edges";
                assertEquals(loss.item(), actualLoss, 1e-4 * Math.abs(loss.item()), label + ": loss");
                double worst = assertGradientsAgree(model, expected, grads, 1e-4, label);
                System.out.printf("QAT %s: worst gradient difference %.2e of its largest entry%n", label, worst);
            }
        }
    }

    /** QAT steps with the LEE term through the Trainer (its rotations, its workers), compiled against the tape: the same weights. */
    @Test
    void quantizationAwareTrainerStepsAgreeBetweenEngines() throws Exception {
        List<Frame> frames = labelled(5);
        var data = new org.gaq.data.Dataset("test", frames);
        var split = new org.gaq.data.Split(data, data, data);
        EquivariantTransformer[] models = new EquivariantTransformer[2];
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            int k = 0;
            for (var engine : List.of(Trainer.Options.Engine.COMPILED, Trainer.Options.Engine.TAPE)) {
                models[k] = fakeQuantized(8, org.gaq.quant.QuantizationSpec.VectorScheme.LOCAL_FRAME);
                var options = Trainer.Options.builder().epochs(1).batchSize(frames.size()).threads(2).warmupEpochs(0).leeWeight(0.01f)
                        .engine(engine).build();
                Trainer t = new Trainer(models[k], split, options, java.nio.file.Path.of("unused"), new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
                for (int step = 0; step < 3; step++) t.step(frames, 1e-4f, pool);
                k++;
            }
        } finally {
            pool.shutdownNow();
        }
        for (String name : models[0].parameters().keySet()) {
            float[] a = models[0].parameters().get(name).data(), b = models[1].parameters().get(name).data();
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-6f + 1e-5f * Math.abs(a[i]), name + "[" + i + "]");
        }
    }
}
