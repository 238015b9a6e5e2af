package org.gaq.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of {@link Activations}. The exponential is our own (Cephes-style range
 * reduction and polynomial, ≤ 2 ulp) rather than {@code lanewise(EXP)}: the JDK's intrinsic and its
 * interpreter fallback round differently, so results would depend on when the JIT compiled the
 * loop, and training would not be bitwise reproducible.
 */
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
                y = exp(x);
            } else {
                // σ = 1 / (1 + e^{−x})
                FloatVector s = ONE.div(exp(x.neg()).add(1f));
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

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5·2^23: adding then subtracting it rounds a float of magnitude < 2^22 to the nearest integer. */
    private static final float ROUNDER = 12582912f;

    /** e^x = 2^n · e^r with n = round(x·log2 e), r = x − n·ln 2 ∈ [−ln2/2, ln2/2], e^r by a degree-6 polynomial. */
    static FloatVector exp(FloatVector x) {
        x = x.max(-87.3f).min(88.3f);   // keeps 2^n a normal float (n in [−126, 127])
        FloatVector t = x.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUNDER));
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, 1.9875691500e-4f);
        p = p.fma(r, FloatVector.broadcast(S, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(S, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(S, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(S, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
        p = p.fma(r.mul(r), r.add(1f));
        // 2^n from the exponent bits: the low mantissa bits of t hold n (t = ROUNDER + n).
        IntVector bits = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUNDER)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }
}
