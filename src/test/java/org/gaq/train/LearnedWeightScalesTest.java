package org.gaq.train;

import org.gaq.quant.Calibrator;
import org.gaq.model.QuantizationSites;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.data.Split;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.gaq.quant.QuantizedWeight;
import org.gaq.tensor.Autograd;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Learned weight-group scales with frozen codes (QuantizationPlan.learnWeightScales, docs/quantization.md). */
class LearnedWeightScalesTest {
    /** 48 features: int4 weights with 48 inputs have two groups per column (32 + 16 rows). */
    private static final ModelConfig TWO_GROUPS = new ModelConfig(48, 1, 4, 8, 5.0, true, 18);

    private static EquivariantTransformer w4a8Model(Split split, long seed) {
        EquivariantTransformer m = new EquivariantTransformer(TWO_GROUPS, seed);
        ElementEnergies.fit(split.train(), m.elementShift(), m.elementScale());
        Calibrator.calibrate(m, QuantizationSpec.w4a8(), split.train().frames().subList(0, 8), 4);
        return m;
    }

    @Test
    void bakingTheScalesIntoTheWeightsKeepsCodesAndModelAndMultipliesTheGroupScales() {
        Split split = TrainerTest.split();
        EquivariantTransformer m = w4a8Model(split, 3);
        QuantizationPlan plan = (QuantizationPlan) m.sites();
        List<Tensor> alphas = plan.learnWeightScales(m.parameters());
        assertFalse(alphas.isEmpty());
        GraphBatch g = NeighborList.batch(split.validation().frames().subList(0, 4), 5.0);
        float[] plain = m.predict(g, false).interaction().data();
        SplittableRandom rng = new SplittableRandom(5);
        for (Tensor a : alphas) {
            float[] d = a.leafData();
            for (int i = 0; i < d.length; i++) d[i] = (float) (0.8 + 0.45 * rng.nextDouble());
        }
        Map<String, float[]> alphaCopy = new LinkedHashMap<>();
        Map<String, QuantizedWeight> before = new LinkedHashMap<>();
        int k = 0;
        for (var e : m.parameters().entrySet()) {
            if (!QuantizationSites.isQuantizedWeight(e.getKey())) continue;
            alphaCopy.put(e.getKey(), alphas.get(k++).data().clone());
            before.put(e.getKey(), plan.quantizedWeight(e.getKey(), e.getValue()));
        }
        assertTrue(before.values().stream().anyMatch(q -> q.groups() == 2), "some weight has two int4 groups");
        var scaled = m.predict(g, false);
        assertNotEquals(plain[0], scaled.interaction().data()[0], "α changes the model");

        plan.bakeWeightScales(m.parameters());
        for (Tensor a : alphas) for (float x : a.data()) assertEquals(1f, x, "α is reset to 1");
        var baked = m.predict(g, false);
        assertArrayEquals(scaled.interaction().data(), baked.interaction().data(), 1e-4f, "the baked model computes what the scaled one did");
        assertArrayEquals(scaled.forces().data(), baked.forces().data(), 1e-4f);
        for (var e : before.entrySet()) {
            QuantizedWeight now = plan.quantizedWeight(e.getKey(), m.parameters().get(e.getKey()));
            assertArrayEquals(e.getValue().codes(), now.codes(), e.getKey() + ": codes unchanged");
            float[] a = alphaCopy.get(e.getKey()), s0 = e.getValue().scales(), s1 = now.scales();
            for (int i = 0; i < s0.length; i++) assertEquals(a[i] * s0[i], s1[i], 1e-6f * Math.abs(s1[i]), e.getKey() + " scale " + i);
        }
    }

