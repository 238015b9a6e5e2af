package org.gaq.infer;

import org.gaq.modelfile.ModelFile;
import org.gaq.quant.Calibrator;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.data.Rmd17Reader;
import org.gaq.engine.IntegerModelFile;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.model.TestMolecules;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationSpec;
import org.gaq.train.Rotations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The compiled engine computes the tape model's energies and forces, for FP32, fake-quantized and integer models. */
class CompiledModelTest {
    static final ModelConfig PAPER = ModelConfig.paper();

    /** Ethanol-like molecules, a larger random molecule (more atoms than any training molecule), and one with an isolated atom. */
    static List<Frame> mixedMolecules(long seed) {
        List<Frame> frames = new ArrayList<>(TestMolecules.ethanolLike(2, seed));
        SplittableRandom r = new SplittableRandom(seed);
        int big = 40;
        int[] z = new int[big];
        double[] p = new double[3 * big];
        for (int i = 0; i < big; i++) {
            z[i] = new int[]{1, 6, 7, 8}[r.nextInt(4)];
            for (int x = 0; x < 3; x++) p[3 * i + x] = 7.0 * r.nextDouble();
        }
        frames.add(Frame.unlabeled(z, p));
        double[] lonely = TestMolecules.ETHANOL_POSITIONS.clone();
        lonely[3 * 8] += 12.0;                       // the last hydrogen, far beyond the 5 Å cutoff of all others
        frames.add(Frame.unlabeled(TestMolecules.ETHANOL_ELEMENTS, lonely));
        return frames;
    }

    static EquivariantTransformer randomModel(ModelConfig config, long seed) {
        return TestMolecules.randomModel(config, seed);
    }

    /** Energies to float rounding and forces within 1e-5 of max|F| (the bar), molecule by molecule. */
    static void assertAgrees(EquivariantTransformer tape, CompiledModel compiled, GraphBatch g, double forceTolerance) {
        var expected = tape.predict(g, false);
        double[] eTape = expected.energies();
        float[] fTape = expected.forces().data();
        Workspace ws = compiled.newWorkspace();
        compiled.energiesAndForces(g, ws);
        double maxF = 0, maxDiff = 0;
        for (int k = 0; k < fTape.length; k++) {
            maxF = Math.max(maxF, Math.abs(fTape[k]));
            maxDiff = Math.max(maxDiff, Math.abs(fTape[k] - ws.forces()[k]));
        }
        for (int m = 0; m < g.numMolecules(); m++) {
            double interaction = Math.abs(eTape[m]) + 1;
            assertEquals(eTape[m], ws.energies()[m], 2e-6 * interaction, "energy of molecule " + m);
        }
        assertTrue(maxDiff <= forceTolerance * maxF, "max |ΔF| " + maxDiff + " against max |F| " + maxF);
        assertTrue(maxF > 0, "forces must not vanish");
        // energy-only evaluation gives the same energies
        compiled.energies(g, ws);
        for (int m = 0; m < g.numMolecules(); m++) assertEquals(eTape[m], ws.energies()[m], 2e-6 * (Math.abs(eTape[m]) + 1));
    }

    @ParameterizedTest
    @CsvSource({"true", "false"})
    void fp32EngineAgreesWithTheTape(boolean cosineAttention) {
        ModelConfig config = new ModelConfig(64, 6, 8, 32, 5.0, cosineAttention, 18);
        EquivariantTransformer model = randomModel(config, 7);
        CompiledModel compiled = ModelCompiler.compile(model);
        GraphBatch batch = NeighborList.batch(mixedMolecules(3), config.cutoff());
        assertAgrees(model, compiled, batch, 1e-5);
        // one molecule at a time, reusing one workspace across sizes
        Workspace ws = compiled.newWorkspace();
        for (Frame frame : mixedMolecules(4)) {
            GraphBatch one = NeighborList.batch(List.of(frame), config.cutoff());
            var expected = model.predict(one, false);
            compiled.energiesAndForces(one, ws);
            assertEquals(expected.energies()[0], ws.energies()[0], 2e-6 * (Math.abs(expected.energies()[0]) + 1));
        }
    }

    @Test
    void committedModelAgreesOnRealEthanol() throws Exception {
        Path model = Path.of("models", "ethanol-fp32.safetensors");
        Path data = Path.of("..", "shared", "data", "rmd17", "rmd17_ethanol_test_01.npz");
        assumeTrue(Files.isRegularFile(model) && Files.isRegularFile(data), "committed model or rMD17 not available");
        EquivariantTransformer tape = ModelFile.load(model);
        List<Frame> frames = Rmd17Reader.read(data).frames().subList(0, 16);
        assertAgrees(tape, ModelCompiler.compile(tape), NeighborList.batch(frames, tape.config().cutoff()), 1e-5);
    }

