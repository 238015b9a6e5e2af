package org.gaq.tensor;

import java.util.Arrays;

/** Shape arithmetic and the error messages that name the op and the shapes involved. */
public final class Shape {
    private Shape() {}

    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + str(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + str(shape) + " is too large");
        return (int) n;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** Normalises a possibly negative axis and checks it is in range. */
    static int axis(int axis, int rank, String op) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " out of range for rank " + rank);
        }
        return a;
    }

    static int offset(int[] shape, int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " does not fit shape " + str(shape));
        }
        int off = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of bounds for shape " + str(shape));
            }
            off = off * shape[i] + index[i];
        }
        return off;
    }

    /** Row-major strides. */
    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** NumPy broadcasting of two shapes, or an exception naming the op and both shapes. */
    static int[] broadcast(int[] a, int[] b, String op) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)] : 1;
            int db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b) + " cannot be broadcast together");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Strides of {@code shape} as seen from a broadcast output of rank {@code rank}; broadcast dims get stride 0. */
    static int[] broadcastStrides(int[] shape, int[] outShape) {
        int rank = outShape.length;
        int[] s = new int[rank];
        int[] own = strides(shape);
        int lead = rank - shape.length;
        for (int i = 0; i < shape.length; i++) {
            s[lead + i] = shape[i] == 1 && outShape[lead + i] != 1 ? 0 : own[i];
        }
        return s;
    }

    static void requireRank(Tensor t, int rank, String op) {
        if (t.shape.length != rank) {
            throw new IllegalArgumentException(op + ": expected a rank-" + rank + " tensor, got shape " + str(t.shape));
        }
    }

    static void requireSame(Tensor a, Tensor b, String op) {
        if (!Arrays.equals(a.shape, b.shape)) {
            throw new IllegalArgumentException(op + ": shapes " + str(a.shape) + " and " + str(b.shape) + " differ");
        }
    }
}
