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
 * <p>The products run in FP32 fused multiply-adds, which is exact here: codes are integers of magnitude
 * ≤ 128, so every partial sum is an integer of magnitude ≤ 128·128·k, and integers up to 2^24 are floats
 * exactly. So for k ≤ {@link #FLOAT_EXACT_K} the float kernel gives the int32 result bit for bit, at FP32
 * speed: C2 emits no VNNI dot products for byte vectors, and an int32 multiply (vpmulld) costs two
 * uops where an FMA costs one (docs/performance.md, "Integer kernels").
 * Larger k falls back to int32 vectors. For int4 the integer dot of a group (32 products, ≤ 2^15) is
 * exact in float for every k, and the group sums then follow the contract's fma order.
 *
 * <p>Tiles: 4 rows × 4 vectors of outputs in 16 accumulators (as {@link org.gaq.tensor.kernels.SimdMatmul}),
 * 1-vector tiles for the column tail; int4 2 rows × 2 vectors, with a group's dot products and the
 * float accumulators both in registers (a 4-row int4 tile with 16 accumulators ran slower).
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
    /** Float vectors per row of the main FP32 tile. */
    private static final int FLOAT_TILE_VECS = 4;

    /**
     * Largest k for which the FP32 kernel is exact: 128·128·k ≤ 2^24. (The model's k is 16 to 192.)
     */
    static final int FLOAT_EXACT_K = 1 << 10;

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
        if (k <= FLOAT_EXACT_K) {
            floatProduct(a, aOffset, rows, k, w, c, cOffset);
        } else {
            intProduct(a, aOffset, rows, k, w, c, cOffset);
        }
    }

    // ---- int8 in FP32 (exact for k ≤ FLOAT_EXACT_K) ----

    private static void floatProduct(byte[] a, int aOffset, int rows, int k, PreparedInt8 w, int[] c, int cOffset) {
        int m = w.m();
        int width = PreparedInt8.roundUp(m, LANES);
        float[] wf = w.widenedFloats(LANES);
        int j = 0;
        for (; j + FLOAT_TILE_VECS * LANES <= width; j += FLOAT_TILE_VECS * LANES) {
            int i = 0;
            for (; i + TILE_ROWS <= rows; i += TILE_ROWS) {
                floatTile4x4(a, aOffset + i * k, k, wf, width, j, c, cOffset + i * m, m);
            }
            for (; i < rows; i++) {
                floatTile1x4(a, aOffset + i * k, k, wf, width, j, c, cOffset + i * m, m);
            }
        }
        for (; j < width; j += LANES) {
            int i = 0;
            for (; i + TILE_ROWS <= rows; i += TILE_ROWS) {
                floatTile4x1(a, aOffset + i * k, k, wf, width, j, c, cOffset + i * m, m);
            }
            for (; i < rows; i++) {
                floatTile1x1(a, aOffset + i * k, k, wf, width, j, c, cOffset + i * m, m);
            }
        }
    }

    private static void floatTile4x4(byte[] a, int a0, int k, float[] wf, int width, int j, int[] c, int row, int m) {
        FloatVector c00 = FloatVector.zero(FLOATS), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (int p = 0; p < k; p++) {
            int wp = p * width + j;
            FloatVector w0 = FloatVector.fromArray(FLOATS, wf, wp);
            FloatVector w1 = FloatVector.fromArray(FLOATS, wf, wp + LANES);
            FloatVector w2 = FloatVector.fromArray(FLOATS, wf, wp + 2 * LANES);
            FloatVector w3 = FloatVector.fromArray(FLOATS, wf, wp + 3 * LANES);
            FloatVector x0 = FloatVector.broadcast(FLOATS, (float) a[a0 + p]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(FLOATS, (float) a[a1 + p]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
            FloatVector x2 = FloatVector.broadcast(FLOATS, (float) a[a2 + p]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
            FloatVector x3 = FloatVector.broadcast(FLOATS, (float) a[a3 + p]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
        }
        storeRow4(c00, c01, c02, c03, c, row, j, m);
        storeRow4(c10, c11, c12, c13, c, row + m, j, m);
        storeRow4(c20, c21, c22, c23, c, row + 2 * m, j, m);
        storeRow4(c30, c31, c32, c33, c, row + 3 * m, j, m);
    }

    private static void floatTile1x4(byte[] a, int a0, int k, float[] wf, int width, int j, int[] c, int row, int m) {
        FloatVector c0 = FloatVector.zero(FLOATS), c1 = c0, c2 = c0, c3 = c0;
        for (int p = 0; p < k; p++) {
            int wp = p * width + j;
            FloatVector x = FloatVector.broadcast(FLOATS, (float) a[a0 + p]);
            c0 = x.fma(FloatVector.fromArray(FLOATS, wf, wp), c0);
            c1 = x.fma(FloatVector.fromArray(FLOATS, wf, wp + LANES), c1);
            c2 = x.fma(FloatVector.fromArray(FLOATS, wf, wp + 2 * LANES), c2);
            c3 = x.fma(FloatVector.fromArray(FLOATS, wf, wp + 3 * LANES), c3);
        }
        storeRow4(c0, c1, c2, c3, c, row, j, m);
    }

    /** Column tail (m not a multiple of 4 vectors): one vector per row. */
    private static void floatTile4x1(byte[] a, int a0, int k, float[] wf, int width, int j, int[] c, int row, int m) {
        FloatVector c0 = FloatVector.zero(FLOATS), c1 = c0, c2 = c0, c3 = c0;
        int a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (int p = 0; p < k; p++) {
            FloatVector wv = FloatVector.fromArray(FLOATS, wf, p * width + j);
            c0 = FloatVector.broadcast(FLOATS, (float) a[a0 + p]).fma(wv, c0);
            c1 = FloatVector.broadcast(FLOATS, (float) a[a1 + p]).fma(wv, c1);
            c2 = FloatVector.broadcast(FLOATS, (float) a[a2 + p]).fma(wv, c2);
            c3 = FloatVector.broadcast(FLOATS, (float) a[a3 + p]).fma(wv, c3);
        }
        storeInts(c0, c, row + j, j, m);
        storeInts(c1, c, row + m + j, j, m);
        storeInts(c2, c, row + 2 * m + j, j, m);
        storeInts(c3, c, row + 3 * m + j, j, m);
    }

    private static void floatTile1x1(byte[] a, int a0, int k, float[] wf, int width, int j, int[] c, int row, int m) {
        FloatVector c0 = FloatVector.zero(FLOATS);
        for (int p = 0; p < k; p++) {
            c0 = FloatVector.broadcast(FLOATS, (float) a[a0 + p]).fma(FloatVector.fromArray(FLOATS, wf, p * width + j), c0);
        }
        storeInts(c0, c, row + j, j, m);
    }

    private static void storeRow4(FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3,
                                  int[] c, int row, int j, int m) {
        storeInts(v0, c, row + j, j, m);
        storeInts(v1, c, row + j + LANES, j + LANES, m);
        storeInts(v2, c, row + j + 2 * LANES, j + 2 * LANES, m);
        storeInts(v3, c, row + j + 3 * LANES, j + 3 * LANES, m);
    }

    /**
     * The (integer-valued) floats of columns [column, column + LANES) as int32, masked at column m.
     * convertShape with the int species given, not convert(F2I, 0): the latter looks the result species up
     * at run time, which slows the whole kernel several times (docs/performance.md, "Integer kernels").
     */
    private static void storeInts(FloatVector v, int[] c, int offset, int column, int m) {
        IntVector ints = (IntVector) v.convertShape(VectorOperators.F2I, INTS, 0);
        if (column + LANES <= m) {
            ints.intoArray(c, offset);
        } else {
            ints.intoArray(c, offset, INTS.indexInRange(column, m));
        }
    }

    // ---- int8 in int32 vectors (any k) ----

    private static void intProduct(byte[] a, int aOffset, int rows, int k, PreparedInt8 w, int[] c, int cOffset) {
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
        float[] wide = w.widenedFloats(TILE_COLS);
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
     * One or two rows × 2 vectors of int4 outputs. Per group: the dot products (exact integers in float),
     * then acc = fma(scale, dot, acc), the contract's order. The scales are read masked to column m (they
     * are padded to 16 columns, the tile is 2 vectors wide).
     */
    private static void int4Tile(byte[] a, int a0, int k, boolean twoRows, PreparedInt4 w, float[] wide, int width,
                                 int j, float[] out, int o0, int m,
                                 VectorMask<Float> left, VectorMask<Float> right) {
        float[] scales = w.scales();
        int mPad = w.mPad();
        int a1 = twoRows ? a0 + k : a0;   // one row: the second row repeats the first and is not stored
        FloatVector f00 = FloatVector.zero(FLOATS), f01 = f00, f10 = f00, f11 = f00;
        for (int g = 0; g < w.groups(); g++) {
            FloatVector d00 = FloatVector.zero(FLOATS), d01 = d00, d10 = d00, d11 = d00;
            for (int p = g * PreparedInt4.GROUP_SIZE; p < (g + 1) * PreparedInt4.GROUP_SIZE; p++) {
                int wp = p * width + j;
                FloatVector w0 = FloatVector.fromArray(FLOATS, wide, wp);
                FloatVector w1 = FloatVector.fromArray(FLOATS, wide, wp + LANES);
                FloatVector x0 = FloatVector.broadcast(FLOATS, (float) a[a0 + p]);
                d00 = x0.fma(w0, d00); d01 = x0.fma(w1, d01);
                FloatVector x1 = FloatVector.broadcast(FLOATS, (float) a[a1 + p]);
                d10 = x1.fma(w0, d10); d11 = x1.fma(w1, d11);
            }
            int s = g * mPad + j;
            FloatVector s0 = FloatVector.fromArray(FLOATS, scales, s, left);
            FloatVector s1 = FloatVector.fromArray(FLOATS, scales, s + LANES, right);
            f00 = s0.fma(d00, f00); f01 = s1.fma(d01, f01);
            f10 = s0.fma(d10, f10); f11 = s1.fma(d11, f11);
        }
        f00.intoArray(out, o0, left); f01.intoArray(out, o0 + LANES, right);
        if (twoRows) {
            f10.intoArray(out, o0 + m, left); f11.intoArray(out, o0 + m + LANES, right);
        }
    }
}
