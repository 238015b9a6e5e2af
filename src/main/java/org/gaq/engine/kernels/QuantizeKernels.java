package org.gaq.engine.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise loops of integer execution: activation codes for the int8 GEMMs, int32 results back to
 * float, and the LSQ activation quantizer (forward and its straight-through backward) in one pass each.
 *
 * <p>Each kernel has a plain loop ({@code …Plain}), the definition, and a Vector API version with a
 * full-vector main loop (no masks) and the plain loop as its tail. Both give bitwise equal results:
 * every element goes through the same IEEE operations in the same order; the roundings, which the Vector
 * API has no lane-wise operation for, are computed exactly (see {@link #quantize} and {@link #lsqForward}).
 * The Vector API path is used when {@link FloatVector#SPECIES_PREFERRED} has at least 8 lanes (AVX2 and up);
 * {@code -Dgaq.quantize.kernels=plain} forces the plain loops.
 */
public final class QuantizeKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Bytes of one float vector's lanes: 16 lanes (AVX-512) → 128-bit, 8 lanes → 64-bit. */
    private static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    static final boolean SIMD = L >= 8 && !"plain".equals(System.getProperty("gaq.quantize.kernels"));

    /** 1.5·2^23: adding and subtracting it rounds a float of magnitude below 2^22 to an integer, ties to even. */
    private static final float MAGIC = 12582912f;

    private QuantizeKernels() {}

    /** True if the Vector API versions are in use. */
    public static boolean simd() {
        return SIMD;
    }

    // ------------------------------------------------------------------ activation codes

    /**
     * a[ia+k] = clamp(Math.round(x[ix+k] · inv), −127, 127) for k in [0, n): the int8 codes of an activation
     * with step 1/inv (Math.round: nearest, ties toward +∞; NaN gives 0).
     */
    public static void quantize(float[] x, int ix, float inv, byte[] a, int ia, int n) {
        if (SIMD) quantizeSimd(x, ix, inv, a, ia, n);
        else quantizePlain(x, ix, inv, a, ia, n);
    }

    static void quantizePlain(float[] x, int ix, float inv, byte[] a, int ia, int n) {
        for (int k = 0; k < n; k++) {
            float code = Math.round(x[ix + k] * inv);
            a[ia + k] = (byte) Math.max(-127, Math.min(127, code));
        }
    }

    /*
     * Exactly Math.round, clamped: t = x·inv is first clamped to [−128, 128] (Math.round of anything beyond
     * clamps to ±127 anyway; NaN stays NaN), so |t| < 2^22 and (t + 1.5·2^23) − 1.5·2^23 is t rounded to the
     * nearest integer, ties to even; a tie (t − r = ½, exact since r is an integer within ½ of t) that went
     * down is moved up, which gives ties toward +∞. NaN converts to 0 as in (int) NaN.
     */
    static void quantizeSimd(float[] x, int ix, float inv, byte[] a, int ia, int n) {
        int bound = F.loopBound(n), k = 0;
        FloatVector vInv = FloatVector.broadcast(F, inv), lo = FloatVector.broadcast(F, -128f), hi = FloatVector.broadcast(F, 128f);
        FloatVector magic = FloatVector.broadcast(F, MAGIC), half = FloatVector.broadcast(F, 0.5f);
        FloatVector one = FloatVector.broadcast(F, 1f), zero = FloatVector.zero(F);
        for (; k < bound; k += L) {
            FloatVector t = FloatVector.fromArray(F, x, ix + k).mul(vInv).max(lo).min(hi);
            FloatVector r = t.add(magic).sub(magic);
            r = r.add(zero.blend(one, t.sub(r).compare(VectorOperators.EQ, half)));
            IntVector code = ((IntVector) r.convertShape(VectorOperators.F2I, I, 0)).max(-127).min(127);
            ((ByteVector) code.convertShape(VectorOperators.I2B, B, 0)).intoArray(a, ia + k);
        }
        quantizePlain(x, ix + k, inv, a, ia + k, n - k);
    }

    /**
     * a[ia+k] = clamp(Math.round(x[ix+k] · inv[k]), −127, 127) for k in [0, n): {@link #quantize} with one inverse
     * step per channel (per-channel activation steps).
     */
    public static void quantizeChannels(float[] x, int ix, float[] inv, byte[] a, int ia, int n) {
        if (SIMD) quantizeChannelsSimd(x, ix, inv, a, ia, n);
        else quantizeChannelsPlain(x, ix, inv, 0, a, ia, n);
    }

    static void quantizeChannelsPlain(float[] x, int ix, float[] inv, int iv, byte[] a, int ia, int n) {
        for (int k = 0; k < n; k++) {
            float code = Math.round(x[ix + k] * inv[iv + k]);
            a[ia + k] = (byte) Math.max(-127, Math.min(127, code));
        }
    }

    static void quantizeChannelsSimd(float[] x, int ix, float[] inv, byte[] a, int ia, int n) {
        int bound = F.loopBound(n), k = 0;
        FloatVector lo = FloatVector.broadcast(F, -128f), hi = FloatVector.broadcast(F, 128f);
        FloatVector magic = FloatVector.broadcast(F, MAGIC), half = FloatVector.broadcast(F, 0.5f);
        FloatVector one = FloatVector.broadcast(F, 1f), zero = FloatVector.zero(F);
        for (; k < bound; k += L) {
            FloatVector t = FloatVector.fromArray(F, x, ix + k).mul(FloatVector.fromArray(F, inv, k)).max(lo).min(hi);
            FloatVector r = t.add(magic).sub(magic);
            r = r.add(zero.blend(one, t.sub(r).compare(VectorOperators.EQ, half)));
            IntVector code = ((IntVector) r.convertShape(VectorOperators.F2I, I, 0)).max(-127).min(127);
            ((ByteVector) code.convertShape(VectorOperators.I2B, B, 0)).intoArray(a, ia + k);
        }
        quantizeChannelsPlain(x, ix + k, inv, k, a, ia + k, n - k);
    }

    // ------------------------------------------------------------------ int32 results to float

    /** y[iy+j] = c[ic+j] · scale[is+j] for j in [0, n) (the int32 converted to float, then one product). */
    public static void scaleInts(int[] c, int ic, float[] scale, int is, float[] y, int iy, int n) {
        if (SIMD) scaleIntsSimd(c, ic, scale, is, y, iy, n);
        else scaleIntsPlain(c, ic, scale, is, y, iy, n);
    }

    static void scaleIntsPlain(int[] c, int ic, float[] scale, int is, float[] y, int iy, int n) {
        for (int j = 0; j < n; j++) y[iy + j] = c[ic + j] * scale[is + j];
    }

    static void scaleIntsSimd(int[] c, int ic, float[] scale, int is, float[] y, int iy, int n) {
        int bound = F.loopBound(n), j = 0;
        for (; j < bound; j += L) {
            FloatVector v = (FloatVector) IntVector.fromArray(I, c, ic + j).convertShape(VectorOperators.I2F, F, 0);
            v.mul(FloatVector.fromArray(F, scale, is + j)).intoArray(y, iy + j);
        }
        scaleIntsPlain(c, ic + j, scale, is + j, y, iy + j, n - j);
    }

    /** y[iy+j] = x[ix+j] · f for j in [0, n); y may be x (same offsets). */
    public static void scale(float[] x, int ix, float f, float[] y, int iy, int n) {
        if (SIMD) scaleSimd(x, ix, f, y, iy, n);
        else scalePlain(x, ix, f, y, iy, n);
    }

    static void scalePlain(float[] x, int ix, float f, float[] y, int iy, int n) {
        for (int j = 0; j < n; j++) y[iy + j] = x[ix + j] * f;
    }

    static void scaleSimd(float[] x, int ix, float f, float[] y, int iy, int n) {
        int bound = F.loopBound(n), j = 0;
        FloatVector vf = FloatVector.broadcast(F, f);
        for (; j < bound; j += L) FloatVector.fromArray(F, x, ix + j).mul(vf).intoArray(y, iy + j);
        scalePlain(x, ix + j, f, y, iy + j, n - j);
    }

    // ------------------------------------------------------------------ LSQ activation quantizer

    /**
     * out[k] = rint(min(qp, max(qn, x[k] / s))) · s for k in [0, n): the forward of the LSQ fake quantizer
     * (x.div(s), clampMasked, roundSte, mul(s)) in one pass. qn, qp must be integers of magnitude below 2^22.
     */
    public static void lsqForward(float[] x, float s, float qn, float qp, float[] out, int n) {
        if (SIMD) lsqForwardSimd(x, s, qn, qp, out, n);
        else lsqForwardPlain(x, 0, s, qn, qp, out, n);
    }

    static void lsqForwardPlain(float[] x, int from, float s, float qn, float qp, float[] out, int n) {
        for (int k = from; k < n; k++) out[k] = (float) Math.rint(Math.min(qp, Math.max(qn, x[k] / s))) * s;
    }

    /*
     * rint of the clamped t (|t| ≤ max(|qn|, |qp|) < 2^22): (t + 1.5·2^23) − 1.5·2^23 rounds ties to even as
     * Math.rint does, but gives +0 for t in (−½, 0]; Math.rint keeps the sign (−0.3 → −0.0), so t's sign bit
     * is or-ed back in (for t < 0 the sum is ≤ 0 already, so only −0 changes).
     */
    static void lsqForwardSimd(float[] x, float s, float qn, float qp, float[] out, int n) {
        int bound = F.loopBound(n), k = 0;
        FloatVector vs = FloatVector.broadcast(F, s), lo = FloatVector.broadcast(F, qn), hi = FloatVector.broadcast(F, qp);
        FloatVector magic = FloatVector.broadcast(F, MAGIC);
        IntVector sign = IntVector.broadcast(I, 0x80000000);
        for (; k < bound; k += L) {
            FloatVector t = FloatVector.fromArray(F, x, k).div(vs).max(lo).min(hi);
            FloatVector r = t.add(magic).sub(magic);
            IntVector bits = r.reinterpretAsInts().or(t.reinterpretAsInts().and(sign));
            bits.reinterpretAsFloats().mul(vs).intoArray(out, k);
        }
        lsqForwardPlain(x, k, s, qn, qp, out, n);
    }

    /**
     * {@link #lsqForward} with one step per channel of the last axis, s = steps[k mod steps.length]: the LSQ
     * quantizer of a per-channel site over rows of steps.length channels.
     */
    public static void lsqForwardChannels(float[] x, float[] steps, float qn, float qp, float[] out, int n) {
        if (SIMD && steps.length % L == 0) lsqForwardChannelsSimd(x, steps, qn, qp, out, n);
        else lsqForwardChannelsPlain(x, 0, steps, qn, qp, out, n);
    }

    static void lsqForwardChannelsPlain(float[] x, int from, float[] steps, float qn, float qp, float[] out, int n) {
        int c = steps.length;
        for (int k = from; k < n; k++) {
            float s = steps[k % c];
            out[k] = (float) Math.rint(Math.min(qp, Math.max(qn, x[k] / s))) * s;
        }
    }

    /** Whole rows as in {@link #lsqForwardSimd}, a vector of channel steps at a time; a last partial row plain. */
    static void lsqForwardChannelsSimd(float[] x, float[] steps, float qn, float qp, float[] out, int n) {
        int c = steps.length, whole = n - n % c;
        FloatVector lo = FloatVector.broadcast(F, qn), hi = FloatVector.broadcast(F, qp), magic = FloatVector.broadcast(F, MAGIC);
        IntVector sign = IntVector.broadcast(I, 0x80000000);
        for (int row = 0; row < whole; row += c) {
            for (int j = 0; j < c; j += L) {
                FloatVector vs = FloatVector.fromArray(F, steps, j);
                FloatVector t = FloatVector.fromArray(F, x, row + j).div(vs).max(lo).min(hi);
                FloatVector r = t.add(magic).sub(magic);
                IntVector bits = r.reinterpretAsInts().or(t.reinterpretAsInts().and(sign));
                bits.reinterpretAsFloats().mul(vs).intoArray(out, row + j);
            }
        }
        lsqForwardChannelsPlain(x, whole, steps, qn, qp, out, n);
    }

    /**
     * gx[k] = ((g[k] · s) · m_k) / s with m_k = 1 if qn ≤ x[k]/s ≤ qp, else 0, for k in [0, n): the backward
     * of the LSQ fake quantizer to its input, operation for operation as the composed ops compute it (mul's
     * backward g·s, clampMasked's g·mask, roundSte's identity, div's g/s).
     */
    public static void lsqBackward(float[] g, float[] x, float s, float qn, float qp, float[] gx, int n) {
        if (SIMD) lsqBackwardSimd(g, x, s, qn, qp, gx, n);
        else lsqBackwardPlain(g, x, 0, s, qn, qp, gx, n);
    }

    static void lsqBackwardPlain(float[] g, float[] x, int from, float s, float qn, float qp, float[] gx, int n) {
        for (int k = from; k < n; k++) {
            float t = x[k] / s;
            float m = t >= qn && t <= qp ? 1f : 0f;
            gx[k] = g[k] * s * m / s;
        }
    }

    static void lsqBackwardSimd(float[] g, float[] x, float s, float qn, float qp, float[] gx, int n) {
        int bound = F.loopBound(n), k = 0;
        FloatVector vs = FloatVector.broadcast(F, s), zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        for (; k < bound; k += L) {
            FloatVector t = FloatVector.fromArray(F, x, k).div(vs);
            VectorMask<Float> inside = t.compare(VectorOperators.GE, qn).and(t.compare(VectorOperators.LE, qp));
            FloatVector m = zero.blend(one, inside);
            FloatVector.fromArray(F, g, k).mul(vs).mul(m).div(vs).intoArray(gx, k);
        }
        lsqBackwardPlain(g, x, k, s, qn, qp, gx, n);
    }
}
