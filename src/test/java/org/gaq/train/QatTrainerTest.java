package org.gaq.train;

import org.gaq.quant.Calibrator;
import org.gaq.model.QuantizationSites;
import org.gaq.data.NeighborList;
import org.gaq.data.Split;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Quantization-aware training: warm-up schedule, LEE term, quantized checkpoints that load and resume. */
class QatTrainerTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    static Trainer.Options qat(int epochs, float leeWeight, int vectorWarmup) {
        return Trainer.Options.builder().epochs(epochs).batchSize(4).warmupEpochs(0).plateauPatience(50).seed(3).threads(2).maxMinutes(60)
                .leeWeight(leeWeight).vectorWarmupEpochs(vectorWarmup).build();
    }

    static EquivariantTransformer calibratedModel(Split split, long seed) {
        EquivariantTransformer m = new EquivariantTransformer(TrainerTest.TINY, seed);
        ElementEnergies.fit(split.train(), m.elementShift(), m.elementScale());
        Calibrator.calibrate(m, QuantizationSpec.w8a8(), split.train().frames().subList(0, 8), 4);
        return m;
    }

    @Test
    void vectorBranchStaysOffUntilTheWarmUpEnds(@TempDir Path dir) throws Exception {
        Split split = TrainerTest.split();
        EquivariantTransformer m = calibratedModel(split, 1);
        QuantizationPlan plan = (QuantizationPlan) m.sites();
        Trainer.startQat(m, split, qat(2, 0f, 3), dir.resolve("a"), QUIET).run();
        assertFalse(plan.vectorBranch(), "epochs 1–2 of a 3-epoch warm-up quantize scalars only");
        Trainer resumed = Trainer.resume(dir.resolve("a/last.safetensors"), split, qat(4, 0f, 3), dir.resolve("a"), QUIET);
        resumed.run();
        // The resumed run restored its plan from the file; its 4th epoch (index 3) quantizes vectors too.
        assertTrue(((QuantizationPlan) resumed.model().sites()).vectorBranch(), "vectors quantized from epoch 4 on");
    }

    @Test
    void qatWithLeeLearnsAndItsModelFileReloadsExactly(@TempDir Path dir) throws Exception {
        Split split = TrainerTest.split();
        EquivariantTransformer m = calibratedModel(split, 2);
        double before = Metrics.evaluate(m, split.validation(), 8, 0, 1, null).forceMaeMeVPerA();
        Trainer.startQat(m, split, qat(8, 0.05f, 2), dir, QUIET).run();
        double after = Metrics.evaluate(m, split.validation(), 8, 0, 1, null).forceMaeMeVPerA();
        assertTrue(after < before, "QAT improves the quantized model: " + before + " → " + after);

        EquivariantTransformer loaded = ModelFiles.load(dir.resolve("last.safetensors"));
        var g = NeighborList.batch(split.validation().frames(), 5.0);
        assertArrayEquals(m.predict(g, false).forces().data(), loaded.predict(g, false).forces().data(),
                "a fake-quantized model file reproduces the trained model's forces bit for bit");
        assertNotEquals(0, ((QuantizationPlan) loaded.sites()).parameters().size());
    }

    /**
     * QAT through local-frame vector quantization (the clipped gradient: second derivatives through the frames'
     * rotations and MDDQ) learns, and its file reloads with the same scheme and forces.
     */
    @Test
    void qatWithLocalFrameVectorsLearnsAndReloads(@TempDir Path dir) throws Exception {
        Split split = TrainerTest.split();
        EquivariantTransformer m = new EquivariantTransformer(TrainerTest.TINY, 5);
        ElementEnergies.fit(split.train(), m.elementShift(), m.elementScale());
        var spec = QatRecipe.spec(QatRecipe.Bits.W8A8, QuantizationSpec.VectorScheme.LOCAL_FRAME, QuantizationSpec.Calibration.MIN_MAX);
        assertEquals(QuantizationSpec.VectorScheme.LOCAL_FRAME, spec.vectorScheme());
        Calibrator.calibrate(m, spec, split.train().frames().subList(0, 8), 4);
        assertTrue(((QuantizationPlan) m.sites()).describeSites().values().stream().anyMatch(d -> d.contains("local-frame")));
        double before = Metrics.evaluate(m, split.validation(), 8, 0, 1, null).forceMaeMeVPerA();
        Trainer.startQat(m, split, qat(6, 0.05f, 0), dir, QUIET).run();
        double after = Metrics.evaluate(m, split.validation(), 8, 0, 1, null).forceMaeMeVPerA();
        assertTrue(after < before, "QAT improves the quantized model: " + before + " → " + after);
        EquivariantTransformer loaded = ModelFiles.load(dir.resolve("last.safetensors"));
        assertEquals(QuantizationSpec.VectorScheme.LOCAL_FRAME, ((QuantizationPlan) loaded.sites()).spec().vectorScheme());
        var g = NeighborList.batch(split.validation().frames(), 5.0);
        assertArrayEquals(m.predict(g, false).forces().data(), loaded.predict(g, false).forces().data());
    }

    @Test
    void recommendedRecipeKeepsTheChosenBitsAndAddsItsChanges() {
        var w8 = QatRecipe.recommended(QatRecipe.spec(QatRecipe.Bits.W8A8, QuantizationSpec.VectorScheme.MDDQ, QuantizationSpec.Calibration.MIN_MAX)
                .toBuilder().directionBits(16).build());
        assertEquals(16, w8.directionBits(), "the caller's direction bits stay");
        assertEquals(QuantizationSpec.Gradient.IDENTITY, w8.gradient());
        assertEquals(java.util.List.of("rbf_in", "scalar_message"), w8.fullPrecisionSites(), "radial basis and scalar message in FP32");
        assertTrue(w8.perChannel(), "per-channel steps for int8 weights");
        assertEquals(QuantizationSpec.VectorScheme.LOCAL_FRAME, w8.vectorScheme(), "MDDQ's grid moves to each atom's local frame");
        var componentwise = QatRecipe.recommended(QatRecipe.spec(QatRecipe.Bits.W8A8, QuantizationSpec.VectorScheme.COMPONENTWISE,
                QuantizationSpec.Calibration.MIN_MAX));
        assertEquals(QuantizationSpec.VectorScheme.COMPONENTWISE, componentwise.vectorScheme(), "only MDDQ moves to local frames");
        var w4 = QatRecipe.recommendedSpec(QatRecipe.Bits.W4A8);
        assertEquals(4, w4.weightBits());
        assertFalse(w4.perChannel(), "not folded into int4 groups");
        assertEquals(w8.fullPrecisionSites(), w4.fullPrecisionSites(), "the same FP32 sites whatever the weights' bits");
        assertEquals(1e-4f, QatRecipe.Bits.W4A8.recommendedLr());
        assertEquals(1e-5f, QatRecipe.Bits.W8A8.recommendedLr());
        assertEquals(15, QatRecipe.Bits.W4A8.recommendedFrozenEpochs());
        assertEquals(0, QatRecipe.Bits.W8A8.recommendedFrozenEpochs());
    }

    @Test
    void frozenWeightsKeepTheirValuesWhileTheContinuousParametersTrain(@TempDir Path dir) throws Exception {
        Split split = TrainerTest.split();
        EquivariantTransformer m = calibratedModel(split, 4);
        java.util.Map<String, float[]> before = new java.util.HashMap<>();
        m.parameters().forEach((name, t) -> before.put(name, t.data().clone()));
        Trainer.startQat(m, split, qat(3, 0f, 0), dir, QUIET).freezeQuantizedWeightsFrom(1).run();
        // epoch 1 trains everything, epochs 2–3 only what is not a quantized weight: compare with a run of 1 epoch
        EquivariantTransformer one = calibratedModel(split, 4);
        Trainer.startQat(one, split, qat(1, 0f, 0), dir.resolve("one"), QUIET).run();
        int frozen = 0, trained = 0;
        for (var e : m.parameters().entrySet()) {
            float[] now = e.getValue().data(), afterOne = one.parameters().get(e.getKey()).data();
            if (QuantizationSites.isQuantizedWeight(e.getKey())) {
                assertArrayEquals(afterOne, now, 0f, e.getKey() + ": frozen after epoch 1");
                if (!java.util.Arrays.equals(before.get(e.getKey()), afterOne)) frozen++;   // it did train in epoch 1
            } else if (!java.util.Arrays.equals(afterOne, now)) {
                trained++;
            }
        }
        assertTrue(frozen > 0 && trained > 0, frozen + " weights trained then frozen, " + trained + " other parameters still training");
        assertThrows(IllegalArgumentException.class, () -> Trainer.startQat(calibratedModel(split, 4), split, qat(1, 0f, 0), dir, QUIET)
                .freezeQuantizedWeightsFrom(-1));
    }
    @Test
    void requantizingAWeightsOnlyModelKeepsItsWeightCodesAndAddsActivationSites(@TempDir Path dir) throws Exception {
        Split split = TrainerTest.split();
        EquivariantTransformer m = new EquivariantTransformer(TrainerTest.TINY, 6);
        ElementEnergies.fit(split.train(), m.elementShift(), m.elementScale());
        var weightsOnly = QuantizationSpec.w4a8().withFullPrecisionSites(java.util.List.of("rbf_in", "scalar_in", "attention_query",
                "attention_key", "scalar_message", "vector_in", "vector_message"));
        Calibrator.calibrate(m, weightsOnly, split.train().frames().subList(0, 8), 4);
        Trainer.startQat(m, split, qat(1, 0f, 0), dir, QUIET).run();
        EquivariantTransformer loaded = ModelFiles.load(dir.resolve("last.safetensors"));
        QuantizationPlan before = (QuantizationPlan) loaded.sites();
        assertTrue(before.describeSites().isEmpty(), "every activation site FP32");
        java.util.Map<String, byte[]> codes = new java.util.HashMap<>();
        loaded.parameters().forEach((n, w) -> { if (QuantizationSites.isQuantizedWeight(n)) codes.put(n, before.quantizedWeight(n, w).codes()); });

        QatRecipe.dropPlan(loaded, "the model");
        assertThrows(IllegalArgumentException.class, () -> QatRecipe.dropPlan(loaded, "an FP32 model"));
        QuantizationPlan after = Calibrator.calibrate(loaded, QuantizationSpec.w4a8(), split.train().frames().subList(0, 8), 4);
        assertFalse(after.describeSites().isEmpty(), "activation sites now quantized");
        loaded.parameters().forEach((n, w) -> {
            if (QuantizationSites.isQuantizedWeight(n)) assertArrayEquals(codes.get(n), after.quantizedWeight(n, w).codes(), n);
        });
    }
}
