package org.gaq.tensor.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The vectorised activations agree with their scalar definitions (including the non-multiple-of-16 tail). */
class ActivationsTest {
    @Test
    void simdMatchesScalarDefinition() {
        SplittableRandom r = new SplittableRandom(4);
        float[] x = new float[1003];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 24 - 12);
        x[0] = 0f;
        x[1] = -80f;   // exp underflow / sigmoid saturation
        x[2] = 80f;
        for (Activations.Kind kind : Activations.Kind.values()) {
            if (kind == Activations.Kind.EXP) { x[1] = -60f; x[2] = 60f; }
            float[] simd = new float[x.length];
            if (Matmul.simdSupported()) SimdActivations.apply(kind, x, simd, x.length);
            else Activations.applyPlain(kind, x, simd, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                float expected = Activations.scalar(kind, x[i]);
                // The vector exp is accurate to a few ulp; relative 1e-5 of the value (or 1e-6 absolute near 0).
                assertEquals(expected, simd[i], 1e-6 + 1e-5 * Math.abs(expected), kind + " at x=" + x[i]);
            }
        }
    }
}
