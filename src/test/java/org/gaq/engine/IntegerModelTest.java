package org.gaq.engine;

import org.gaq.modelfile.ModelFile;
import org.gaq.quant.Calibrator;
import org.gaq.model.QuantizationSites;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.io.SafeTensorsException;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The exported integer model runs with integer layers and agrees with its fake-quantized source. */
class IntegerModelTest {
    // radial basis 20 (not a multiple of the int4 group of 32): exercises the padding of short inputs
    static final ModelConfig SMALL = new ModelConfig(64, 2, 8, 20, 5.0, true, 9);

    static List<Frame> molecules(int count, long seed) {
        return org.gaq.model.TestMolecules.ethanolLike(count, seed);
    }

    static EquivariantTransformer quantized(int weightBits) {
        return quantized(weightBits, "");
    }

    /**
     * {@code variant}: "" (the paper's sites), "per-channel" steps, "fp32-rbf" (radial basis left FP32), "identity" gradient,
     * "per-channel-identity", "mse-range" (weight scales by least squared error), or "recommended" (gaq qat --recommended's
     * spec: identity gradient, its FP32 sites, per-channel steps with 8-bit weights).
     */
    static EquivariantTransformer quantized(int weightBits, String variant) {
        EquivariantTransformer m = new EquivariantTransformer(SMALL, 21);
        var spec = QuantizationSpec.builder().weightBits(weightBits).activationBits(8).vectorScheme(QuantizationSpec.VectorScheme.MDDQ).vectorBits(8).calibration(QuantizationSpec.Calibration.MIN_MAX).build();
        if (variant.startsWith("per-channel")) spec = spec.withPerChannel(true);
        if (variant.equals("fp32-rbf")) spec = spec.withFullPrecisionSites(List.of("rbf_in"));
        if (variant.endsWith("identity")) spec = spec.withGradient(QuantizationSpec.Gradient.IDENTITY);
        if (variant.equals("mse-range")) spec = spec.withWeightRange(org.gaq.quant.WeightQuantizer.Range.MSE);
        if (variant.equals("recommended")) spec = org.gaq.train.QatRecipe.recommended(spec);
        Calibrator.calibrate(m, spec, molecules(4, 1), 4);
        return m;
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"8,''", "4,''", "8,per-channel", "4,per-channel", "8,fp32-rbf", "8,identity", "4,per-channel-identity", "4,mse-range", "8,recommended", "4,recommended"})
    void integerExecutionAgreesWithTheFakeQuantizedModel(int bits, String variant, @TempDir Path dir) throws Exception {
        EquivariantTransformer fake = quantized(bits, variant);
        Path file = dir.resolve("m.int.safetensors");
        IntegerModelFile.export(fake, file);
        EquivariantTransformer integer = ModelFile.load(file);
        assertInstanceOf(IntegerSites.class, integer.sites());
        for (var e : fake.parameters().entrySet()) {
            assertEquals(!QuantizationSites.isQuantizedWeight(e.getKey()), integer.parameters().containsKey(e.getKey()),
                    e.getKey() + ": quantized weights exist only as codes in the integer model");
        }
        GraphBatch g = NeighborList.batch(molecules(3, 9), SMALL.cutoff());
        var a = fake.predict(g, false);
        var b = integer.predict(g, false);
        double maxF = 0, diffF = 0;
        for (int i = 0; i < a.forces().size(); i++) {
            maxF = Math.max(maxF, Math.abs(a.forces().data()[i]));
            diffF = Math.max(diffF, Math.abs(a.forces().data()[i] - b.forces().data()[i]));
        }
        // Same codes, same steps; only float summation order differs (int32 sums vs float dot products).
        // A rounding flip of one activation code would show as ~1e-3 of the force scale: require 100× less.
        assertTrue(diffF <= 1e-5 * maxF, "forces differ by " + diffF + " (max force " + maxF + ")");
        for (int m = 0; m < 3; m++) assertEquals(a.energies()[m], b.energies()[m], 1e-5 * Math.abs(a.interaction().data()[m]) + 1e-6);
        long fp32Bytes = 4L * fake.parameterCount();
        assertTrue(Files.size(file) < fp32Bytes / (bits == 8 ? 2.5 : 4.0), "file " + Files.size(file) + " vs FP32 parameters " + fp32Bytes);
    }

    @Test
    void perChannelStepsAreFoldedIntoTheWeightRows() {
        EquivariantTransformer m = quantized(8, "per-channel");
        QuantizationPlan plan = (QuantizationPlan) m.sites();
        float[] s = plan.inputSteps("layers.0.query.weight");
        assertNotNull(s);
        assertEquals(SMALL.features(), s.length);
        double min = Double.MAX_VALUE, max = 0;
        for (float v : s) { min = Math.min(min, v); max = Math.max(max, v); }
        assertTrue(max > 1.2 * min, "steps differ by channel: " + min + " .. " + max);
        assertNull(plan.inputSteps("layers.0.vector_mix.weight"), "the vector mix reads MDDQ vectors: nothing to fold");
        // Ŵ = diag(1/s)·Q(diag(s)·W): row k of Ŵ times s_k is on the grid of its column's scale.
        var w = m.parameters().get("layers.0.query.weight");
        float[] folded = plan.weight("layers.0.query.weight", w).data();
        int in = w.dim(0), out = w.dim(1);
        for (int j = 0; j < out; j++) {
            double colMax = 0;
            for (int k = 0; k < in; k++) colMax = Math.max(colMax, Math.abs(w.data()[k * out + j] * s[k]));
            double scale = colMax / 127;
            for (int k = 0; k < in; k++) {
                double code = folded[k * out + j] * s[k] / scale;
                assertEquals(Math.rint(code), code, 1e-3, "row " + k + " column " + j);
            }
        }
    }

    @Test
    void fullPrecisionSitesAreLeftAlone() {
        EquivariantTransformer m = quantized(8, "fp32-rbf");
        QuantizationPlan plan = (QuantizationPlan) m.sites();
        assertFalse(plan.describeSites().containsKey("layers.0.rbf_in"));
        assertTrue(plan.describeSites().containsKey("layers.0.scalar_in"));
        var x = org.gaq.tensor.Tensor.of(new float[]{0.123456f, -0.987654f}, 1, 2);
        assertSame(x, plan.scalar("layers.1.rbf_in", x));
        assertThrows(IllegalArgumentException.class, () -> QuantizationSpec.w8a8().withFullPrecisionSites(List.of("rbf in")));
    }

    @Test
    void onlyQuantizedModelsExport(@TempDir Path dir) {
        EquivariantTransformer fp32 = new EquivariantTransformer(SMALL, 3);
        assertThrows(IllegalArgumentException.class, () -> IntegerModelFile.export(fp32, dir.resolve("x")));
        EquivariantTransformer vectorsOnly = new EquivariantTransformer(SMALL, 3);
        Calibrator.calibrate(vectorsOnly, QuantizationSpec.builder().weightBits(32).activationBits(32).vectorScheme(QuantizationSpec.VectorScheme.MDDQ).vectorBits(8).calibration(QuantizationSpec.Calibration.MIN_MAX).build(), molecules(2, 1), 2);
        var e = assertThrows(IllegalArgumentException.class, () -> IntegerModelFile.export(vectorsOnly, dir.resolve("y")));
        assertTrue(e.getMessage().contains("int8 or int4 weights"), e.getMessage());
        EquivariantTransformer w8a12 = new EquivariantTransformer(SMALL, 3);
        Calibrator.calibrate(w8a12, QuantizationSpec.w8a8().withActivationBits(12), molecules(2, 1), 2);
        e = assertThrows(IllegalArgumentException.class, () -> IntegerModelFile.export(w8a12, dir.resolve("z")));
        assertTrue(e.getMessage().contains("int8 scalar activations"), e.getMessage());
    }

    @Test
    void corruptOrTruncatedFilesAreRejectedClearly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.int.safetensors");
        IntegerModelFile.export(quantized(8), file);
        byte[] bytes = Files.readAllBytes(file);

        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertThrows(SafeTensorsException.class, () -> ModelFile.load(truncated));

        // A code of −128 (outside the symmetric range the kernels assume) in the first weight.
        var st = org.gaq.io.SafeTensors.read(file);
        List<org.gaq.io.TensorEntry> tensors = new ArrayList<>();
        for (var t : st.tensors()) {
            if (t.name().equals("layers.0.query.weight.codes")) {
                byte[] codes = t.asBytes();
                codes[5] = -128;
                t = org.gaq.io.TensorEntry.ofBytes(t.name(), "I8", codes, t.shape());
            }
            tensors.add(t);
        }
        Path bad = dir.resolve("bad.safetensors");
        org.gaq.io.SafeTensors.write(bad, st.metadata(), tensors);
        var e = assertThrows(SafeTensorsException.class, () -> ModelFile.load(bad));
        assertTrue(e.getMessage().contains("−128"), e.getMessage());

        tensors.removeIf(t -> t.name().equals("layers.1.output.weight.scales"));
        Path missing = dir.resolve("missing.safetensors");
        org.gaq.io.SafeTensors.write(missing, st.metadata(), tensors);
        e = assertThrows(SafeTensorsException.class, () -> ModelFile.load(missing));
        assertTrue(e.getMessage().contains("layers.0.query.weight.codes") || e.getMessage().contains("layers.1.output.weight.scales"), e.getMessage());
    }
}
