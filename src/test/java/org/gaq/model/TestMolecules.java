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
}
