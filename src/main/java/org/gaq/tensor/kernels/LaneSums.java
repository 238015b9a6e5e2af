package org.gaq.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in a fixed order, whatever the JIT has compiled. {@code reduceLanes(ADD)} may add in
 * a different order once C2 has compiled it than in the interpreter, which made results depend on JIT timing (a
 * training run and its resumed twin drifted apart in the last bit; the compiled engine's forces changed by one ulp
 * from the second call on); a scalar loop over lane(i) is deterministic too but defeats the vector intrinsics.
 * Only loaded where the Vector API is in use.
 */
public final class LaneSums {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    /** Lane permutations that fold the upper half of the live lanes onto the lower half: +L/2, +L/4, …, +1. */
    private static final VectorShuffle<Float>[] FOLDS = folds();

    private LaneSums() {}

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        int steps = Integer.numberOfTrailingZeros(LANES);
        VectorShuffle<Float>[] f = new VectorShuffle[steps];
        for (int s = 0, half = LANES / 2; s < steps; s++, half /= 2) {
            int h = half;
            f[s] = VectorShuffle.fromOp(SPECIES, i -> (i + h) % LANES);
        }
        return f;
    }

    /** Σ lanes of {@code v} (of the preferred species) as a fixed pairwise tree: fold halves, then lane 0. */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> fold : FOLDS) v = v.add(v.rearrange(fold));
        return v.lane(0);
    }
}