    @Test
    void scaleGradientMatchesFiniteDifferences() {
        Split split = TrainerTest.split();
        EquivariantTransformer m = w4a8Model(split, 4);
        QuantizationPlan plan = (QuantizationPlan) m.sites();
        List<Tensor> alphas = plan.learnWeightScales(m.parameters());
        // activations unquantized, so that the objective is smooth in α (Q(W) is fixed: α only scales it)
        plan.setScalarBranch(false);
        plan.setVectorBranch(false);
        GraphBatch g = NeighborList.batch(split.validation().frames().subList(0, 2), 5.0);
        // a scalar that depends on α through energies and forces (the forces' path is what training uses)
        java.util.function.Supplier<Tensor> objective = () -> {
            var p = m.predict(g, true);
            return p.interaction().sum().add(p.forces().square().sum().mul(0.1f));
        };
        Tensor[] grads = Autograd.grad(objective.get(), alphas.toArray(new Tensor[0]), false);
        int checked = 0;
        for (int t = 0; t < alphas.size(); t += 3) {
            float[] a = alphas.get(t).leafData();
            for (int i = 0; i < a.length; i += Math.max(1, a.length / 3)) {
                float saved = a[i];
                double eps = 1e-2;
                a[i] = (float) (saved + eps);
                double plus = objective.get().item();
                a[i] = (float) (saved - eps);
                double minus = objective.get().item();
                a[i] = saved;
                double fd = (plus - minus) / (2 * eps), analytic = grads[t].data()[i];
                assertEquals(fd, analytic, 2e-3 * Math.max(1, Math.abs(fd)), "∂/∂α of tensor " + t + " entry " + i);
                checked++;
            }
        }
        assertTrue(checked >= 6, checked + " entries checked");
    }

    @Test
    void frozenStageWithLearnedScalesChangesScalesButNotCodes(@TempDir Path dir) throws Exception {
        Split split = TrainerTest.split();
        EquivariantTransformer m = w4a8Model(split, 5);
        QuantizationPlan plan = (QuantizationPlan) m.sites();
        Map<String, QuantizedWeight> before = new LinkedHashMap<>();
        m.parameters().forEach((name, w) -> { if (QuantizationSites.isQuantizedWeight(name)) before.put(name, plan.quantizedWeight(name, w)); });
        var options = Trainer.Options.builder().epochs(2).batchSize(4).warmupEpochs(0).plateauPatience(50).seed(3).threads(2).maxMinutes(60)
                .weightScaleRateFactor(10f).build();
        Trainer.startQat(m, split, options, dir, new PrintStream(new ByteArrayOutputStream())).freezeQuantizedWeightsFrom(0).run();
        for (var e : before.entrySet()) {
            QuantizedWeight now = plan.quantizedWeight(e.getKey(), m.parameters().get(e.getKey()));
            assertArrayEquals(e.getValue().codes(), now.codes(), e.getKey() + ": codes stay frozen");
            // layer 0's vector mix multiplies the initial vectors, which are zero: it has no gradient
            boolean moved = !java.util.Arrays.equals(e.getValue().scales(), now.scales());
            assertEquals(!e.getKey().equals("layers.0.vector_mix.weight"), moved, e.getKey() + ": scales learned");
        }
        assertThrows(IllegalArgumentException.class, () -> Trainer.Options.builder().weightScaleRateFactor(-1f).build());
    }

    @Test
    void scalesNeedQuantizedMaxAbsWeights() {
        Split split = TrainerTest.split();
        EquivariantTransformer m = new EquivariantTransformer(TWO_GROUPS, 6);
        var vectorsOnly = Calibrator.calibrate(m, QuantizationSpec.builder().weightBits(32).build(), split.train().frames().subList(0, 4), 4);
        assertThrows(IllegalStateException.class, () -> vectorsOnly.learnWeightScales(m.parameters()));
        var mse = QuantizationPlan.withSavedSteps(QuantizationSpec.w4a8().withWeightRange(org.gaq.quant.WeightQuantizer.Range.MSE), java.util.Map.of());
        assertThrows(IllegalStateException.class, () -> mse.learnWeightScales(m.parameters()));
    }
}
