package org.gaq.quant;

import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.tensor.Autograd;
import org.gaq.tensor.Tensor;
import org.gaq.train.Rotations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The plan wired into the model: 32 bits is the FP32 model, quantization stays close and near-equivariant. */
class QuantizationPlanTest {
    static final ModelConfig TINY = new ModelConfig(16, 3, 4, 8, 5.0, true, 18);

    static List<Frame> molecules(int count, long seed) {
        return org.gaq.model.TestMolecules.ethanolLike(count, seed);
    }

    static QuantizationPlan calibrated(EquivariantTransformer m, QuantizationSpec spec, GraphBatch g) {
        Calibrator calibrator = new Calibrator(spec);
        m.setSites(calibrator);
        m.predict(g, false);
        QuantizationPlan plan = calibrator.finish();
        m.setSites(plan);
        return plan;
    }

    @Test
    void aSpecDescribesItselfForAReader() {
        var paper = QuantizationSpec.builder().weightBits(4).activationBits(8).vectorScheme(QuantizationSpec.VectorScheme.MDDQ).vectorBits(8).directionBits(8).calibration(QuantizationSpec.Calibration.MIN_MAX).build();
        assertEquals("GAQ W4A8: MDDQ vectors (8-bit magnitudes and directions), min-max calibration", paper.description());
        var recommended = QuantizationSpec.builder().weightBits(8).activationBits(8).vectorScheme(QuantizationSpec.VectorScheme.MDDQ).vectorBits(8).directionBits(16).calibration(QuantizationSpec.Calibration.MIN_MAX).build()
                .withGradient(QuantizationSpec.Gradient.IDENTITY).withFullPrecisionSites(List.of("rbf_in")).withPerChannel(true);
        assertEquals("GAQ W8A8: MDDQ vectors (8-bit magnitudes, 16-bit directions), min-max calibration, per-channel steps, "
                + "identity gradient, FP32 sites rbf_in", recommended.description());
        var naive = QuantizationSpec.builder().weightBits(8).activationBits(8).vectorScheme(QuantizationSpec.VectorScheme.COMPONENTWISE).vectorBits(8).directionBits(8).calibration(QuantizationSpec.Calibration.PERCENTILE).build();
        assertEquals("W8A8: component-wise 8-bit vectors, 99.9th-percentile calibration", naive.description());
    }

    @Test
    void thirtyTwoBitsEverywhereIsExactlyTheFp32Model() {
        EquivariantTransformer m = new EquivariantTransformer(TINY, 3);
        GraphBatch g = NeighborList.batch(molecules(3, 1), TINY.cutoff());
        var fp32 = m.predict(g, false);
        calibrated(m, QuantizationSpec.fp32(), g);
        var same = m.predict(g, false);
        assertArrayEquals(fp32.energies(), same.energies());
        assertArrayEquals(fp32.forces().data(), same.forces().data());
    }

    @Test
    void w8a8StaysCloseToFp32AndReachesEverySite() {
        EquivariantTransformer m = new EquivariantTransformer(TINY, 4);
        GraphBatch g = NeighborList.batch(molecules(4, 2), TINY.cutoff());
        var fp32 = m.predict(g, false);
        QuantizationPlan plan = calibrated(m, QuantizationSpec.w8a8(), g);
        var q = m.predict(g, false);
        // 3 layers × (scalar_in, rbf_in, attention_query, attention_key, scalar_message) scalar sites;
        // vector_message in every layer and vector_in from layer 1 on.
        assertEquals(15 + 3 + 2, plan.describeSites().size(), plan.describeSites().toString());
        double maxF = 0, diffF = 0;
        for (int i = 0; i < q.forces().size(); i++) {
            maxF = Math.max(maxF, Math.abs(fp32.forces().data()[i]));
            diffF = Math.max(diffF, Math.abs(q.forces().data()[i] - fp32.forces().data()[i]));
        }
        assertTrue(diffF > 0, "quantization must change something");
        assertTrue(diffF < 0.1 * maxF, "8-bit forces within 10% of the largest FP32 force: " + diffF + " vs " + maxF);
    }

