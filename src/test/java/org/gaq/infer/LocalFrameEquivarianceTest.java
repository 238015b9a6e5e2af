package org.gaq.infer;

import org.gaq.modelfile.ModelFile;
import org.gaq.quant.Calibrator;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.engine.IntegerModelFile;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.model.TestMolecules;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.gaq.train.Rotations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Local-frame MDDQ (docs/quantization.md, "Local-frame MDDQ"): the quantized model's forces rotate exactly with the
 * molecule, on the fake-quantized tape, the compiled engine and the integer engine, where the same model with the
 * paper's laboratory-frame MDDQ does not; the engines agree with the tape; degenerate neighbourhoods stay equivariant.
 */
class LocalFrameEquivarianceTest {
    private static final ModelConfig SMALL = new ModelConfig(64, 3, 8, 20, 5.0, true, 9);

    static EquivariantTransformer quantized(QuantizationSpec.VectorScheme scheme, QuantizationSpec.Gradient gradient, List<Frame> calibration) {
        EquivariantTransformer m = CompiledModelTest.randomModel(SMALL, 21);
        var spec = QuantizationSpec.builder().weightBits(8).activationBits(8).vectorScheme(scheme).vectorBits(8).calibration(QuantizationSpec.Calibration.MIN_MAX).build()
                .withPerChannel(true).withGradient(gradient);
        Calibrator.calibrate(m, spec, calibration, 4);
        return m;
    }

    /** Forces of one molecule (positions in double) by the compiled engine, or by the tape when {@code compiled} is null. */
    static float[] forces(EquivariantTransformer tape, CompiledModel compiled, int[] z, double[] p) {
        Frame frame = Frame.unlabeled(z, p);
        GraphBatch g = NeighborList.batch(List.of(frame), SMALL.cutoff());
        if (compiled == null) return tape.predict(g, false).forces().data().clone();
        Workspace ws = compiled.newWorkspace();
        compiled.evaluate(g, p, ws, true);
        return java.util.Arrays.copyOf(ws.forces(), 3 * z.length);
    }

    /**
     * max over atoms and components of |F(R·x) − R·F(x)| relative to max |F|, over {@code rotations} random
     * rotations (and, with {@code reflect}, each rotation followed by the mirror z → −z).
     */
    static double relativeLee(EquivariantTransformer tape, CompiledModel compiled, int[] z, double[] p, int rotations, boolean reflect) {
        float[] f0 = forces(tape, compiled, z, p);
        double maxF = 0;
        for (float v : f0) maxF = Math.max(maxF, Math.abs(v));
        assertTrue(maxF > 0, "forces must not vanish");
        SplittableRandom rng = new SplittableRandom(17);
        double worst = 0;
        for (int k = 0; k < rotations; k++) {
            double[] r = Rotations.random(rng);
            if (reflect) for (int c = 6; c < 9; c++) r[c] = -r[c];     // P·R, det −1
            float[] f = forces(tape, compiled, z, Rotations.apply(r, p));
            for (int i = 0; i < z.length; i++) {
                for (int a = 0; a < 3; a++) {
                    double expected = 0;
                    for (int b = 0; b < 3; b++) expected += r[3 * a + b] * f0[3 * i + b];
                    worst = Math.max(worst, Math.abs(expected - f[3 * i + a]));
                }
            }
        }
        return worst / maxF;
    }

