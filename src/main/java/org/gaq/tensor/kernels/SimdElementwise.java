package org.gaq.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of {@link ElementwiseKernels}: a full-vector main loop (no masks) and a scalar
 * tail, one operation per element exactly as the scalar loop does it. The operation is chosen outside
 * the loops so that each hot loop is a plain load–op–store that C2 intrinsifies.
 */
final class SimdElementwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private SimdElementwise() {}

    static void binary(ElementwiseKernels.Op op, float[] a, int ia, float[] b, int ib, float[] out, int io, int n) {
        int bound = S.loopBound(n), k = 0;
        switch (op) {
            case ADD -> {
                for (; k < bound; k += L) FloatVector.fromArray(S, a, ia + k).add(FloatVector.fromArray(S, b, ib + k)).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = a[ia + k] + b[ib + k];
            }
            case SUB -> {
                for (; k < bound; k += L) FloatVector.fromArray(S, a, ia + k).sub(FloatVector.fromArray(S, b, ib + k)).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = a[ia + k] - b[ib + k];
            }
            case MUL -> {
                for (; k < bound; k += L) FloatVector.fromArray(S, a, ia + k).mul(FloatVector.fromArray(S, b, ib + k)).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = a[ia + k] * b[ib + k];
            }
            case DIV -> {
                for (; k < bound; k += L) FloatVector.fromArray(S, a, ia + k).div(FloatVector.fromArray(S, b, ib + k)).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = a[ia + k] / b[ib + k];
            }
        }
    }

    /** out = a op y for a scalar y. */
    static void binaryScalarRight(ElementwiseKernels.Op op, float[] a, int ia, float y, float[] out, int io, int n) {
        int bound = S.loopBound(n), k = 0;
        FloatVector v = FloatVector.broadcast(S, y);
        switch (op) {
            case ADD -> {
                for (; k < bound; k += L) FloatVector.fromArray(S, a, ia + k).add(v).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = a[ia + k] + y;
            }
            case SUB -> {
                for (; k < bound; k += L) FloatVector.fromArray(S, a, ia + k).sub(v).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = a[ia + k] - y;
            }
            case MUL -> {
                for (; k < bound; k += L) FloatVector.fromArray(S, a, ia + k).mul(v).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = a[ia + k] * y;
            }
            case DIV -> {
                for (; k < bound; k += L) FloatVector.fromArray(S, a, ia + k).div(v).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = a[ia + k] / y;
            }
        }
    }

    /** out = x op b for a scalar x. */
    static void binaryScalarLeft(ElementwiseKernels.Op op, float x, float[] b, int ib, float[] out, int io, int n) {
        int bound = S.loopBound(n), k = 0;
        FloatVector v = FloatVector.broadcast(S, x);
        switch (op) {
            case ADD -> {
                for (; k < bound; k += L) v.add(FloatVector.fromArray(S, b, ib + k)).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = x + b[ib + k];
            }
            case SUB -> {
                for (; k < bound; k += L) v.sub(FloatVector.fromArray(S, b, ib + k)).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = x - b[ib + k];
            }
            case MUL -> {
                for (; k < bound; k += L) v.mul(FloatVector.fromArray(S, b, ib + k)).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = x * b[ib + k];
            }
            case DIV -> {
                for (; k < bound; k += L) v.div(FloatVector.fromArray(S, b, ib + k)).intoArray(out, io + k);
                for (; k < n; k++) out[io + k] = x / b[ib + k];
            }
        }
    }

    /** out += a·b, both contiguous. */
    static void mulAddTo(float[] a, int ia, float[] b, int ib, float[] out, int io, int n) {
        int bound = S.loopBound(n), k = 0;
        for (; k < bound; k += L) {
            FloatVector p = FloatVector.fromArray(S, a, ia + k).mul(FloatVector.fromArray(S, b, ib + k));
            FloatVector.fromArray(S, out, io + k).add(p).intoArray(out, io + k);
        }
        for (; k < n; k++) out[io + k] += a[ia + k] * b[ib + k];
    }

    /** out += a·y for a scalar y (a·y rounded first, as in the scalar loop). */
    static void mulAddTo(float[] a, int ia, float y, float[] out, int io, int n) {
        int bound = S.loopBound(n), k = 0;
        FloatVector v = FloatVector.broadcast(S, y);
        for (; k < bound; k += L) {
            FloatVector p = FloatVector.fromArray(S, a, ia + k).mul(v);
            FloatVector.fromArray(S, out, io + k).add(p).intoArray(out, io + k);
        }
        for (; k < n; k++) out[io + k] += a[ia + k] * y;
    }

    /** dst += src. */
    static void addTo(float[] src, int is, float[] dst, int id, int n) {
        int bound = S.loopBound(n), k = 0;
        for (; k < bound; k += L) {
            FloatVector.fromArray(S, dst, id + k).add(FloatVector.fromArray(S, src, is + k)).intoArray(dst, id + k);
        }
        for (; k < n; k++) dst[id + k] += src[is + k];
    }

    /** {@link ElementwiseKernels#adam} on whole vectors; returns where the scalar tail starts. */
    static int adam(ElementwiseKernels.AdamStep s, float[] theta, float[] g, float[] m, float[] v, int n) {
        int bound = S.loopBound(n);
        float b1 = s.beta1(), b2 = s.beta2(), a1 = 1 - b1, a2 = 1 - b2;
        for (int k = 0; k < bound; k += L) {
            FloatVector gk = FloatVector.fromArray(S, g, k), t = FloatVector.fromArray(S, theta, k);
            FloatVector mk = FloatVector.fromArray(S, m, k).mul(b1).add(gk.mul(a1));
            FloatVector vk = FloatVector.fromArray(S, v, k).mul(b2).add(gk.mul(gk).mul(a2));
            mk.intoArray(m, k);
            vk.intoArray(v, k);
            FloatVector update = mk.div(s.c1()).div(vk.div(s.c2()).sqrt().add(s.eps())).add(t.mul(s.weightDecay()));
            t.sub(update.mul(s.lr())).intoArray(theta, k);
        }
        return bound;
    }
}
