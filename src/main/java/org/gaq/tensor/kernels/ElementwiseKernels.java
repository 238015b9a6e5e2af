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

    /**
     * One Adam update of a parameter's elements in float arithmetic, for k in [0, n) (Kingma &amp; Ba 2015, with
     * decoupled weight decay):
     * <pre>
     *   m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g·g;   θ ← θ − lr·((m / c1) / (√(v / c2) + ε) + wd·θ)
     * </pre>
     * with c1 = 1 − β1^t, c2 = 1 − β2^t the bias corrections of step t, each operation as written (no fused
     * multiply-add), so that both backends give bitwise equal results.
     */
    public static void adam(AdamStep s, float[] theta, float[] g, float[] m, float[] v, int n) {
        int k = SIMD ? SimdElementwise.adam(s, theta, g, m, v, n) : 0;
        adamPlain(s, theta, g, m, v, k, n);
    }

    static void adamPlain(AdamStep s, float[] theta, float[] g, float[] m, float[] v, int from, int n) {
        float b1 = s.beta1(), b2 = s.beta2(), a1 = 1 - b1, a2 = 1 - b2;
        for (int k = from; k < n; k++) {
            float mk = b1 * m[k] + a1 * g[k];
            float vk = b2 * v[k] + a2 * (g[k] * g[k]);
            m[k] = mk;
            v[k] = vk;
            float update = (mk / s.c1()) / ((float) Math.sqrt(vk / s.c2()) + s.eps()) + s.weightDecay() * theta[k];
            theta[k] -= s.lr() * update;
        }
    }

    /** The coefficients of one Adam step: the moments' decays, the bias corrections c1 = 1 − β1^t and c2 = 1 − β2^t, ε, weight decay and rate. */
    public record AdamStep(float beta1, float beta2, float c1, float c2, float eps, float weightDecay, float lr) {}
}
