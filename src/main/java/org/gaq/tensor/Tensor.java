package org.gaq.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense, row-major float32 tensor, optionally a node of the autodiff graph.
 *
 * <p>Tensors are immutable once built: every operation returns a new tensor, and views such as
 * {@link #reshape} share the data array safely. A tensor that {@link #requiresGrad()} either is a
 * leaf (a parameter or an input such as atomic positions) or carries the {@link Node} that made it.
 *
 * <p>The methods here are the fluent face of the op classes ({@link Elementwise}, {@link Linalg},
 * {@link Reduce}, {@link Shapes}, {@link Index}, {@link Functional}, {@link StraightThrough}); the
 * maths and the backward rules live there.
 */
public final class Tensor {
    final float[] data;
    final int[] shape;
    private final boolean requiresGrad;
    final Node gradFn;
    private String name;

    Tensor(float[] data, int[] shape, boolean requiresGrad, Node gradFn) {
        int size = Shape.size(shape);
        if (data.length != size) {
            throw new IllegalArgumentException("data length " + data.length + " does not match shape "
                    + Shape.str(shape) + " (size " + size + ")");
        }
        this.data = data;
        this.shape = shape;
        this.requiresGrad = requiresGrad;
        this.gradFn = gradFn;
    }

    // ---------------------------------------------------------------- creation

    /** A constant (no gradient) wrapping {@code data} without copying. */
    public static Tensor of(float[] data, int... shape) {
        return new Tensor(data, shape.clone(), false, null);
    }

    /** A constant built from doubles (rounded to float). */
    public static Tensor of(double[] data, int... shape) {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        return new Tensor(f, shape.clone(), false, null);
    }

    /** A leaf that gradients are taken with respect to (a parameter or a position array). */
    public static Tensor leaf(float[] data, int... shape) {
        return new Tensor(data, shape.clone(), true, null);
    }

    public static Tensor scalar(float value) {
        return new Tensor(new float[]{value}, new int[0], false, null);
    }

    public static Tensor zeros(int... shape) {
        return new Tensor(new float[Shape.size(shape)], shape.clone(), false, null);
    }

    public static Tensor full(float value, int... shape) {
        float[] d = new float[Shape.size(shape)];
        Arrays.fill(d, value);
        return new Tensor(d, shape.clone(), false, null);
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** Standard-normal entries times {@code std}, from a seeded generator. */
    public static Tensor randn(SplittableRandom rng, float std, int... shape) {
        float[] d = new float[Shape.size(shape)];
        for (int i = 0; i < d.length; i++) d[i] = (float) (gaussian(rng) * std);
        return new Tensor(d, shape.clone(), false, null);
    }

    static double gaussian(SplittableRandom rng) {
        // Box–Muller; SplittableRandom has no nextGaussian before JDK 17's RandomGenerator default.
        double u1 = 1.0 - rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Internal: the result of an op; records {@code backward} when recording is on and an input needs it. */
    static Tensor result(float[] data, int[] shape, String op, Node.Backward backward, Tensor... inputs) {
        if (GradMode.isEnabled()) {
            for (Tensor in : inputs) {
                if (in != null && in.requiresGrad) {
                    return new Tensor(data, shape, true, new Node(op, inputs, backward));
                }
            }
        }
        return new Tensor(data, shape, false, null);
    }

    // ---------------------------------------------------------------- access

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code axis}; negative axes count from the end. */
    public int dim(int axis) {
        return shape[Shape.axis(axis, shape.length, "dim")];
    }

    public int size() {
        return data.length;
    }

    /** A copy of the values. */
    public float[] toArray() {
        return data.clone();
    }

    /** Read-only access to the values without a copy; callers must not modify the array. */
    public float[] data() {
        return data;
    }

    public float get(int... index) {
        return data[Shape.offset(shape, index)];
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (data.length != 1) {
            throw new IllegalStateException("item() needs a one-element tensor, got shape " + Shape.str(shape));
        }
        return data[0];
    }

    /**
     * The values of a leaf, for in-place updates by an optimizer or a checkpoint loader. Only
     * leaves may change in place: any other tensor may be shared by a graph.
     */
    public float[] leafData() {
        if (gradFn != null) throw new IllegalStateException("only leaf tensors can be updated in place");
        return data;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** The op that produced this tensor, or null for leaves and constants. */
    public Node gradFn() {
        return gradFn;
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    public String name() {
        return name;
    }

    public Tensor named(String name) {
        this.name = name;
        return this;
    }

    /** The same values, cut from the graph (no gradient flows through). */
    public Tensor detach() {
        return new Tensor(data, shape, false, null);
    }

    /** A new leaf with a copy of the values, for use as a trainable parameter. */
    public Tensor asLeaf() {
        return new Tensor(data.clone(), shape, true, null);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Shape.str(shape));
        if (gradFn != null) sb.append(" grad_fn=").append(gradFn.op);
        else if (requiresGrad) sb.append(" leaf");
        sb.append(' ');
        int n = Math.min(data.length, 8);
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(", ");
            sb.append(data[i]);
        }
        if (data.length > n) sb.append(", ...");
        return sb.append(']').toString();
    }

    // ---------------------------------------------------------------- fluent ops

    public Tensor add(Tensor o) { return Elementwise.add(this, o); }
    public Tensor sub(Tensor o) { return Elementwise.sub(this, o); }
    public Tensor mul(Tensor o) { return Elementwise.mul(this, o); }
    public Tensor div(Tensor o) { return Elementwise.div(this, o); }
    public Tensor add(float c) { return Elementwise.addScalar(this, c); }
    public Tensor mul(float c) { return Elementwise.mulScalar(this, c); }
    public Tensor neg() { return Elementwise.mulScalar(this, -1f); }
    public Tensor exp() { return Elementwise.exp(this); }
    public Tensor log() { return Elementwise.log(this); }
    public Tensor sqrt() { return Elementwise.sqrt(this); }
    public Tensor rsqrt() { return Elementwise.pow(this, -0.5f); }
    public Tensor square() { return Elementwise.square(this); }
    public Tensor pow(float p) { return Elementwise.pow(this, p); }
    public Tensor sin() { return Elementwise.sin(this); }
    public Tensor cos() { return Elementwise.cos(this); }
    public Tensor tanh() { return Elementwise.tanh(this); }
    public Tensor sigmoid() { return Elementwise.sigmoid(this); }
    public Tensor silu() { return Elementwise.silu(this); }

    public Tensor matmul(Tensor o) { return Linalg.matmul(this, o); }

    public Tensor sum() { return Reduce.sumAll(this); }
    public Tensor sum(int axis, boolean keepDim) { return Reduce.sum(this, axis, keepDim); }
    public Tensor mean() { return Reduce.meanAll(this); }
    public Tensor mean(int axis, boolean keepDim) { return Reduce.mean(this, axis, keepDim); }

    public Tensor reshape(int... newShape) { return Shapes.reshape(this, newShape); }
    public Tensor expand(int... newShape) { return Shapes.expand(this, newShape); }
    public Tensor sumTo(int... newShape) { return Shapes.sumTo(this, newShape); }
    public Tensor narrow(int axis, int start, int length) { return Shapes.narrow(this, axis, start, length); }
    public Tensor transpose() { return Shapes.transpose(this); }

    public Tensor gatherRows(int[] index) { return Index.gatherRows(this, index); }
    public Tensor indexAdd(int[] index, int numRows) { return Index.indexAdd(this, index, numRows); }
}
