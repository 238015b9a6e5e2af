package org.gaq.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Int8Gemm} on the Java Vector API: the fallback when the native library is absent. Load it only
 * when {@code jdk.incubator.vector} is in the boot layer ({@link Int8Kernels} checks).
 *
 * <p>The weights are read widened to int32 (made once per prepared matrix), so the inner step is a
 * broadcast activation times a vector of weights added into int32 accumulators. C2 emits no VNNI dot
 * products for byte vectors, and byte→int conversions in the inner loop measured slower than reading
 * int32 weights; this reaches roughly half the FP32 kernel's speed (see docs/performance.md), which is
 * why the native kernels exist.
 *
 * <p>Tiles: 4 rows × 2 vectors of int8 outputs (8 accumulators, each weight load used 4 times); for int4
 * 2 rows × 2 vectors, with a group's integer sums and the float accumulators both in registers.
 */
public final class JavaInt8Gemm extends CheckedInt8Gemm {

    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    /** Floats of the same vector shape, so a converted int vector lines up lane for lane. */
    private static final VectorSpecies<Float> FLOATS = VectorSpecies.of(float.class, INTS.vectorShape());
    private static final int LANES = INTS.length();
    /** Output columns per tile; the widened weights are padded to a multiple of this. */
    private static final int TILE_COLS = 2 * LANES;
    private static final int TILE_ROWS = 4;
    private static final int INT4_TILE_ROWS = 2;

    @Override
    public String name() {
        return "java-vector";
    }

    /** Vector shape in use, e.g. "512-bit, 16 int lanes". */
    public static String describe() {
        return INTS.vectorBitSize() + "-bit, " + LANES + " int lanes";
    }

    @Override
    void multiplyChecked(byte[] a, int aOffset, int rows, int k, PreparedInt8 w, int[] c, int cOffset) {
        int m = w.m();
        int width = PreparedInt8.roundUp(m, TILE_COLS);
        int[] wide = w.widened(TILE_COLS);
        for (int j = 0; j < width; j += TILE_COLS) {
            VectorMask<Integer> left = INTS.indexInRange(j, m);
            VectorMask<Integer> right = INTS.indexInRange(j + LANES, m);
            int i = 0;
            for (; i + TILE_ROWS <= rows; i += TILE_ROWS) {
                tile4x2(a, aOffset + i * k, k, wide, width, j, c, cOffset + i * m + j, m, left, right);
            }
            for (; i < rows; i++) {
                tile1x2(a, aOffset + i * k, k, wide, width, j, c, cOffset + i * m + j, left, right);
            }
        }
    }

    private static void tile4x2(byte[] a, int a0, int k, int[] wide, int width, int j, int[] c, int out, int m,
                                VectorMask<Integer> left, VectorMask<Integer> right) {
        IntVector c00 = IntVector.zero(INTS), c01 = c00, c10 = c00, c11 = c00;
        IntVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (int p = 0; p < k; p++) {
            int wp = p * width + j;
            IntVector w0 = IntVector.fromArray(INTS, wide, wp);
            IntVector w1 = IntVector.fromArray(INTS, wide, wp + LANES);
            IntVector x0 = IntVector.broadcast(INTS, a[a0 + p]);
            c00 = c00.add(x0.mul(w0)); c01 = c01.add(x0.mul(w1));
            IntVector x1 = IntVector.broadcast(INTS, a[a1 + p]);
            c10 = c10.add(x1.mul(w0)); c11 = c11.add(x1.mul(w1));
            IntVector x2 = IntVector.broadcast(INTS, a[a2 + p]);
            c20 = c20.add(x2.mul(w0)); c21 = c21.add(x2.mul(w1));
            IntVector x3 = IntVector.broadcast(INTS, a[a3 + p]);
            c30 = c30.add(x3.mul(w0)); c31 = c31.add(x3.mul(w1));
        }
        store(c00, c01, c, out, left, right);
        store(c10, c11, c, out + m, left, right);
        store(c20, c21, c, out + 2 * m, left, right);
        store(c30, c31, c, out + 3 * m, left, right);
    }