    @Test
    void moreScalarActivationBitsBringTheModelCloserToFp32() {
        EquivariantTransformer m = new EquivariantTransformer(TINY, 4);
        GraphBatch g = NeighborList.batch(molecules(4, 2), TINY.cutoff());
        double[] fp32 = m.predict(g, false).energies();
        assertEquals(8, QuantizationSpec.w8a8().activationBits());
        // scalar activations only (weights and vectors FP32), at 6, 8 and 12 bits
        double[] error = new double[3];
        int[] bits = {6, 8, 12};
        for (int k = 0; k < bits.length; k++) {
            QuantizationPlan plan = calibrated(m, QuantizationSpec.builder().weightBits(32).activationBits(32).vectorScheme(QuantizationSpec.VectorScheme.MDDQ).vectorBits(32).calibration(QuantizationSpec.Calibration.MIN_MAX).build().withActivationBits(bits[k]), g);
            String expected = "scalar LSQ int" + bits[k];
            assertTrue(plan.describeSites().values().stream().allMatch(expected::equals), plan.describeSites().toString());
            double[] e = m.predict(g, false).energies();
            for (int i = 0; i < e.length; i++) error[k] += Math.abs(e[i] - fp32[i]);
        }
        assertTrue(error[0] > error[1] && error[1] > error[2] && error[2] > 0, java.util.Arrays.toString(error));
        assertThrows(IllegalArgumentException.class, () -> QuantizationSpec.w8a8().withActivationBits(1));
        // vector bits: MDDQ magnitudes, the directions keep their own
        QuantizationPlan vectors = calibrated(m, QuantizationSpec.w8a8().withVectorBits(12), g);
        assertTrue(vectors.describeSites().containsValue("vector MDDQ 12+8 bits"), vectors.describeSites().toString());
        assertThrows(IllegalArgumentException.class, () -> QuantizationSpec.w8a8().withVectorBits(40));
    }

    @Test
    void weightsOnlyForcesAreTheExactGradientOfTheEnergy() throws Exception {
        EquivariantTransformer m = new EquivariantTransformer(TINY, 6);
        Frame frame = molecules(1, 5).get(0);
        GraphBatch g = NeighborList.batch(List.of(frame), TINY.cutoff());
        float[] fp32Forces = m.predict(g, false).forces().toArray();
        QuantizationPlan plan = calibrated(m, QuantizationSpec.w4a8(), g);
        plan.setScalarBranch(false);
        plan.setVectorBranch(false);
        var roundedEachCall = m.predict(g, false);
        ModelFiles.weightsOnly(m, java.nio.file.Path.of("tiny"));
        float[] forces = m.predict(g, false).forces().toArray();
        // the weights rounded once into the parameters give exactly what rounding them on every call gave
        assertArrayEquals(roundedEachCall.forces().toArray(), forces);
        assertArrayEquals(roundedEachCall.energies(), m.predict(g, false).energies());
        assertFalse(java.util.Arrays.equals(fp32Forces, forces), "the 4-bit weights must still act");
        // central differences of the energy: F = −∂E/∂x (the quantized-activation model fails this: its energy is a step function)
        double h = 1e-3, worst = 0, scale = 0;
        for (int c = 0; c < 3 * frame.numAtoms(); c++) {
            double[] plus = frame.positions().clone(), minus = frame.positions().clone();
            plus[c] += h;
            minus[c] -= h;
            double ep = m.predict(NeighborList.batch(List.of(frame.withPositions(plus)), TINY.cutoff()), false).energies()[0];
            double em = m.predict(NeighborList.batch(List.of(frame.withPositions(minus)), TINY.cutoff()), false).energies()[0];
            worst = Math.max(worst, Math.abs(-(ep - em) / (2 * h) - forces[c]));
            scale = Math.max(scale, Math.abs(forces[c]));
        }
        assertTrue(worst < 2e-2 * scale, "finite-difference force error " + worst + " vs largest force " + scale);
    }

