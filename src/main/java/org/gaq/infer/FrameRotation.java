package org.gaq.infer;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two 3×3 products per atom of local-frame vector quantization on [N, 3, F] vectors, over the channels with the
 * Vector API (F is a multiple of the lanes, as {@link ModelCompiler} requires): the same sums, in the same order, as
 * {@code LocalFrameQuantizer.toFrame}/{@code fromFrame} of the tape, so both paths give the same floats.
 */
final class FrameRotation {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private FrameRotation() {}

    /** out[i,k,c] = Σ_m E[i,k,m] h[i,m,c] (into the frames {@code e}, n × 9). */
    static void toFrame(float[] e, float[] h, float[] out, int n, int f) {
        for (int i = 0; i < n; i++) {
            int o = 9 * i, b = 3 * f * i;
            for (int k = 0; k < 3; k++) rowCombination(e[o + 3 * k], e[o + 3 * k + 1], e[o + 3 * k + 2], h, b, f, out, b + k * f);
        }
    }

    /** out[i,m,c] = Σ_k E[i,k,m] q[i,k,c] (back from the frames). */
    static void fromFrame(float[] e, float[] q, float[] out, int n, int f) {
        for (int i = 0; i < n; i++) {
            int o = 9 * i, b = 3 * f * i;
            for (int m = 0; m < 3; m++) rowCombination(e[o + m], e[o + 3 + m], e[o + 6 + m], q, b, f, out, b + m * f);
        }
    }

    /** out[to + c] = w0·x[b + c] + w1·x[b + f + c] + w2·x[b + 2f + c] for c &lt; f. */
    private static void rowCombination(float w0, float w1, float w2, float[] x, int b, int f, float[] out, int to) {
        FloatVector v0 = FloatVector.broadcast(S, w0), v1 = FloatVector.broadcast(S, w1), v2 = FloatVector.broadcast(S, w2);
        for (int c = 0; c < f; c += S.length()) {
            FloatVector sum = v0.mul(FloatVector.fromArray(S, x, b + c))
                    .add(v1.mul(FloatVector.fromArray(S, x, b + f + c)))
                    .add(v2.mul(FloatVector.fromArray(S, x, b + 2 * f + c)));
            sum.intoArray(out, to + c);
        }
    }
}