    /**
     * Float rounding alone (the FP32 model's own relative LEE, measured here as the reference) is ~4e-7 of max |F|;
     * the local-frame model must stay within a few times that on every path, the laboratory-frame MDDQ model misses by
     * ~100×. The mirror z → −z maps the laboratory grid onto itself, so P·R is as good a test of the local frame's
     * handedness (e3 = e1 × e2 flips, its coordinate's rounding is odd) as of the rotation.
     */
    @ParameterizedTest
    @CsvSource({"IDENTITY,false", "CLIPPED,false", "IDENTITY,true", "CLIPPED,true"})
    void forcesRotateExactlyOnTheTapeAndTheCompiledEngine(QuantizationSpec.Gradient gradient, boolean reflect, @TempDir Path dir) throws Exception {
        List<Frame> molecules = TestMolecules.ethanolLike(4, 1);
        EquivariantTransformer local = quantized(QuantizationSpec.VectorScheme.LOCAL_FRAME, gradient, molecules);
        EquivariantTransformer lab = quantized(QuantizationSpec.VectorScheme.MDDQ, gradient, molecules);
        Path file = dir.resolve("local.int.safetensors");
        IntegerModelFile.export(local, file);
        EquivariantTransformer integer = ModelFile.load(file);
        assertTrue(ModelCompiler.compile(integer).precision().contains("local-frame"), ModelCompiler.compile(integer).precision());
        EquivariantTransformer fp32 = CompiledModelTest.randomModel(SMALL, 21);

        Frame test = TestMolecules.ethanolLike(1, 77).get(0);
        int[] z = test.atomicNumbers();
        double[] p = test.positions();
        double reference = relativeLee(fp32, null, z, p, 4, reflect);
        double labLee = relativeLee(lab, null, z, p, 4, reflect);
        assertTrue(labLee > 20 * reference, "laboratory-frame MDDQ is not exactly equivariant: " + labLee + " (FP32 " + reference + ")");
        for (var path : List.of(new Object[]{"fake-quantized tape", local, null}, new Object[]{"compiled", local, ModelCompiler.compile(local)},
                new Object[]{"integer tape", integer, null}, new Object[]{"integer compiled", integer, ModelCompiler.compile(integer)})) {
            double lee = relativeLee((EquivariantTransformer) path[1], (CompiledModel) path[2], z, p, 4, reflect);
            assertTrue(lee < 4 * reference, path[0] + ": relative LEE " + lee + " (FP32 " + reference + ", lab-frame MDDQ " + labLee + ")");
        }
    }

    /** The engines compute the tape's energies and forces for the local-frame model, fake-quantized and exported. */
    @ParameterizedTest
    @CsvSource({"IDENTITY", "CLIPPED"})
    void enginesAgreeWithTheTape(QuantizationSpec.Gradient gradient, @TempDir Path dir) throws Exception {
        EquivariantTransformer fake = quantized(QuantizationSpec.VectorScheme.LOCAL_FRAME, gradient, TestMolecules.ethanolLike(4, 1));
        GraphBatch g = NeighborList.batch(CompiledModelTest.mixedMolecules(9), SMALL.cutoff());
        CompiledModelTest.assertAgrees(fake, ModelCompiler.compile(fake), g, 1e-4);
        Path file = dir.resolve("m.int.safetensors");
        IntegerModelFile.export(fake, file);
        EquivariantTransformer integer = ModelFile.load(file);
        CompiledModelTest.assertAgrees(integer, ModelCompiler.compile(integer), g, 1e-4);
        // fake-quantized and integer: the same codes but integer products, so energies agree to the weights' float rounding
        var a = fake.predict(g, false);
        var b = integer.predict(g, false);
        for (int m = 0; m < g.numMolecules(); m++) assertEquals(a.energies()[m], b.energies()[m], 1e-3 * (Math.abs(a.interaction().data()[m]) + 1));
    }