    /**
     * The same input gives the same forces bit for bit on every call, from the first (interpreted) to those after the
     * JIT has compiled the engine: lane sums in a fixed order (LaneSums), not reduceLanes, whose order changes with C2.
     */
    @Test
    void repeatedCallsGiveBitwiseEqualForcesWhileTheJitWarmsUp() {
        EquivariantTransformer model = randomModel(new ModelConfig(32, 2, 4, 8, 5.0, true, 9), 13);
        CompiledModel compiled = ModelCompiler.compile(model);
        GraphBatch g = NeighborList.batch(TestMolecules.ethanolLike(2, 3), model.config().cutoff());
        Workspace ws = compiled.newWorkspace();
        compiled.energiesAndForces(g, ws);
        float[] first = Arrays.copyOf(ws.forces(), 3 * g.numAtoms());
        for (int call = 2; call <= 3000; call++) {
            compiled.energiesAndForces(g, ws);
            float[] now = Arrays.copyOf(ws.forces(), 3 * g.numAtoms());
            if (!Arrays.equals(first, now)) fail("call " + call + " gave other forces than call 1");
        }
    }

    static EquivariantTransformer fakeQuantized(int weightBits, String variant) {
        ModelConfig small = new ModelConfig(64, 3, 8, 20, 5.0, true, 9);
        EquivariantTransformer m = randomModel(small, 21);
        var spec = QuantizationSpec.builder().weightBits(weightBits).activationBits(8).vectorScheme(QuantizationSpec.VectorScheme.MDDQ).vectorBits(8).calibration(QuantizationSpec.Calibration.MIN_MAX).build();
        if (variant.contains("per-channel")) spec = spec.withPerChannel(true);
        if (variant.contains("fp32-rbf")) spec = spec.withFullPrecisionSites(List.of("rbf_in"));
        if (variant.contains("identity")) spec = spec.withGradient(QuantizationSpec.Gradient.IDENTITY);
        if (variant.equals("recommended")) spec = org.gaq.train.QatRecipe.recommended(spec);     // what gaq qat --recommended makes
        Calibrator.calibrate(m, spec, TestMolecules.ethanolLike(4, 1), 4);
        return m;
    }

    /**
     * Fake-quantized and integer models: the compiled engine against the tape on the same model. Quantized
     * activations are step functions, so a value within float rounding of a rounding boundary may land on the
     * other code in one path; the tolerance allows such a flip, and the test reports how far off the worst force is.
     */
    @ParameterizedTest
    @CsvSource({"8,''", "4,''", "8,per-channel", "4,per-channel", "8,fp32-rbf-identity", "4,per-channel-identity", "8,recommended", "4,recommended"})
    void quantizedEnginesAgreeWithTheTape(int bits, String variant, @TempDir Path dir) throws Exception {
        EquivariantTransformer fake = fakeQuantized(bits, variant);
        GraphBatch g = NeighborList.batch(TestMolecules.ethanolLike(5, 9), fake.config().cutoff());
        assertAgrees(fake, ModelCompiler.compile(fake), g, 1e-4);
        Path file = dir.resolve("m.int.safetensors");
        IntegerModelFile.export(fake, file);
        EquivariantTransformer integer = ModelFile.load(file);
        CompiledModel compiled = ModelCompiler.compile(integer);
        assertTrue(compiled.precision().startsWith("integer"), compiled.precision());
        assertAgrees(integer, compiled, g, 1e-4);
    }

    @Test
    void forcesRotateWithTheMoleculeAndIgnoreTranslations() {
        EquivariantTransformer model = randomModel(PAPER, 3);
        CompiledModel compiled = ModelCompiler.compile(model);
        Workspace ws = compiled.newWorkspace();
        Frame frame = TestMolecules.ethanolLike(1, 5).get(0);
        double[] p = frame.positions();
        GraphBatch g = NeighborList.batch(List.of(frame), PAPER.cutoff());
        compiled.evaluate(g, p, ws, true);
        double energy = ws.energies()[0];
        float[] forces = ws.forces().clone();

        double[] rot = Rotations.random(new SplittableRandom(11));     // row-major 3×3
        double[] rotated = Rotations.apply(rot, p);
        compiled.evaluate(NeighborList.batch(List.of(Frame.unlabeled(frame.atomicNumbers(), rotated)), PAPER.cutoff()), rotated, ws, true);
        assertEquals(energy, ws.energies()[0], 1e-5 * Math.abs(energy));
        double maxF = 0, lee = 0;
        for (int i = 0; i < p.length / 3; i++) {
            for (int a = 0; a < 3; a++) {
                double expected = 0;
                for (int b = 0; b < 3; b++) expected += rot[3 * a + b] * forces[3 * i + b];
                lee = Math.max(lee, Math.abs(expected - ws.forces()[3 * i + a]));
                maxF = Math.max(maxF, Math.abs(expected));
            }
        }
        assertTrue(lee < 1e-5 * maxF, "rotated forces differ by " + lee + " (max |F| " + maxF + ")");

        double[] far = p.clone();
        for (int k = 0; k < far.length; k++) far[k] += 1e6;
        compiled.evaluate(g, far, ws, true);
        for (int k = 0; k < forces.length; k++) assertEquals(forces[k], ws.forces()[k], 1e-5 * maxF, "force " + k + " 10⁶ Å away");
    }

