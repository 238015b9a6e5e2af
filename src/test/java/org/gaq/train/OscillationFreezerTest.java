package org.gaq.train;

import org.gaq.data.Split;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizedWeight;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Iterative freezing of oscillating weight codes (Nagel et al. 2022). */
class OscillationFreezerTest {
    private static final String NAME = "layers.0.query.weight";

    @Test
    void aWeightFlippingBackAndForthIsFrozenOnTheGridAndOneMovingOneWayIsNot() {
        Split split = TrainerTest.split();
        EquivariantTransformer m = QatTrainerTest.calibratedModel(split, 8);   // W8A8: per-channel int8
        QuantizationPlan plan = (QuantizationPlan) m.sites();
        List<Tensor> params = new ArrayList<>(m.parameters().values());
        Adam adam = new Adam(params, 0.9f, 0.999f, 1e-8f, 0f);
        OscillationFreezer freezer = new OscillationFreezer(plan, m.parameters(), adam, 0.05f);
        Tensor w = m.parameters().get(NAME);
        QuantizedWeight q = plan.quantizedWeight(NAME, w);
        // two elements of column 0 that are not its largest (code ±127): one oscillates, one moves up once
        int out = q.out(), osc = -1, mono = -1;
        for (int row = 0; row < q.in() && mono < 0; row++) {
            int i = row * out;
            if (Math.abs(q.codes()[i]) < 100) { if (osc < 0) osc = i; else mono = i; }
        }
        float scale = q.scales()[0], base = q.codes()[osc];
        float[] data = w.leafData();
        data[mono] = (q.codes()[mono] + 1) * scale;                            // one step up, then still
        int steps = 0;
        while (steps < 40 && freezer.frozenCount() == 0) {
            data[osc] = (base + 0.5f + (steps % 2 == 0 ? 0.1f : -0.1f)) * scale;   // c+1, c, c+1, ...
            freezer.afterStep();
            steps++;
        }
        assertEquals(1, freezer.frozenCount(), "the oscillating element is frozen, nothing else");
        assertTrue(steps > 3 && steps < 40, "after a few reversals (f > 0.05): " + steps + " steps");
        float frozenValue = data[osc];
        float code = frozenValue / scale;
        assertEquals(Math.round(code), code, 1e-4f, "frozen on the grid");
        assertTrue(Math.round(code) == base || Math.round(code) == base + 1, "at one of the two codes it flipped between");
        // the optimizer no longer moves it, while it moves its neighbours
        float[][] grads = new float[params.size()][];
        for (int p = 0; p < grads.length; p++) {
            grads[p] = new float[params.get(p).size()];
            java.util.Arrays.fill(grads[p], 1f);
        }
        float neighbour = data[mono];
        adam.step(grads, 1e-3f);
        assertEquals(frozenValue, data[osc], 0f);
        assertNotEquals(neighbour, data[mono]);
        for (int k = 0; k < 50; k++) freezer.afterStep();
        assertEquals(1, freezer.frozenCount(), "a weight that moved once and stayed is never frozen");
    }

    @Test
    void qatWithIterativeFreezingFreezesSomeWeightsAndKeepsThemFixed(@TempDir Path dir) throws Exception {
        Split split = TrainerTest.split();
        EquivariantTransformer m = QatTrainerTest.calibratedModel(split, 9);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        // a high rate so that codes flip within two tiny epochs
        var options = Trainer.Options.builder().epochs(2).batchSize(4).learningRate(3e-3f).warmupEpochs(0).plateauPatience(50).seed(3).threads(2).maxMinutes(60).build();
        Trainer t = Trainer.startQat(m, split, options, dir, new PrintStream(log)).freezeOscillatingWeights(0.02f);
        t.run();
        var frozen = java.util.regex.Pattern.compile("oscillating weights frozen: ([0-9.]+)%").matcher(log.toString());
        double percent = -1;
        while (frozen.find()) percent = Double.parseDouble(frozen.group(1));
        assertTrue(percent > 0 && percent < 50, "some weights oscillated and were frozen, most were not: " + percent + "%");
        assertThrows(IllegalArgumentException.class, () -> Trainer.startQat(QatTrainerTest.calibratedModel(split, 9), split, options, dir,
                new PrintStream(new ByteArrayOutputStream())).freezeOscillatingWeights(0f));
    }
}