    /** A fine-tuned MDDQ model switched to local frames (gaq qat --continue --vector-scheme local-frame) keeps its steps, and back. */
    @Test
    void aPlanSwitchesBetweenLaboratoryAndLocalFrames() {
        EquivariantTransformer m = quantized(QuantizationSpec.VectorScheme.MDDQ, QuantizationSpec.Gradient.IDENTITY, TestMolecules.ethanolLike(4, 1));
        QuantizationPlan lab = (QuantizationPlan) m.sites();
        GraphBatch g = NeighborList.batch(TestMolecules.ethanolLike(3, 5), SMALL.cutoff());
        double[] before = m.predict(g, false).energies();
        Frame test = TestMolecules.ethanolLike(1, 77).get(0);
        double labLee = relativeLee(m, null, test.atomicNumbers(), test.positions(), 2, false);

        QuantizationPlan local = lab.withVectorScheme(QuantizationSpec.VectorScheme.LOCAL_FRAME);
        assertEquals(lab.steps().keySet(), local.steps().keySet());
        lab.steps().forEach((k, v) -> assertArrayEquals(v, local.steps().get(k), k));
        m.setSites(local);
        double localLee = relativeLee(m, null, test.atomicNumbers(), test.positions(), 2, false);
        assertTrue(localLee < 0.05 * labLee, "local " + localLee + " against laboratory " + labLee);
        double[] during = m.predict(g, false).energies();
        assertNotEquals(before[0], during[0], "the direction grid moved");

        m.setSites(local.withVectorScheme(QuantizationSpec.VectorScheme.MDDQ));
        assertArrayEquals(before, m.predict(g, false).energies(), "back to the laboratory grid: the same model");
        assertThrows(IllegalArgumentException.class, () -> lab.withVectorScheme(QuantizationSpec.VectorScheme.COMPONENTWISE));
    }

    /**
     * Molecules with degenerate frames: ideal methane (T_d: the carbon has no axis, the hydrogens no second axis), H₂
     * (one neighbour), linear CO₂ (the carbon: a = b = 0), and methane with its carbon nearly degenerate (one hydrogen
     * moved by 0.002 Å). Their features are zero or parallel to e1 where a frame axis is missing, so the quantized
     * values do not depend on the fallback axes. The identity gradient (the recommended recipe): under the clipped one,
     * MDDQ's derivative at a vector that vanishes by symmetry points along its float noise, in any frame
     * (docs/quantization.md, "Local-frame MDDQ").
     */
    @Test
    void degenerateNeighbourhoodsStayEquivariant() {
        double t = 1.09 / Math.sqrt(3);
        List<Object[]> molecules = new ArrayList<>();
        molecules.add(new Object[]{"methane", new int[]{6, 1, 1, 1, 1}, new double[]{0, 0, 0, t, t, t, t, -t, -t, -t, t, -t, -t, -t, t}});
        molecules.add(new Object[]{"H2", new int[]{1, 1}, new double[]{0, 0, 0, 0.3, 0.5, 0.4}});
        molecules.add(new Object[]{"CO2", new int[]{8, 6, 8}, new double[]{-0.7, -0.6, 0.5, 0, 0, 0, 0.7, 0.6, -0.5}});
        molecules.add(new Object[]{"methane, C nearly degenerate", new int[]{6, 1, 1, 1, 1}, new double[]{0, 0, 0, t + 0.002, t, t, t, -t, -t, -t, t, -t, -t, -t, t}});
        List<Frame> calibration = new ArrayList<>(TestMolecules.ethanolLike(4, 1));
        for (Object[] m : molecules) calibration.add(Frame.unlabeled((int[]) m[1], (double[]) m[2]));
        EquivariantTransformer local = quantized(QuantizationSpec.VectorScheme.LOCAL_FRAME, QuantizationSpec.Gradient.IDENTITY, calibration);
        EquivariantTransformer fp32 = CompiledModelTest.randomModel(SMALL, 21);
        CompiledModel compiled = ModelCompiler.compile(local);
        for (Object[] m : molecules) {
            double reference = relativeLee(fp32, null, (int[]) m[1], (double[]) m[2], 4, false);
            for (CompiledModel engine : new CompiledModel[]{null, compiled}) {
                double lee = relativeLee(local, engine, (int[]) m[1], (double[]) m[2], 4, false);
                System.out.printf("%s %s %.3g (FP32 %.3g)%n", m[0], engine == null ? "tape" : "compiled", lee, reference);
                // 8× the FP32 model's own float noise: on an AVX2-only machine (256-bit vectors, another summation order) the
                // nearly degenerate carbon gave 1.8e-5 (tape) and 2.1e-5 (compiled) against FP32 3.9e-6, 4.7× and 5.3×; AVX-512 stayed within 4×
                assertTrue(lee < Math.max(8 * reference, 1e-6), m[0] + (engine == null ? " (tape)" : " (compiled)") + ": relative LEE " + lee);
            }
        }
    }
}