    private static void tile1x2(byte[] a, int a0, int k, int[] wide, int width, int j, int[] c, int out,
                                VectorMask<Integer> left, VectorMask<Integer> right) {
        IntVector c0 = IntVector.zero(INTS), c1 = c0;
        for (int p = 0; p < k; p++) {
            int wp = p * width + j;
            IntVector x = IntVector.broadcast(INTS, a[a0 + p]);
            c0 = c0.add(x.mul(IntVector.fromArray(INTS, wide, wp)));
            c1 = c1.add(x.mul(IntVector.fromArray(INTS, wide, wp + LANES)));
        }
        store(c0, c1, c, out, left, right);
    }

    /** Two vectors of one output row; masked only in the last column tile (m not a multiple of the tile). */
    private static void store(IntVector v0, IntVector v1, int[] c, int out,
                              VectorMask<Integer> left, VectorMask<Integer> right) {
        if (right.allTrue()) {
            v0.intoArray(c, out);
            v1.intoArray(c, out + LANES);
        } else {
            v0.intoArray(c, out, left);
            v1.intoArray(c, out + LANES, right);
        }
    }

    @Override
    void multiplyInt4Checked(byte[] a, int aOffset, int rows, int k, PreparedInt4 w, float[] out, int outOffset) {
        int m = w.m();
        int width = PreparedInt8.roundUp(m, TILE_COLS);
        int[] wide = w.codes().widened(TILE_COLS);
        for (int j = 0; j < width; j += TILE_COLS) {
            VectorMask<Float> left = FLOATS.indexInRange(j, m);
            VectorMask<Float> right = FLOATS.indexInRange(j + LANES, m);
            int i = 0;
            for (; i + INT4_TILE_ROWS <= rows; i += INT4_TILE_ROWS) {
                int4Tile(a, aOffset + i * k, k, true, w, wide, width, j, out, outOffset + i * m + j, m, left, right);
            }
            for (; i < rows; i++) {
                int4Tile(a, aOffset + i * k, k, false, w, wide, width, j, out, outOffset + i * m + j, m, left, right);
            }
        }
    }

    /**
     * One or two rows × 2 vectors of int4 outputs. Per group: integer dot products in int32 vectors, then
     * acc = fma(scale, (float) dot, acc), the contract's order. The scales are read masked to column m
     * (they are padded to 16 columns, the tile is 2 vectors wide).
     */
    private static void int4Tile(byte[] a, int a0, int k, boolean twoRows, PreparedInt4 w, int[] wide, int width,
                                 int j, float[] out, int o0, int m,
                                 VectorMask<Float> left, VectorMask<Float> right) {
        float[] scales = w.scales();
        int mPad = w.codes().mPad();
        int a1 = twoRows ? a0 + k : a0;   // one row: the second row repeats the first and is not stored
        FloatVector f00 = FloatVector.zero(FLOATS), f01 = f00, f10 = f00, f11 = f00;
        for (int g = 0; g < w.groups(); g++) {
            IntVector d00 = IntVector.zero(INTS), d01 = d00, d10 = d00, d11 = d00;
            for (int p = g * PreparedInt4.GROUP_SIZE; p < (g + 1) * PreparedInt4.GROUP_SIZE; p++) {
                int wp = p * width + j;
                IntVector w0 = IntVector.fromArray(INTS, wide, wp);
                IntVector w1 = IntVector.fromArray(INTS, wide, wp + LANES);
                IntVector x0 = IntVector.broadcast(INTS, a[a0 + p]);
                d00 = d00.add(x0.mul(w0)); d01 = d01.add(x0.mul(w1));
                IntVector x1 = IntVector.broadcast(INTS, a[a1 + p]);
                d10 = d10.add(x1.mul(w0)); d11 = d11.add(x1.mul(w1));
            }
            int s = g * mPad + j;
            FloatVector s0 = FloatVector.fromArray(FLOATS, scales, s, left);
            FloatVector s1 = FloatVector.fromArray(FLOATS, scales, s + LANES, right);
            f00 = s0.fma(toFloat(d00), f00); f01 = s1.fma(toFloat(d01), f01);
            f10 = s0.fma(toFloat(d10), f10); f11 = s1.fma(toFloat(d11), f11);
        }
        f00.intoArray(out, o0, left); f01.intoArray(out, o0 + LANES, right);
        if (twoRows) {
            f10.intoArray(out, o0 + m, left); f11.intoArray(out, o0 + m + LANES, right);
        }
    }

    private static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }
}
