package org.gaq.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API versions of {@link Activations}; exp is the JDK's vectorised (SVML-backed on x86) intrinsic. */
final class SimdActivations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private SimdActivations() {}

    static void apply(Activations.Kind kind, float[] in, float[] out, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, i);
            FloatVector y;
            if (kind == Activations.Kind.EXP) {
                y = x.lanewise(VectorOperators.EXP);
            } else {
                // σ = 1 / (1 + e^{−x})
                FloatVector s = ONE.div(x.neg().lanewise(VectorOperators.EXP).add(1f));
                y = switch (kind) {
                    case SIGMOID -> s;
                    case SILU -> x.mul(s);
                    case SILU_PRIME -> s.mul(x.mul(s.neg().add(1f)).add(1f));
                    case SILU_SECOND -> s.mul(s.neg().add(1f)).mul(x.mul(s.mul(-2f).add(1f)).add(2f));
                    default -> throw new AssertionError();
                };
            }
            y.intoArray(out, i);
        }
        Activations.applyPlain(kind, in, out, i, n);
    }
}