    @Test
    void weightsOnlyNeedsAFakeQuantizedModel() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ModelFiles.weightsOnly(new EquivariantTransformer(TINY, 7), java.nio.file.Path.of("fp32.safetensors")));
        assertTrue(e.getMessage().contains("fp32.safetensors is not a fake-quantized model file"), e.getMessage());
    }

    @Test
    void vectorBranchSwitchesOffForTheWarmUp() {
        EquivariantTransformer m = new EquivariantTransformer(TINY, 5);
        GraphBatch g = NeighborList.batch(molecules(2, 3), TINY.cutoff());
        QuantizationPlan plan = calibrated(m, QuantizationSpec.w8a8(), g);
        float[] both = m.predict(g, false).forces().toArray();
        plan.setVectorBranch(false);
        float[] scalarsOnly = m.predict(g, false).forces().toArray();
        assertFalse(java.util.Arrays.equals(both, scalarsOnly), "the vector quantizers must have been acting");
        plan.setVectorBranch(true);
        assertArrayEquals(both, m.predict(g, false).forces().toArray());
    }

    @Test
    void mddqBreaksRotationalSymmetryLessThanComponentwiseQuantization() {
        GraphBatch calibration = NeighborList.batch(molecules(4, 4), TINY.cutoff());
        double[] lee = new double[2];
        QuantizationSpec.VectorScheme[] schemes = {QuantizationSpec.VectorScheme.MDDQ, QuantizationSpec.VectorScheme.COMPONENTWISE};
        for (int s = 0; s < 2; s++) {
            EquivariantTransformer m = new EquivariantTransformer(TINY, 6);
            // Vector activations only, at 6 bits, so the vector scheme is what differs.
            calibrated(m, QuantizationSpec.builder().weightBits(32).activationBits(32).vectorScheme(schemes[s]).vectorBits(6).calibration(QuantizationSpec.Calibration.MEAN_ABS).build(), calibration);
            SplittableRandom rng = new SplittableRandom(11);
            for (Frame f : molecules(6, 5)) {
                float[] base = m.predict(NeighborList.batch(List.of(f), 5.0), false).forces().data();
                double[] rot = Rotations.random(rng);
                float[] turned = m.predict(NeighborList.batch(List.of(f.withPositions(Rotations.apply(rot, f.positions()))), 5.0), false).forces().data();
                double[] expected = Rotations.apply(rot, toDouble(base));
                for (int i = 0; i < expected.length; i++) lee[s] += Math.abs(turned[i] - expected[i]);
            }
        }
        assertTrue(lee[0] > 0 && lee[1] > 0, "both quantized models deviate somewhat from exact equivariance");
        assertTrue(lee[0] < lee[1], "MDDQ equivariance error " + lee[0] + " vs component-wise " + lee[1]);
    }

    @Test
    void identityGradientKeepsTheValuesAndPassesEveryDerivative() {
        EquivariantTransformer m = new EquivariantTransformer(TINY, 8);
        GraphBatch g = NeighborList.batch(molecules(3, 5), TINY.cutoff());
        QuantizationPlan clipped = calibrated(m, QuantizationSpec.w8a8(), g);
        var a = m.predict(g, false);
        QuantizationPlan identity = QuantizationPlan.withSavedSteps(QuantizationSpec.w8a8().withGradient(QuantizationSpec.Gradient.IDENTITY), clipped.steps());
        m.setSites(identity);
        var b = m.predict(g, false);
        assertArrayEquals(a.energies(), b.energies(), 0, "the same quantized values");
        assertFalse(java.util.Arrays.equals(a.forces().data(), b.forces().data()), "different derivatives, so different forces");

        // A scalar site, with values far outside its range (2× the calibrated max): ∂Σ c·Q(x)/∂x = c everywhere.
        String site = "layers.1.scalar_in";
        float step = identity.steps().get("quant.scalar." + site)[0];
        SplittableRandom r = new SplittableRandom(3);
        float[] xv = new float[5 * TINY.features()], cv = new float[xv.length];
        for (int i = 0; i < xv.length; i++) { xv[i] = (float) ((r.nextDouble() * 2 - 1) * 254 * step); cv[i] = (float) r.nextGaussian(); }
        Tensor x = Tensor.leaf(xv, 5, TINY.features());
        Tensor c = Tensor.of(cv, 5, TINY.features());
        assertArrayEquals(cv, Autograd.grad(identity.scalar(site, x).mul(c).sum(), new Tensor[]{x}, false)[0].data(), 0);
        Tensor clippedGrad = Autograd.grad(clipped.scalar(site, x).mul(c).sum(), new Tensor[]{x}, false)[0];
        assertTrue(java.util.Arrays.stream(toDouble(clippedGrad.data())).filter(v -> v == 0).count() > xv.length / 4,
                "the clipped estimator cuts the derivative outside the range");

        // A vector site, with vectors short enough to round to magnitude 0: the identity still passes all of ∂/∂h.
        float[] hv = new float[4 * 3 * TINY.features()], kv = new float[hv.length];
        for (int i = 0; i < hv.length; i++) { hv[i] = (float) (r.nextGaussian() * 1e-4); kv[i] = (float) r.nextGaussian(); }
        Tensor h = Tensor.leaf(hv, 4, 3, TINY.features());
        Tensor k = Tensor.of(kv, 4, 3, TINY.features());
        assertArrayEquals(kv, Autograd.grad(identity.vector("layers.1.vector_in", h).mul(k).sum(), new Tensor[]{h}, false)[0].data(), 0);
    }

    @ParameterizedTest
    @EnumSource(QuantizationSpec.Gradient.class)
    void forceTrainingGradientsReachParametersAndSteps(QuantizationSpec.Gradient gradient) {
        EquivariantTransformer m = new EquivariantTransformer(TINY, 7);
        GraphBatch g = NeighborList.batch(molecules(2, 6), TINY.cutoff());
        QuantizationPlan plan = calibrated(m, QuantizationSpec.w4a8().withGradient(gradient), g);
        var pred = m.predict(g, true);
        Tensor loss = pred.forces().square().sum();
        List<Tensor> wrt = new ArrayList<>(m.parameters().values());
        wrt.addAll(plan.parameters());
        Tensor[] grads = Autograd.grad(loss, wrt.toArray(new Tensor[0]), false);
        int stepGradients = 0;
        for (int i = 0; i < grads.length; i++) {
            for (float x : grads[i].data()) assertTrue(Float.isFinite(x), "finite gradient for input " + i);
            if (i >= m.parameters().size() && grads[i].data()[0] != 0f) stepGradients++;
        }
        assertTrue(stepGradients > plan.parameters().size() / 2, "most step sizes get a gradient: " + stepGradients);
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    @Test
    void directionBitsDefaultToVectorBitsAndSetTheMddqGrid(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var legacy = QuantizationSpec.builder().weightBits(8).activationBits(8).vectorScheme(QuantizationSpec.VectorScheme.MDDQ).vectorBits(8).directionBits(0).calibration(QuantizationSpec.Calibration.MIN_MAX).build();
        assertEquals(8, legacy.directionBits(), "0 (a file from before the field) means as many as the magnitude");
        assertThrows(IllegalArgumentException.class,
                () -> QuantizationSpec.builder().weightBits(8).activationBits(8).vectorScheme(QuantizationSpec.VectorScheme.MDDQ).vectorBits(8).directionBits(1).calibration(QuantizationSpec.Calibration.MIN_MAX).build());
        EquivariantTransformer m = new EquivariantTransformer(TINY, 6);
        GraphBatch g = NeighborList.batch(molecules(2, 4), TINY.cutoff());
        var spec = QuantizationSpec.builder().weightBits(32).activationBits(32).vectorScheme(QuantizationSpec.VectorScheme.MDDQ).vectorBits(8).directionBits(12).calibration(QuantizationSpec.Calibration.MIN_MAX).build();
        QuantizationPlan plan = calibrated(m, spec, g);
        assertTrue(plan.describeSites().values().stream().anyMatch(d -> d.equals("vector MDDQ 8+12 bits")), plan.describeSites().toString());
        double[] before = m.predict(g, false).energies();
        java.nio.file.Path file = dir.resolve("q.safetensors");
        ModelFiles.save(file, m);
        EquivariantTransformer loaded = ModelFiles.load(file);
        assertEquals(spec, ((QuantizationPlan) loaded.sites()).spec());
        assertArrayEquals(before, loaded.predict(g, false).energies(), 0);
    }

    @Test
    void perChannelAndFullPrecisionSpecsSurviveAFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        EquivariantTransformer m = new EquivariantTransformer(TINY, 6);
        GraphBatch g = NeighborList.batch(molecules(2, 4), TINY.cutoff());
        var spec = QuantizationSpec.w8a8().withPerChannel(true).withFullPrecisionSites(List.of("layers.1.scalar_message"))
                .withWeightRange(WeightQuantizer.Range.MSE);
        QuantizationPlan plan = calibrated(m, spec, g);
        assertEquals(TINY.features(), plan.steps().get("quant.scalar.layers.0.scalar_in").length, "a weight's input: a step per channel");
        assertEquals(1, plan.steps().get("quant.scalar.layers.0.attention_query").length, "q̃ feeds no weight: one step");
        assertEquals(TINY.features(), plan.steps().get("quant.vector.layers.0.vector_message").length, "MDDQ magnitudes: a step per channel");
        assertFalse(plan.steps().containsKey("quant.scalar.layers.1.scalar_message"));
        assertTrue(plan.steps().containsKey("quant.scalar.layers.0.scalar_message"));
        var before = m.predict(g, false);
        java.nio.file.Path file = dir.resolve("q.safetensors");
        ModelFiles.save(file, m);
        EquivariantTransformer loaded = ModelFiles.load(file);
        assertEquals(spec, ((QuantizationPlan) loaded.sites()).spec());
        var after = loaded.predict(g, false);
        assertArrayEquals(before.energies(), after.energies(), 0);
        assertArrayEquals(before.forces().data(), after.forces().data(), 0);
        assertThrows(IllegalArgumentException.class, () -> new QuantizationSpec(8, 8, QuantizationSpec.VectorScheme.MDDQ, 8, 8, false,
                QuantizationSpec.Calibration.PERCENTILE, true, List.of(), null, null), "per-channel steps are min-max only");
    }

    @Test
    void plainAttentionCopySharesWeightsButNotTheAttention() {
        EquivariantTransformer m = new EquivariantTransformer(TINY, 8);
        GraphBatch g = NeighborList.batch(molecules(2, 5), TINY.cutoff());
        var c = TINY;
        EquivariantTransformer plain = m.withConfig(new ModelConfig(c.features(), c.layers(), c.heads(), c.radialBasis(), c.cutoff(), false, c.maxAtomicNumber()));
        assertFalse(plain.config().cosineAttention());
        assertEquals(m.parameters().keySet(), plain.parameters().keySet());
        for (var e : m.parameters().entrySet()) assertArrayEquals(e.getValue().data(), plain.parameters().get(e.getKey()).data(), 0);
        assertNotEquals(m.predict(g, false).energies()[0], plain.predict(g, false).energies()[0]);
        assertArrayEquals(m.predict(g, false).energies(), m.withConfig(TINY).predict(g, false).energies(), 0, "same config: same model");
        assertThrows(IllegalArgumentException.class,
                () -> m.withConfig(new ModelConfig(32, c.layers(), c.heads(), c.radialBasis(), c.cutoff(), true, c.maxAtomicNumber())));
    }
}
