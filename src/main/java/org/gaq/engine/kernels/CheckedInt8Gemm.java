package org.gaq.engine.kernels;

/**
 * Base of every {@link Int8Gemm}: checks the arguments of a product in Java, then hands the checked call
 * to the kernel. The native kernels trust their arguments, so this is what makes an out-of-bounds read or
 * write impossible: nothing reaches them that does not fit the arrays.
 */
abstract class CheckedInt8Gemm implements Int8Gemm {

    @Override
    public final void multiply(byte[] a, int aOffset, int rows, int k, PreparedInt8 w, int[] c, int cOffset) {
        if (w == null) throw new IllegalArgumentException("multiply: weights are null");
        if (c == null) throw new IllegalArgumentException("multiply: output array c is null");
        checkRows("multiply", a, aOffset, rows, k, w.k());
        checkOutput("multiply", "c", c.length, cOffset, rows, w.m());
        if (rows > 0) multiplyChecked(a, aOffset, rows, k, w, c, cOffset);
    }

    @Override
    public final void multiplyInt4(byte[] a, int aOffset, int rows, int k, PreparedInt4 w, float[] out, int outOffset) {
        if (w == null) throw new IllegalArgumentException("multiplyInt4: weights are null");
        if (out == null) throw new IllegalArgumentException("multiplyInt4: output array out is null");
        checkRows("multiplyInt4", a, aOffset, rows, k, w.k());
        checkOutput("multiplyInt4", "out", out.length, outOffset, rows, w.m());
        if (rows > 0) multiplyInt4Checked(a, aOffset, rows, k, w, out, outOffset);
    }

    @Override
    public String toString() {
        return name();
    }

    /** {@link #multiply} after the checks; rows ≥ 1. */
    abstract void multiplyChecked(byte[] a, int aOffset, int rows, int k, PreparedInt8 w, int[] c, int cOffset);

    /** {@link #multiplyInt4} after the checks; rows ≥ 1. */
    abstract void multiplyInt4Checked(byte[] a, int aOffset, int rows, int k, PreparedInt4 w, float[] out, int outOffset);

    private static void checkRows(String op, byte[] a, int aOffset, int rows, int k, int weightK) {
        if (a == null) throw new IllegalArgumentException(op + ": activation array a is null");
        if (k != weightK) {
            throw new IllegalArgumentException(op + ": k mismatch: a has k = " + k
                    + " but the weights were prepared with k = " + weightK);
        }
        if (rows < 0) throw new IllegalArgumentException(op + ": rows must be ≥ 0, got " + rows);
        if (aOffset < 0) throw new IllegalArgumentException(op + ": aOffset must be ≥ 0, got " + aOffset);
        long end = aOffset + (long) rows * k;
        if (end > a.length) {
            throw new IllegalArgumentException(op + ": a is too short: " + rows + " rows × k = " + k + " from aOffset "
                    + aOffset + " need " + end + " elements, the array has " + a.length);
        }
    }

    private static void checkOutput(String op, String name, int length, int offset, int rows, int m) {
        if (offset < 0) throw new IllegalArgumentException(op + ": " + name + "Offset must be ≥ 0, got " + offset);
        long end = offset + (long) rows * m;
        if (end > length) {
            throw new IllegalArgumentException(op + ": " + name + " is too short: " + rows + " rows × m = " + m
                    + " from " + name + "Offset " + offset + " need " + end + " elements, the array has " + length);
        }
    }
}
