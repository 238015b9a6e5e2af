package org.gaq.engine.kernels;

/**
 * int8 weights W[k×m] prepared for {@link Int8Gemm#multiply}: immutable, shared by every implementation.
 *
 * <p>Layouts held:
 * <ul>
 *   <li>{@link #codes()}: a copy of w, row-major [k×m] (the plain kernels read this);</li>
 *   <li>the "quad" layout for the native kernels: {@code packed[((q·mPad) + j)·4 + r] = w[4q + r][j]}, with
 *       k padded to {@link #kPad()} (a multiple of 64) and m to {@link #mPad()} (a multiple of 16), zeros in
 *       the padding. Four consecutive k of one column form one 32-bit lane, which is what AVX-512 VNNI's
 *       vpdpbusd multiplies into a lane and, read 16 quads × 16 columns at a time, exactly AMX's B-tile
 *       layout: one layout serves both, and the padding lets them load whole vectors and tiles;</li>
 *   <li>{@link #columnSums()}: Σ_k w[k][j], padded with zeros to mPad. VNNI multiplies unsigned by signed
 *       bytes, so it feeds a + 128 and subtracts 128·Σ_k w[k][j];</li>
 *   <li>float and int32 copies of the rows for the Java Vector API kernel, made on first use.</li>
 * </ul>
 */
public final class PreparedInt8 {

    /** k values per 32-bit lane in the quad layout. */
    static final int QUAD = 4;
    /** k is padded to a multiple of this: one AMX tile product covers 64 k. */
    static final int K_ALIGN = 64;
    /** m is padded to a multiple of this: 16 int32 lanes in a 512-bit vector, or columns in an AMX tile. */
    static final int M_ALIGN = 16;

    private final int k;
    private final int m;
    private final byte[] codes;
    private final byte[] packed;
    private final int[] columnSums;
    private volatile WidenedRows widened;
    private volatile FloatRows floats;

    private PreparedInt8(int k, int m, byte[] codes) {
        this.k = k;
        this.m = m;
        this.codes = codes;
        this.packed = packQuads(codes, k, m);
        this.columnSums = new int[mPad()];
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < m; j++) columnSums[j] += codes[p * m + j];
        }
    }

    /** Prepares the first k·m elements of w, row-major [k×m]. */
    public static PreparedInt8 of(byte[] w, int k, int m) {
        checkWeightShape("prepare", k, m);
        if (w == null) throw new IllegalArgumentException("prepare: weights are null");
        if (w.length < (long) k * m) {
            throw new IllegalArgumentException("prepare: weights [" + k + "×" + m + "] need " + (long) k * m
                    + " codes, the array has " + w.length);
        }
        return new PreparedInt8(k, m, java.util.Arrays.copyOf(w, k * m));
    }

    static void checkWeightShape(String op, int k, int m) {
        if (k < 1 || m < 1) throw new IllegalArgumentException(op + ": k and m must be ≥ 1, got k = " + k + ", m = " + m);
        if ((long) roundUp(k, K_ALIGN) * roundUp(m, M_ALIGN) > Integer.MAX_VALUE / 2) {   // room for widened padding too
            throw new IllegalArgumentException(op + ": weights [" + k + "×" + m + "] are too large");
        }
    }

    /** The quad layout described in the class comment. */
    static byte[] packQuads(byte[] codes, int k, int m) {
        int mPad = roundUp(m, M_ALIGN);
        byte[] packed = new byte[roundUp(k, K_ALIGN) * mPad];
        for (int p = 0; p < k; p++) {
            int q = p / QUAD, r = p % QUAD;
            for (int j = 0; j < m; j++) packed[(q * mPad + j) * QUAD + r] = codes[p * m + j];
        }
        return packed;
    }

    static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    public int k() {
        return k;
    }

    public int m() {
        return m;
    }

    /** k rounded up to a multiple of 64: the quad layout's padded depth. */
    public int kPad() {
        return roundUp(k, K_ALIGN);
    }

    /** m rounded up to a multiple of 16: the quad layout's padded width. */
    public int mPad() {
        return roundUp(m, M_ALIGN);
    }

    /** The weights row-major [k×m] (the array itself: do not modify). */
    byte[] codes() {
        return codes;
    }

    /** The quad layout, kPad·mPad bytes (the array itself: do not modify). */
    byte[] packed() {
        return packed;
    }

    /** Σ_k w[k][j] for j < mPad (the array itself: do not modify). */
    int[] columnSums() {
        return columnSums;
    }

    /** w widened to int, rows padded with zeros to a multiple of {@code columnMultiple} columns; cached. */
    int[] widened(int columnMultiple) {
        WidenedRows cached = widened;
        if (cached == null || cached.columnMultiple != columnMultiple) {
            cached = new WidenedRows(columnMultiple, widen(codes, k, m, roundUp(m, columnMultiple)));
            widened = cached;   // a benign race: two threads may both build the same array
        }
        return cached.values;
    }

    /** w converted to float (exactly), rows padded with zeros to a multiple of {@code columnMultiple}; cached. */
    float[] widenedFloats(int columnMultiple) {
        FloatRows cached = floats;
        if (cached == null || cached.columnMultiple != columnMultiple) {
            int width = roundUp(m, columnMultiple);
            float[] values = new float[k * width];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < m; j++) values[p * width + j] = codes[p * m + j];
            }
            cached = new FloatRows(columnMultiple, values);
            floats = cached;    // benign race, as above
        }
        return cached.values;
    }

    static int[] widen(byte[] codes, int k, int m, int width) {
        int[] values = new int[k * width];
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < m; j++) values[p * width + j] = codes[p * m + j];
        }
        return values;
    }

    private record WidenedRows(int columnMultiple, int[] values) {
    }

    private record FloatRows(int columnMultiple, float[] values) {
    }
}
