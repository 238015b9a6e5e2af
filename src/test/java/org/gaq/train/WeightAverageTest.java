package org.gaq.train;

import org.gaq.data.Split;
import org.gaq.io.SafeTensors;
import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The exponential moving average of the weights: its recurrence, its use in validation and saving, and resuming. */
class WeightAverageTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @Test
    void followsTheRecurrenceWithItsRampedDecay() {
        Tensor w = Tensor.of(new float[]{1f, -2f}, 2).named("w");
        WeightAverage average = new WeightAverage(List.of(w), 0.5f);
        double[] expected = {1, -2};
        for (int step = 1; step <= 6; step++) {
            w.data()[0] = step;
            w.data()[1] = -step * step;
            average.update(step);
            double d = Math.min(0.5, (1.0 + step) / (10.0 + step));     // 0.5 from step 8 on: the ramp is still active at 1–6
            expected[0] = d * expected[0] + (1 - d) * w.data()[0];
            expected[1] = d * expected[1] + (1 - d) * w.data()[1];
        }
        float[] a = average.state().get("average.w");
        assertEquals(expected[0], a[0], 1e-5);
        assertEquals(expected[1], a[1], 1e-4);
    }

    @Test
    void appliesTheAverageOnlyWhileItsWorkRunsEvenIfTheWorkFails() {
        Tensor w = Tensor.of(new float[]{4f}, 1).named("w");
        WeightAverage average = new WeightAverage(List.of(w), 0.9f);
        w.data()[0] = 8f;
        assertThrows(IllegalStateException.class, () -> average.whileApplied(() -> {
            assertEquals(4f, w.data()[0], "the average (the start value: no update yet) is applied");
            throw new IllegalStateException("validation failed");
        }));
        assertEquals(8f, w.data()[0], "the trained value is back");
    }

    @Test
    void decayZeroIsNoAverageAndBadDecaysAreRefused() throws Exception {
        Tensor w = Tensor.of(new float[]{4f}, 1).named("w");
        WeightAverage off = new WeightAverage(List.of(w), 0f);
        w.data()[0] = 8f;
        off.update(1);
        assertEquals(8f, off.whileApplied(() -> w.data()[0]));
        assertTrue(off.state().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> new WeightAverage(List.of(w), 1f));
        assertThrows(IllegalArgumentException.class, () -> TrainerTest.optionsBuilder(1).weightAverageDecay(-0.1f).build());
    }

    @Test
    void theBestModelHoldsTheAverageAndTheCheckpointBoth(@TempDir Path dir) throws Exception {
        var options = TrainerTest.optionsBuilder(1).weightAverageDecay(0.9f).build();
        EquivariantTransformer model = new EquivariantTransformer(TrainerTest.TINY, 5);
        Trainer.start(model, TrainerTest.split(), options, dir, QUIET).run();      // one epoch: it is the best one
        Map<String, float[]> last = floats(dir.resolve("last.safetensors"));
        Map<String, float[]> best = floats(dir.resolve("best.safetensors"));
        int differing = 0;
        for (String name : model.parameters().keySet()) {
            assertArrayEquals(last.get("average." + name), best.get(name), "best.safetensors' " + name + " is the average");
            assertArrayEquals(model.parameters().get(name).data(), last.get(name), "last.safetensors' " + name + " is the trained weight");
            if (!java.util.Arrays.equals(last.get(name), best.get(name))) differing++;
        }
        assertTrue(differing > model.parameters().size() / 2, "the average differs from the trained weights: " + differing);
    }

    @Test
    void resumingRestoresTheAverageExactly(@TempDir Path dir) throws Exception {
        Split split = TrainerTest.split();
        EquivariantTransformer straight = new EquivariantTransformer(TrainerTest.TINY, 2);
        Trainer.start(straight, split, TrainerTest.optionsBuilder(3).weightAverageDecay(0.9f).build(), dir.resolve("a"), QUIET).run();
        Trainer.start(new EquivariantTransformer(TrainerTest.TINY, 2), split, TrainerTest.optionsBuilder(2).weightAverageDecay(0.9f).build(),
                dir.resolve("b"), QUIET).run();
        Trainer.resume(dir.resolve("b/last.safetensors"), split, TrainerTest.optionsBuilder(3).weightAverageDecay(0.9f).build(),
                dir.resolve("b"), QUIET).run();
        Map<String, float[]> a = floats(dir.resolve("a/last.safetensors")), b = floats(dir.resolve("b/last.safetensors"));
        for (String name : straight.parameters().keySet()) {
            assertArrayEquals(a.get("average." + name), b.get("average." + name), "the average of " + name + " after 2 + 1 epochs");
        }
        assertNotNull(Checkpoint.loadModel(dir.resolve("b/best.safetensors")));
    }

    private static Map<String, float[]> floats(Path file) throws Exception {
        Map<String, float[]> m = new java.util.LinkedHashMap<>();
        for (var t : SafeTensors.read(file).tensors()) m.put(t.name(), t.asFloats());
        return m;
    }
}
