package org.gaq.model;

import org.gaq.data.Frame;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Ethanol-like test molecules (C C O H×6) shared by the model, quantization, engine and MD tests. */
public final class TestMolecules {
    private TestMolecules() {}

    public static final int[] ETHANOL_ELEMENTS = {6, 6, 8, 1, 1, 1, 1, 1, 1};
    public static final double[] ETHANOL_POSITIONS = {0, 0, 0, 1.52, 0, 0, 2.0, 1.35, 0, -0.4, 1.0, 0.2, -0.4, -0.5, 0.9,
            -0.4, -0.5, -0.9, 1.9, -0.5, 0.9, 1.9, -0.5, -0.9, 2.9, 1.4, 0.3};

    /** {@code count} copies of the ethanol-like geometry, each coordinate jittered by ±0.1 Å (seeded). */
    public static List<Frame> ethanolLike(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Frame> frames = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            double[] p = ETHANOL_POSITIONS.clone();
            for (int i = 0; i < p.length; i++) p[i] += 0.2 * (r.nextDouble() - 0.5);
            frames.add(Frame.unlabeled(ETHANOL_ELEMENTS, p));
        }
        return frames;
    }

    /**
     * A model of {@code config} with random element scales and shifts and every parameter moved away from its
     * initial value, so that no term is trivially zero (biases, output scale): for agreement tests.
     */
    public static EquivariantTransformer randomModel(ModelConfig config, long seed) {
        EquivariantTransformer m = new EquivariantTransformer(config, seed);
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (int z = 0; z < m.elementScale().length; z++) {
            m.elementScale()[z] = (float) (0.5 + r.nextDouble());
            m.elementShift()[z] = (float) (-100 * r.nextDouble());
        }
        for (var t : m.parameters().values()) {
            float[] d = t.leafData();
            for (int i = 0; i < d.length; i++) d[i] += (float) (0.1 * (r.nextDouble() - 0.5));
        }
        return m;
    }
}
