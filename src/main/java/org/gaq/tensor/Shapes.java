package org.gaq.tensor;

import org.gaq.tensor.kernels.ElementwiseKernels;

import java.util.Arrays;
import java.util.List;

/**
 * Ops that move or replicate data without arithmetic: reshape, broadcast ({@link #expand}) and its
 * adjoint ({@link #sumTo}), narrow/pad, concat, 2-D transpose. Each pair is the other's backward.
 */
public final class Shapes {
    private Shapes() {}

    /** Same data, new shape; one dimension may be -1 (inferred). Shares the array (tensors are immutable). */
    public static Tensor reshape(Tensor a, int... newShape) {
        int[] s = newShape.clone();
        int infer = -1, known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Shape.str(newShape));
                infer = i;
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || a.data.length % known != 0) {
                throw new IllegalArgumentException("reshape: cannot reshape " + Shape.str(a.shape) + " to " + Shape.str(newShape));
            }
            s[infer] = a.data.length / known;
        }
        if (Shape.size(s) != a.data.length) {
            throw new IllegalArgumentException("reshape: cannot reshape " + Shape.str(a.shape) + " (size " + a.data.length
                    + ") to " + Shape.str(newShape));
        }
        if (Arrays.equals(s, a.shape)) return a;
        int[] original = a.shape;
        return Tensor.result(a.data, s, "reshape", g -> new Tensor[]{g.reshape(original)}, a);
    }

    /** Broadcasts {@code a} to {@code shape} (materialised). Backward: {@link #sumTo}. */
    public static Tensor expand(Tensor a, int... shape) {
        int[] target = shape.clone();
        int[] check = Shape.broadcast(a.shape, target, "expand");
        if (!Arrays.equals(check, target)) {
            throw new IllegalArgumentException("expand: shape " + Shape.str(a.shape) + " cannot be expanded to " + Shape.str(target));
        }
        if (Arrays.equals(a.shape, target)) return a;
        float[] out = broadcastCopy(a.data, a.shape, target);
        int[] original = a.shape;
        return Tensor.result(out, target, "expand", g -> new Tensor[]{g.sumTo(original)}, a);
    }

    /** Materialises {@code src} (of {@code shape}) broadcast to {@code target}: contiguous runs copied, broadcast runs filled. */
    private static float[] broadcastCopy(float[] src, int[] shape, int[] target) {
        float[] out = new float[Shape.size(target)];
        int[] st = Shape.broadcastStrides(shape, target);
        int rank = target.length;
        int inner = target[rank - 1], innerStride = st[rank - 1];
        int[] idx = new int[rank];
        int off = 0;
        for (int o = 0; o < out.length; o += inner) {
            if (innerStride == 0) Arrays.fill(out, o, o + inner, src[off]);
            else System.arraycopy(src, off, out, o, inner);
            for (int d = rank - 2; d >= 0; d--) {
                idx[d]++;
                off += st[d];
                if (idx[d] < target[d]) break;
                off -= st[d] * target[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    /**
     * Sums {@code a} down to {@code shape}, the adjoint of broadcasting: axes that {@code shape} lacks
     * (leading) or has as 1 are summed. Backward: {@link #expand}.
     */
    public static Tensor sumTo(Tensor a, int... shape) {
        if (Arrays.equals(a.shape, shape)) return a;
        int[] target = shape.clone();
        int[] check = Shape.broadcast(target, a.shape, "sumTo");
        if (!Arrays.equals(check, a.shape)) {
            throw new IllegalArgumentException("sumTo: shape " + Shape.str(a.shape) + " cannot be summed to " + Shape.str(target));
        }
        float[] out = new float[Shape.size(target)];
        int[] st = Shape.broadcastStrides(target, a.shape);
        int rank = a.shape.length;
        int inner = a.shape[rank - 1], innerStride = st[rank - 1];
        int[] idx = new int[rank];
        int off = 0;
        float[] src = a.data;
        for (int o = 0; o < src.length; o += inner) {
            if (innerStride == 0) {
                float s = 0f;
                for (int k = 0; k < inner; k++) s += src[o + k];
                out[off] += s;
            } else {
                ElementwiseKernels.addTo(src, o, out, off, inner);
            }
            for (int d = rank - 2; d >= 0; d--) {
                idx[d]++;
                off += st[d];
                if (idx[d] < a.shape[d]) break;
                off -= st[d] * a.shape[d];
                idx[d] = 0;
            }
        }
        int[] original = a.shape;
        return Tensor.result(out, target, "sumTo", g -> new Tensor[]{g.expand(original)}, a);
    }

    /** The slice [start, start+length) along {@code axis}. Backward: {@link #pad}. */
    public static Tensor narrow(Tensor a, int axis, int start, int length) {
        int ax = Shape.axis(axis, a.shape.length, "narrow");
        if (start < 0 || length < 0 || start + length > a.shape[ax]) {
            throw new IllegalArgumentException("narrow: range [" + start + ", " + (start + length) + ") out of bounds for axis "
                    + ax + " of shape " + Shape.str(a.shape));
        }
        if (start == 0 && length == a.shape[ax]) return a;
        int[] outShape = a.shape.clone();
        outShape[ax] = length;
        int outer = 1;
        for (int i = 0; i < ax; i++) outer *= a.shape[i];
        int innerBlock = 1;
        for (int i = ax + 1; i < a.shape.length; i++) innerBlock *= a.shape[i];
        float[] out = new float[Shape.size(outShape)];
        int srcRow = a.shape[ax] * innerBlock, dstRow = length * innerBlock;
        for (int o = 0; o < outer; o++) {
            System.arraycopy(a.data, o * srcRow + start * innerBlock, out, o * dstRow, dstRow);
        }
        int full = a.shape[ax];
        return Tensor.result(out, outShape, "narrow", g -> new Tensor[]{pad(g, ax, start, full)}, a);
    }

    /** Places {@code a} at offset {@code start} of a zero tensor whose {@code axis} has size {@code fullLength}. */
    public static Tensor pad(Tensor a, int axis, int start, int fullLength) {
        int ax = Shape.axis(axis, a.shape.length, "pad");
        int length = a.shape[ax];
        if (start < 0 || start + length > fullLength) {
            throw new IllegalArgumentException("pad: cannot place " + length + " entries at " + start + " in an axis of " + fullLength);
        }
        int[] outShape = a.shape.clone();
        outShape[ax] = fullLength;
        int outer = 1;
        for (int i = 0; i < ax; i++) outer *= a.shape[i];
        int innerBlock = 1;
        for (int i = ax + 1; i < a.shape.length; i++) innerBlock *= a.shape[i];
        float[] out = new float[Shape.size(outShape)];
        int srcRow = length * innerBlock, dstRow = fullLength * innerBlock;
        for (int o = 0; o < outer; o++) {
            System.arraycopy(a.data, o * srcRow, out, o * dstRow + start * innerBlock, srcRow);
        }
        return Tensor.result(out, outShape, "pad", g -> new Tensor[]{narrow(g, ax, start, length)}, a);
    }

    /** Joins tensors along {@code axis}; all other dimensions must agree. */
    public static Tensor concat(List<Tensor> parts, int axis) {
        if (parts.isEmpty()) throw new IllegalArgumentException("concat: no tensors");
        Tensor first = parts.get(0);
        int ax = Shape.axis(axis, first.shape.length, "concat");
        int total = 0;
        for (Tensor t : parts) {
            if (t.shape.length != first.shape.length) {
                throw new IllegalArgumentException("concat: shapes " + Shape.str(first.shape) + " and " + Shape.str(t.shape) + " differ in rank");
            }
            for (int i = 0; i < t.shape.length; i++) {
                if (i != ax && t.shape[i] != first.shape[i]) {
                    throw new IllegalArgumentException("concat: shapes " + Shape.str(first.shape) + " and " + Shape.str(t.shape)
                            + " differ outside axis " + ax);
                }
            }
            total += t.shape[ax];
        }
        int[] outShape = first.shape.clone();
        outShape[ax] = total;
        int outer = 1;
        for (int i = 0; i < ax; i++) outer *= first.shape[i];
        int innerBlock = 1;
        for (int i = ax + 1; i < first.shape.length; i++) innerBlock *= first.shape[i];
        float[] out = new float[Shape.size(outShape)];
        int dstRow = total * innerBlock;
        int[] starts = new int[parts.size()];
        int at = 0;
        for (int p = 0; p < parts.size(); p++) {
            Tensor t = parts.get(p);
            starts[p] = at;
            int srcRow = t.shape[ax] * innerBlock;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(t.data, o * srcRow, out, o * dstRow + at * innerBlock, srcRow);
            }
            at += t.shape[ax];
        }
        Tensor[] inputs = parts.toArray(new Tensor[0]);
        return Tensor.result(out, outShape, "concat", g -> {
            Tensor[] grads = new Tensor[inputs.length];
            for (int p = 0; p < inputs.length; p++) grads[p] = narrow(g, ax, starts[p], inputs[p].shape[ax]);
            return grads;
        }, inputs);
    }

    /** Transpose of a matrix. */
    public static Tensor transpose(Tensor a) {
        Shape.requireRank(a, 2, "transpose");
        int r = a.shape[0], c = a.shape[1];
        float[] out = new float[a.data.length];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) out[j * r + i] = a.data[i * c + j];
        }
        return Tensor.result(out, new int[]{c, r}, "transpose", g -> new Tensor[]{transpose(g)}, a);
    }
}