    /**
     * A batch evaluated in cache-sized groups of molecules gives what one pass over the whole batch gives, bitwise:
     * groups of one molecule, of a few, and the batch whole, with a molecule larger than any group and an isolated atom.
     */
    @Test
    void batchesInGroupsGiveTheWholeBatchsResults() {
        EquivariantTransformer model = randomModel(PAPER, 17);
        CompiledModel compiled = ModelCompiler.compile(model);
        List<Frame> frames = new ArrayList<>(mixedMolecules(5));
        frames.addAll(TestMolecules.ethanolLike(5, 8));
        GraphBatch g = NeighborList.batch(frames, PAPER.cutoff());
        Workspace whole = compiled.newWorkspace();
        whole.groupEdges = Integer.MAX_VALUE;
        compiled.energiesAndForces(g, whole);
        for (int groupEdges : new int[]{1, 150, 256}) {
            Workspace grouped = compiled.newWorkspace();
            grouped.groupEdges = groupEdges;
            compiled.energiesAndForces(g, grouped);
            assertArrayEquals(Arrays.copyOf(whole.energies(), g.numMolecules()), Arrays.copyOf(grouped.energies(), g.numMolecules()),
                    "energies with groups of " + groupEdges + " edges");
            assertArrayEquals(Arrays.copyOf(whole.forces(), 3 * g.numAtoms()), Arrays.copyOf(grouped.forces(), 3 * g.numAtoms()),
                    "forces with groups of " + groupEdges + " edges");
            double[] positions = new double[3 * g.numAtoms()];
            for (int k = 0; k < positions.length; k++) positions[k] = g.positions()[k];
            compiled.evaluate(g, positions, grouped, false);
            assertArrayEquals(Arrays.copyOf(whole.energies(), g.numMolecules()), Arrays.copyOf(grouped.energies(), g.numMolecules()),
                    "energies only, double positions, groups of " + groupEdges + " edges");
        }
    }

    @ParameterizedTest
    @CsvSource({"2", "12"})    // one group; a batch in groups
    void steadyStateCallsAllocateNothing(int molecules) {
        CompiledModel compiled = ModelCompiler.compile(randomModel(PAPER, 5));
        Workspace ws = compiled.newWorkspace();
        GraphBatch g = NeighborList.batch(TestMolecules.ethanolLike(molecules, 3), PAPER.cutoff());
        for (int k = 0; k < 2000; k++) compiled.energiesAndForces(g, ws);    // warm-up: workspace grown, code compiled
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        int calls = 500;
        long before = threads.getThreadAllocatedBytes(id);
        for (int k = 0; k < calls; k++) compiled.energiesAndForces(g, ws);
        long bytes = threads.getThreadAllocatedBytes(id) - before;
        assertTrue(bytes < 16L * calls, bytes + " bytes allocated over " + calls + " calls");
    }

    @Test
    void publicApiLoadsAFileAndGivesOneMoleculeOrABatch(@TempDir Path dir) throws Exception {
        EquivariantTransformer model = randomModel(PAPER, 9);
        Path file = dir.resolve("m.safetensors");
        ModelFiles.save(file, model);
        Potential potential = Potential.load(file);
        assertEquals(Potential.Engine.COMPILED, potential.engine());
        List<Frame> frames = TestMolecules.ethanolLike(3, 2);
        Potential.Result one = potential.energyAndForces(frames.get(1).atomicNumbers(), frames.get(1).positions());
        List<Potential.Result> batch = potential.energyAndForces(frames);
        var tape = model.predict(NeighborList.batch(List.of(frames.get(1)), PAPER.cutoff()), false);
        assertEquals(tape.energies()[0], one.energy(), 2e-6 * Math.abs(one.energy()));
        assertEquals(one.energy(), batch.get(1).energy(), 2e-6 * Math.abs(one.energy()));
        for (int i = 0; i < one.forces().length; i++) {
            assertEquals(tape.forces().data()[i], one.forces()[i], 1e-4);
            assertEquals(one.forces()[i], batch.get(1).forces()[i], 1e-4);
        }
    }
}
