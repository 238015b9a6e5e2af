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

    /*
     * The exponential is written out inside each loop, and every branch stores its own result: a vector passed to
     * a helper that C2 compiled on its own, or two vectors merged by a conditional, are boxed, and the loop then
     * runs the Vector API's Java fallback, depending on the order in which the JIT happened to compile things
     * (docs/performance.md, "The compiled engine", the JIT pitfalls).
     */
    static void apply(Activations.Kind kind, float[] in, float[] out, int n) {
        int bound = S.loopBound(n);
        if (kind == Activations.Kind.EXP) expLoop(in, out, bound);
        else sigmoidLoop(kind, in, out, null, bound);
        Activations.applyPlain(kind, in, out, bound, n);
    }

    /** out = SiLU(in) and slope = SiLU'(in) from one exponential per element. */
    static void siluWithSlope(float[] in, float[] out, float[] slope, int n) {
        int bound = S.loopBound(n);
        sigmoidLoop(Activations.Kind.SILU, in, out, slope, bound);
        Activations.applyPlain(Activations.Kind.SILU, in, out, bound, n);
        Activations.applyPlain(Activations.Kind.SILU_PRIME, in, slope, bound, n);
    }

    /** out = e^x for the first {@code bound} elements (a multiple of the vector length). */
    private static void expLoop(float[] in, float[] out, int bound) {
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, i).max(-87.3f).min(88.3f);
            // e^x = 2^n · e^r with n = round(x·log2 e), r = x − n·ln 2, e^r by a degree-6 polynomial
            FloatVector t = x.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUNDER));
            FloatVector nn = t.sub(ROUNDER);
            FloatVector r = nn.fma(FloatVector.broadcast(S, -LN2_HI), x);
            r = nn.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = FloatVector.broadcast(S, P0).fma(r, FloatVector.broadcast(S, P1)).fma(r, FloatVector.broadcast(S, P2))
                    .fma(r, FloatVector.broadcast(S, P3)).fma(r, FloatVector.broadcast(S, P4)).fma(r, FloatVector.broadcast(S, P5));
            p = p.fma(r.mul(r), r.add(1f));
            IntVector bits = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUNDER)).add(127).lanewise(VectorOperators.LSHL, 23);
            p.mul(bits.reinterpretAsFloats()).intoArray(out, i);
        }
    }

    /**
     * σ = 1/(1 + e^{−x}) and the SiLU family from it, for the first {@code bound} elements; with SILU and a
     * {@code slope} array, SiLU' there too.
     */
    private static void sigmoidLoop(Activations.Kind kind, float[] in, float[] out, float[] slope, int bound) {
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, i);
            FloatVector m = x.neg().max(-87.3f).min(88.3f);      // e^{−x}, as in expLoop
            FloatVector t = m.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUNDER));
            FloatVector nn = t.sub(ROUNDER);
            FloatVector r = nn.fma(FloatVector.broadcast(S, -LN2_HI), m);
            r = nn.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = FloatVector.broadcast(S, P0).fma(r, FloatVector.broadcast(S, P1)).fma(r, FloatVector.broadcast(S, P2))
                    .fma(r, FloatVector.broadcast(S, P3)).fma(r, FloatVector.broadcast(S, P4)).fma(r, FloatVector.broadcast(S, P5));
            p = p.fma(r.mul(r), r.add(1f));
            IntVector bits = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUNDER)).add(127).lanewise(VectorOperators.LSHL, 23);
            FloatVector s = ONE.div(p.mul(bits.reinterpretAsFloats()).add(1f));
            switch (kind) {
                case SIGMOID -> s.intoArray(out, i);
                case SILU -> {
                    x.mul(s).intoArray(out, i);
                    if (slope != null) s.mul(x.mul(s.neg().add(1f)).add(1f)).intoArray(slope, i);
                }
                case SILU_PRIME -> s.mul(x.mul(s.neg().add(1f)).add(1f)).intoArray(out, i);
                case SILU_SECOND -> s.mul(s.neg().add(1f)).mul(x.mul(s.mul(-2f).add(1f)).add(2f)).intoArray(out, i);
                default -> throw new AssertionError(kind);
            }
        }
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5·2^23: adding then subtracting it rounds a float of magnitude < 2^22 to the nearest integer. */
    private static final float ROUNDER = 12582912f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
}
