package org.gaq.tensor.kernels;

/**
 * Element-wise transcendental functions on float arrays (exp, sigmoid and SiLU with its first two
 * derivatives): the part of training time that is not matmul. {@link SimdActivations} uses the
 * Vector API's vectorised exp when {@link Matmul#backend()} is "simd"; otherwise plain loops.
 */
public final class Activations {
    private static final boolean SIMD = Matmul.backend().equals("simd");

    private Activations() {}

    public enum Kind { EXP, SIGMOID, SILU, SILU_PRIME, SILU_SECOND }

    /** out[i] = f(in[i]) for the function {@code kind}. */
    public static void apply(Kind kind, float[] in, float[] out) {
        if (out.length < in.length) throw new IllegalArgumentException("output shorter than input");
        if (SIMD) SimdActivations.apply(kind, in, out, in.length);
        else applyPlain(kind, in, out, 0, in.length);
    }

    /** out[i] = f(in[i]) for i &lt; n: arrays reused across calls may be longer than what is in use. */
    public static void apply(Kind kind, float[] in, float[] out, int n) {
        if (in.length < n || out.length < n) throw new IllegalArgumentException("arrays shorter than " + n);
        if (SIMD) SimdActivations.apply(kind, in, out, n);
        else applyPlain(kind, in, out, 0, n);
    }

    /** out = SiLU(in) and slope = SiLU'(in) for i &lt; n, one exponential per element (a forward that keeps its derivative). */
    public static void siluWithSlope(float[] in, float[] out, float[] slope, int n) {
        if (in.length < n || out.length < n || slope.length < n) throw new IllegalArgumentException("arrays shorter than " + n);
        if (SIMD) {
            SimdActivations.siluWithSlope(in, out, slope, n);
        } else {
            applyPlain(Kind.SILU, in, out, 0, n);
            applyPlain(Kind.SILU_PRIME, in, slope, 0, n);
        }
    }

    static void applyPlain(Kind kind, float[] in, float[] out, int from, int to) {
        for (int i = from; i < to; i++) out[i] = scalar(kind, in[i]);
    }

    /** The scalar definition every path must match. */
    public static float scalar(Kind kind, float x) {
        double e = Math.exp(kind == Kind.EXP ? x : -x);
        if (kind == Kind.EXP) return (float) e;
        float s = (float) (1.0 / (1.0 + e));
        return switch (kind) {
            case SIGMOID -> s;
            case SILU -> x * s;
            case SILU_PRIME -> s * (1f + x * (1f - s));
            case SILU_SECOND -> s * (1f - s) * (2f + x * (1f - 2f * s));
            default -> throw new AssertionError();
        };
    }
}
