package org.gaq.bench;

import org.gaq.quant.Calibrator;
import org.gaq.data.Frame;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.model.TestMolecules;
import org.gaq.quant.QuantizationSpec;
import org.gaq.tensor.Tensor;
import org.gaq.tensor.kernels.Parallel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The training-step benchmark: FP32 and QAT candidates, one and two threads, and steps that leave the weights alone. */
class TrainBenchTest {
    private static final ModelConfig TINY = new ModelConfig(16, 2, 4, 8, 5.0, true, 18);
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @Test
    void timesFp32AndQatStepsWithoutChangingTheWeights() throws Exception {
        List<Frame> frames = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(5);
        for (Frame f : TestMolecules.ethanolLike(4, 5)) {
            double[] forces = new double[3 * f.numAtoms()];
            for (int i = 0; i < forces.length; i++) forces[i] = r.nextGaussian();
            frames.add(f.withLabels(-1000 + r.nextGaussian(), forces));
        }
        EquivariantTransformer fp32 = new EquivariantTransformer(TINY, 1);
        EquivariantTransformer qat = new EquivariantTransformer(TINY, 1);
        Calibrator.calibrate(qat, QuantizationSpec.w4a8(), frames, 4);
        List<float[]> before = new ArrayList<>();
        for (Tensor t : fp32.parameters().values()) before.add(t.toArray());
        int kernelThreads = Parallel.threads();

        var results = new TrainBench(0, 0.02).run(List.of(new TrainBench.Candidate("fp32", () -> fp32, 0f),
                        new TrainBench.Candidate("qat", () -> qat, 0.01f)),
                List.of(new TrainBench.Workload("ethanol-like", frames, 1), new TrainBench.Workload("ethanol-like", frames, 2)), QUIET);

        assertEquals(4, results.size());
        for (var res : results) {
            assertTrue(res.medianMs() > 0 && res.p10Ms() <= res.medianMs() && res.medianMs() <= res.p90Ms(), res.toString());
            assertEquals(4, res.frames());
            assertTrue(res.framesPerSecond() > 0, res.toString());
        }
        assertEquals(List.of(1, 1, 2, 2), results.stream().map(TrainBench.Result::threads).toList());
        int p = 0;
        for (Tensor t : fp32.parameters().values()) assertArrayEquals(before.get(p++), t.toArray(), "learning rate 0 moved " + t.name());
        assertEquals(kernelThreads, Parallel.threads(), "the benchmark restores the kernels' thread count");
    }

    @Test
    void refusesFramesWithoutLabels() {
        var candidate = new TrainBench.Candidate("fp32", () -> new EquivariantTransformer(TINY, 1), 0f);
        var unlabeled = new TrainBench.Workload("ethanol-like", TestMolecules.ethanolLike(2, 1), 1);
        var e = assertThrows(IllegalArgumentException.class, () -> new TrainBench(0, 0.01).run(List.of(candidate), List.of(unlabeled), QUIET));
        assertTrue(e.getMessage().contains("no energy label"), e.getMessage());
    }

    @Test
    void refusesNonPositiveTimes() {
        assertThrows(IllegalArgumentException.class, () -> new TrainBench(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TrainBench(-1, 1));
    }
}
