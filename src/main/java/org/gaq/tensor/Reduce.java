package org.gaq.tensor;

/** Sums and means, over everything or one axis; built on {@link Shapes#sumTo} so their backward is a broadcast. */
public final class Reduce {
    private Reduce() {}

    /** Sum of all entries, as a rank-0 tensor. */
    public static Tensor sumAll(Tensor a) {
        double s = 0;
        for (float v : a.data) s += v;   // double accumulator: losses sum many small terms
        int[] original = a.shape;
        return Tensor.result(new float[]{(float) s}, new int[0], "sum", g -> new Tensor[]{g.expand(original)}, a);
    }

    public static Tensor meanAll(Tensor a) {
        return sumAll(a).mul(1f / a.data.length);
    }

    /** Sum over {@code axis}; with {@code keepDim} that axis stays with size 1. */
    public static Tensor sum(Tensor a, int axis, boolean keepDim) {
        int ax = Shape.axis(axis, a.shape.length, "sum");
        int[] kept = a.shape.clone();
        kept[ax] = 1;
        Tensor s = Shapes.sumTo(a, kept);
        if (keepDim) return s;
        int[] dropped = new int[a.shape.length - 1];
        for (int i = 0, j = 0; i < a.shape.length; i++) if (i != ax) dropped[j++] = a.shape[i];
        return s.reshape(dropped);
    }

    public static Tensor mean(Tensor a, int axis, boolean keepDim) {
        int n = a.shape[Shape.axis(axis, a.shape.length, "mean")];
        return sum(a, axis, keepDim).mul(1f / n);
    }
}
