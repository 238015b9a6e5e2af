package org.gaq.tensor;

import org.gaq.tensor.kernels.Activations;
import org.gaq.tensor.kernels.ElementwiseKernels;
import org.gaq.tensor.kernels.ElementwiseKernels.Op;

import java.util.Arrays;
import java.util.List;

/**
 * Element-wise maths: broadcasting binary ops and unary functions, each with its backward rule
 * written in differentiable tensor ops (so it can itself be differentiated).
 *
 * <p>Broadcasting follows NumPy: shapes are aligned at the trailing axis, and an axis of size 1
 * stretches. The gradient of a broadcast operand is summed back to its own shape ({@link Shapes#sumTo}).
 */
public final class Elementwise {
    private Elementwise() {}

    // ---------------------------------------------------------------- binary

    public static Tensor add(Tensor a, Tensor b) {
        int[] sa = a.shape, sb = b.shape;
        return Tensor.result(binary(Op.ADD, a, b, "add"), Shape.broadcast(sa, sb, "add"), "add",
                g -> new Tensor[]{Autograd.needsGradient(a) ? g.sumTo(sa) : null, Autograd.needsGradient(b) ? g.sumTo(sb) : null}, a, b);
    }

    /**
     * Σ_k t_k of tensors of one shape, in one pass: ((t_1 + t_2) + t_3) + … element by element, so it rounds as
     * the chain of additions would. One tensor is returned as it is. Backward: the output gradient, to every term.
     */
    public static Tensor sum(List<Tensor> terms) {
        Tensor first = terms.getFirst();
        if (terms.size() == 1) return first;
        for (Tensor t : terms) Shape.requireSame(first, t, "sum");
        float[] out = first.data.clone();
        for (int k = 1; k < terms.size(); k++) ElementwiseKernels.addTo(terms.get(k).data, 0, out, 0, out.length);
        Tensor[] inputs = terms.toArray(new Tensor[0]);
        return Tensor.result(out, first.shape, "sum", g -> {
            Tensor[] grads = new Tensor[inputs.length];
            for (int k = 0; k < grads.length; k++) grads[k] = Autograd.needsGradient(inputs[k]) ? g : null;
            return grads;
        }, inputs);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        int[] sa = a.shape, sb = b.shape;
        return Tensor.result(binary(Op.SUB, a, b, "sub"), Shape.broadcast(sa, sb, "sub"), "sub",
                g -> new Tensor[]{Autograd.needsGradient(a) ? g.sumTo(sa) : null, Autograd.needsGradient(b) ? g.neg().sumTo(sb) : null}, a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return Tensor.result(binary(Op.MUL, a, b, "mul"), Shape.broadcast(a.shape, b.shape, "mul"), "mul",
                g -> new Tensor[]{
                        Autograd.needsGradient(a) ? mulSumTo(g, b, a.shape) : null,
                        Autograd.needsGradient(b) ? mulSumTo(g, a, b.shape) : null}, a, b);
    }

    /**
     * sumTo(a ⊙ b, shape) without materialising a ⊙ b: the backward of a broadcasting product, which
     * would otherwise build a full-size temporary only to sum it down (e.g. [E,3,F] → [E,1,F]).
     * a, b and {@code shape} broadcast together; the result has {@code shape}.
     */
    public static Tensor mulSumTo(Tensor a, Tensor b, int[] shape) {
        int[] full = Shape.broadcast(Shape.broadcast(a.shape, b.shape, "mulSumTo"), shape, "mulSumTo");
        if (Arrays.equals(full, shape)) return mul(a, b).expand(shape);
        int[] target = shape.clone();
        float[] out = new float[Shape.size(target)];
        int[] sa = Shape.broadcastStrides(a.shape, full), sb = Shape.broadcastStrides(b.shape, full);
        int[] so = Shape.broadcastStrides(target, full);
        int rank = full.length;
        int inner = full[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1], io = so[rank - 1];
        int[] idx = new int[rank];
        int offA = 0, offB = 0, offO = 0;
        float[] ad = a.data, bd = b.data;
        int size = Shape.size(full);
        for (int o = 0; o < size; o += inner) {
            if (io == 0) {
                float acc = 0f;
                for (int k = 0; k < inner; k++) acc += ad[offA + k * ia] * bd[offB + k * ib];
                out[offO] += acc;
            } else {
                ElementwiseKernels.mulAddTo(ad, offA, ia, bd, offB, ib, out, offO, inner);
            }
            for (int d = rank - 2; d >= 0; d--) {
                idx[d]++;
                offA += sa[d];
                offB += sb[d];
                offO += so[d];
                if (idx[d] < full[d]) break;
                offA -= sa[d] * full[d];
                offB -= sb[d] * full[d];
                offO -= so[d] * full[d];
                idx[d] = 0;
            }
        }
        int[] aShape = a.shape, bShape = b.shape;
        return Tensor.result(out, target, "mulSumTo", g -> new Tensor[]{
                Autograd.needsGradient(a) ? mulSumTo(g, b, aShape) : null,
                Autograd.needsGradient(b) ? mulSumTo(g, a, bShape) : null}, a, b);
    }

    public static Tensor div(Tensor a, Tensor b) {
        return Tensor.result(binary(Op.DIV, a, b, "div"), Shape.broadcast(a.shape, b.shape, "div"), "div",
                g -> new Tensor[]{
                        Autograd.needsGradient(a) ? g.div(b).sumTo(a.shape) : null,
                        // d(a/b)/db = -a/b²
                        Autograd.needsGradient(b) ? g.mul(a).div(b.square()).neg().sumTo(b.shape) : null}, a, b);
    }

    private static float[] binary(Op op, Tensor a, Tensor b, String name) {
        int[] outShape = Shape.broadcast(a.shape, b.shape, name);
        float[] out = new float[Shape.size(outShape)];
        if (Arrays.equals(a.shape, b.shape)) {
            inner(op, a.data, 0, 1, b.data, 0, 1, out, 0, out.length);
            return out;
        }
        // Coalesce adjacent axes that step alike in both operands, then walk the outer axes with an
        // odometer and run a contiguous inner loop on the last one.
        int[] sa = Shape.broadcastStrides(a.shape, outShape);
        int[] sb = Shape.broadcastStrides(b.shape, outShape);
        int[][] c = coalesce(outShape, sa, sb);
        int[] dims = c[0], stA = c[1], stB = c[2];
        int rank = dims.length;
        int innerN = dims[rank - 1], innerA = stA[rank - 1], innerB = stB[rank - 1];
        int[] idx = new int[rank];
        int offA = 0, offB = 0;
        for (int o = 0; o < out.length; o += innerN) {
            inner(op, a.data, offA, innerA, b.data, offB, innerB, out, o, innerN);
            for (int d = rank - 2; d >= 0; d--) {
                idx[d]++;
                offA += stA[d];
                offB += stB[d];
                if (idx[d] < dims[d]) break;
                offA -= stA[d] * dims[d];
                offB -= stB[d] * dims[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    private static int[][] coalesce(int[] dims, int[] sa, int[] sb) {
        int[] d = new int[dims.length], a = new int[dims.length], b = new int[dims.length];
        int n = 0;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == 1) continue;
            if (n > 0 && a[n - 1] == sa[i] * dims[i] && b[n - 1] == sb[i] * dims[i]) {
                d[n - 1] *= dims[i];
                a[n - 1] = sa[i];
                b[n - 1] = sb[i];
            } else {
                d[n] = dims[i];
                a[n] = sa[i];
                b[n] = sb[i];
                n++;
            }
        }
        if (n == 0) return new int[][]{{1}, {0}, {0}};
        return new int[][]{Arrays.copyOf(d, n), Arrays.copyOf(a, n), Arrays.copyOf(b, n)};
    }

    private static void inner(Op op, float[] a, int ia, int sa, float[] b, int ib, int sb, float[] out, int io, int n) {
        ElementwiseKernels.binary(op, a, ia, sa, b, ib, sb, out, io, n);
    }

    // ---------------------------------------------------------------- with a constant

    public static Tensor addScalar(Tensor a, float c) {
        float[] out = new float[a.data.length];
        for (int i = 0; i < out.length; i++) out[i] = a.data[i] + c;
        return Tensor.result(out, a.shape, "addScalar", g -> new Tensor[]{g}, a);
    }

    public static Tensor mulScalar(Tensor a, float c) {
        float[] out = new float[a.data.length];
        for (int i = 0; i < out.length; i++) out[i] = a.data[i] * c;
        return Tensor.result(out, a.shape, "mulScalar", g -> new Tensor[]{g.mul(c)}, a);
    }

    // ---------------------------------------------------------------- unary

    public static Tensor exp(Tensor a) {
        float[] out = new float[a.data.length];
        Activations.apply(Activations.Kind.EXP, a.data, out);
        Tensor[] self = new Tensor[1];
        self[0] = Tensor.result(out, a.shape, "exp", g -> new Tensor[]{g.mul(self[0])}, a);
        return self[0];
    }

    public static Tensor log(Tensor a) {
        float[] out = new float[a.data.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) Math.log(a.data[i]);
        return Tensor.result(out, a.shape, "log", g -> new Tensor[]{g.div(a)}, a);
    }

    public static Tensor sqrt(Tensor a) {
        float[] out = new float[a.data.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) Math.sqrt(a.data[i]);
        Tensor[] self = new Tensor[1];
        self[0] = Tensor.result(out, a.shape, "sqrt", g -> new Tensor[]{g.div(self[0]).mul(0.5f)}, a);
        return self[0];
    }

    public static Tensor square(Tensor a) {
        float[] out = new float[a.data.length];
        for (int i = 0; i < out.length; i++) out[i] = a.data[i] * a.data[i];
        return Tensor.result(out, a.shape, "square", g -> new Tensor[]{g.mul(a).mul(2f)}, a);
    }

    /** a^p for a constant exponent p. */
    public static Tensor pow(Tensor a, float p) {
        if (p == 1f) return a;
        if (p == 2f) return square(a);
        float[] out = new float[a.data.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) Math.pow(a.data[i], p);
        return Tensor.result(out, a.shape, "pow", g -> new Tensor[]{g.mul(a.pow(p - 1f)).mul(p)}, a);
    }

    public static Tensor sin(Tensor a) {
        float[] out = new float[a.data.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) Math.sin(a.data[i]);
        return Tensor.result(out, a.shape, "sin", g -> new Tensor[]{g.mul(a.cos())}, a);
    }

    public static Tensor cos(Tensor a) {
        float[] out = new float[a.data.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) Math.cos(a.data[i]);
        return Tensor.result(out, a.shape, "cos", g -> new Tensor[]{g.mul(a.sin()).neg()}, a);
    }

    public static Tensor tanh(Tensor a) {
        float[] out = new float[a.data.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) Math.tanh(a.data[i]);
        Tensor[] self = new Tensor[1];
        // d tanh = 1 - tanh²
        self[0] = Tensor.result(out, a.shape, "tanh", g -> new Tensor[]{g.sub(g.mul(self[0].square()))}, a);
        return self[0];
    }

    public static Tensor sigmoid(Tensor a) {
        float[] out = new float[a.data.length];
        Activations.apply(Activations.Kind.SIGMOID, a.data, out);
        Tensor[] self = new Tensor[1];
        // d σ = σ (1 − σ)
        self[0] = Tensor.result(out, a.shape, "sigmoid",
                g -> new Tensor[]{g.mul(self[0].sub(self[0].square()))}, a);
        return self[0];
    }

    /**
     * SiLU(x) = x σ(x). Fused, and so are its first and second derivatives (the force pass and the
     * training pass of a force-trained model use exactly those); the third is composed of ops.
     */
    public static Tensor silu(Tensor a) {
        float[] out = new float[a.data.length];
        Activations.apply(Activations.Kind.SILU, a.data, out);
        return Tensor.result(out, a.shape, "silu", g -> new Tensor[]{g.mul(siluPrime(a))}, a);
    }

    /** SiLU'(x) = σ (1 + x (1 − σ)). */
    public static Tensor siluPrime(Tensor a) {
        float[] out = new float[a.data.length];
        Activations.apply(Activations.Kind.SILU_PRIME, a.data, out);
        return Tensor.result(out, a.shape, "siluPrime", g -> new Tensor[]{g.mul(siluSecond(a))}, a);
    }

    /** SiLU''(x) = σ(1−σ) (2 + x (1 − 2σ)). */
    public static Tensor siluSecond(Tensor a) {
        float[] out = new float[a.data.length];
        Activations.apply(Activations.Kind.SILU_SECOND, a.data, out);
        return Tensor.result(out, a.shape, "siluSecond", g -> new Tensor[]{g.mul(siluThird(a))}, a);
    }

    /** SiLU'''(x) = p ((1 − 2σ)(3 + x(1 − 2σ)) − 2 x p) with p = σ(1−σ); composed of differentiable ops. */
    static Tensor siluThird(Tensor a) {
        Tensor s = a.sigmoid();
        Tensor p = s.sub(s.square());
        Tensor oneMinus2s = s.mul(-2f).add(1f);
        Tensor q = a.mul(oneMinus2s).add(3f);
        return p.mul(oneMinus2s.mul(q).sub(a.mul(p).mul(2f)));
    }
}
