package org.gaq.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One named tensor of a safetensors file: dtype, shape and its raw little-endian bytes.
 *
 * <p>The byte array is not copied (tensors can be large); do not modify it after handing it over.
 * The constructor checks that {@code data.length == numel(shape) * dtype size}.
 */
public record TensorEntry(String name, String dtype, long[] shape, byte[] data) {

    public TensorEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        if (name.isEmpty() || name.equals(SafeTensors.METADATA_KEY)) {
            throw new IllegalArgumentException("invalid tensor name '" + name + "'");
        }
        DType type = DType.parse(dtype).orElseThrow(() -> new IllegalArgumentException(
                "tensor '" + name + "': unsupported dtype '" + dtype + "' (supported: " + DType.supportedList() + ")"));
        shape = shape.clone();
        long numel = numel(shape, name);
        long expected = Math.multiplyExact(numel, (long) type.bytes());
        if (data.length != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.length + " bytes of data, but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + expected);
        }
    }

    /** Number of elements: the product of the shape (1 for a scalar, shape []). */
    public long numel() {
        return numel(shape, name);
    }

    /** The element type as an enum. */
    public DType type() {
        return DType.valueOf(dtype);
    }

    /** A copy of the shape (records would otherwise hand out the internal array). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    // ---- factories: Java arrays -> little-endian bytes. Without a shape, the tensor is 1-D. ----

    public static TensorEntry ofFloats(String name, float[] values, long... shape) {
        ByteBuffer buf = allocate(values.length, 4);
        buf.asFloatBuffer().put(values);
        return new TensorEntry(name, "F32", shapeOr1d(shape, values.length), buf.array());
    }

    public static TensorEntry ofDoubles(String name, double[] values, long... shape) {
        ByteBuffer buf = allocate(values.length, 8);
        buf.asDoubleBuffer().put(values);
        return new TensorEntry(name, "F64", shapeOr1d(shape, values.length), buf.array());
    }

    public static TensorEntry ofInts(String name, int[] values, long... shape) {
        ByteBuffer buf = allocate(values.length, 4);
        buf.asIntBuffer().put(values);
        return new TensorEntry(name, "I32", shapeOr1d(shape, values.length), buf.array());
    }

    public static TensorEntry ofLongs(String name, long[] values, long... shape) {
        ByteBuffer buf = allocate(values.length, 8);
        buf.asLongBuffer().put(values);
        return new TensorEntry(name, "I64", shapeOr1d(shape, values.length), buf.array());
    }

    /** Raw bytes of any dtype (already little-endian), e.g. int8 weights or packed int4 as U8. */
    public static TensorEntry ofBytes(String name, String dtype, byte[] data, long... shape) {
        int elementSize = DType.parse(dtype).map(DType::bytes).orElse(1);
        return new TensorEntry(name, dtype, shapeOr1d(shape, data.length / elementSize), data);
    }

    // ---- accessors: bytes -> Java arrays (copies). Each requires the matching dtype. ----

    public float[] asFloats() {
        requireType(DType.F32);
        float[] out = new float[data.length / 4];
        le().asFloatBuffer().get(out);
        return out;
    }

    public double[] asDoubles() {
        requireType(DType.F64);
        double[] out = new double[data.length / 8];
        le().asDoubleBuffer().get(out);
        return out;
    }

    public int[] asInts() {
        requireType(DType.I32);
        int[] out = new int[data.length / 4];
        le().asIntBuffer().get(out);
        return out;
    }

    public long[] asLongs() {
        requireType(DType.I64);
        long[] out = new long[data.length / 8];
        le().asLongBuffer().get(out);
        return out;
    }

    /** A copy of the raw bytes; for I8/U8 these are the values themselves (U8: use {@code b & 0xFF}). */
    public byte[] asBytes() {
        return data.clone();
    }

    // Arrays in records compare by identity; compare by content so round-trip tests mean something.
    @Override
    public boolean equals(Object o) {
        return o instanceof TensorEntry t && name.equals(t.name) && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "TensorEntry[" + name + ", " + dtype + ", shape " + Arrays.toString(shape) + ", " + data.length + " bytes]";
    }

    private void requireType(DType wanted) {
        if (!dtype.equals(wanted.name())) {
            throw new IllegalStateException("tensor '" + name + "' has dtype " + dtype + ", not " + wanted);
        }
    }

    private ByteBuffer le() {
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer allocate(int count, int elementSize) {
        return ByteBuffer.allocate(Math.multiplyExact(count, elementSize)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long[] shapeOr1d(long[] shape, long length) {
        return shape == null || shape.length == 0 ? new long[] {length} : shape;
    }

    static long numel(long[] shape, String name) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
