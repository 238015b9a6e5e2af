package org.gaq.tensor.kernels;

/**
 * The loops under the tensor layer's element-wise ops, broadcasting and segment sums: binary
 * arithmetic on runs of floats where each operand steps by 1 (a contiguous run) or 0 (a broadcast
 * value), and the accumulating {@code out += a·b} / {@code out += a} forms used by backward passes and
 * index-add. With {@link Matmul#backend()} "simd" the unit-stride and broadcast forms run on the Vector
 * API ({@link SimdElementwise}); C2 does not auto-vectorise these loops when the run starts at an
 * offset it cannot see (docs/performance.md, "Non-intrinsified Vector API paths?").
 *
 * <p>Every element is computed exactly as the plain loop computes it (one IEEE operation per element,
 * {@code out + a·b} as a multiply then an add, never a fused multiply-add), so the two backends give
 * bitwise equal results and the order of accumulation is unchanged.
 */
public final class ElementwiseKernels {
    private static final boolean SIMD = Matmul.backend().equals("simd");

    private ElementwiseKernels() {}

    public enum Op { ADD, SUB, MUL, DIV }

    /** out[io+k] = a[ia+k·sa] op b[ib+k·sb] for k in [0, n). */
    public static void binary(Op op, float[] a, int ia, int sa, float[] b, int ib, int sb, float[] out, int io, int n) {
        if (n <= 0) return;   // the broadcast forms read a[ia] / b[ib] up front
        if (SIMD) {
            if (sa == 1 && sb == 1) { SimdElementwise.binary(op, a, ia, b, ib, out, io, n); return; }
            if (sa == 1 && sb == 0) { SimdElementwise.binaryScalarRight(op, a, ia, b[ib], out, io, n); return; }
            if (sa == 0 && sb == 1) { SimdElementwise.binaryScalarLeft(op, a[ia], b, ib, out, io, n); return; }
        }
        binaryPlain(op, a, ia, sa, b, ib, sb, out, io, n);
    }

    static void binaryPlain(Op op, float[] a, int ia, int sa, float[] b, int ib, int sb, float[] out, int io, int n) {
        switch (op) {
            case ADD -> { for (int k = 0; k < n; k++) out[io + k] = a[ia + k * sa] + b[ib + k * sb]; }
            case SUB -> { for (int k = 0; k < n; k++) out[io + k] = a[ia + k * sa] - b[ib + k * sb]; }
            case MUL -> { for (int k = 0; k < n; k++) out[io + k] = a[ia + k * sa] * b[ib + k * sb]; }
            case DIV -> { for (int k = 0; k < n; k++) out[io + k] = a[ia + k * sa] / b[ib + k * sb]; }
        }
    }

    /** out[io+k] += a[ia+k·sa] · b[ib+k·sb] (product rounded, then sum rounded) for k in [0, n). */
    public static void mulAddTo(float[] a, int ia, int sa, float[] b, int ib, int sb, float[] out, int io, int n) {
        if (n <= 0) return;
        if (SIMD) {
            if (sa == 1 && sb == 1) { SimdElementwise.mulAddTo(a, ia, b, ib, out, io, n); return; }
            if (sa == 1 && sb == 0) { SimdElementwise.mulAddTo(a, ia, b[ib], out, io, n); return; }
            if (sa == 0 && sb == 1) { SimdElementwise.mulAddTo(b, ib, a[ia], out, io, n); return; }
        }
        mulAddToPlain(a, ia, sa, b, ib, sb, out, io, n);
    }

    static void mulAddToPlain(float[] a, int ia, int sa, float[] b, int ib, int sb, float[] out, int io, int n) {
        for (int k = 0; k < n; k++) out[io + k] += a[ia + k * sa] * b[ib + k * sb];
    }

    /** dst[id+k] += src[is+k] for k in [0, n). */
    public static void addTo(float[] src, int is, float[] dst, int id, int n) {
        if (SIMD) SimdElementwise.addTo(src, is, dst, id, n);
        else addToPlain(src, is, dst, id, n);
    }

    static void addToPlain(float[] src, int is, float[] dst, int id, int n) {
        for (int k = 0; k < n; k++) dst[id + k] += src[is + k];
    }
}
