package org.gaq.engine.kernels;

/**
 * int8 weights W[k×m] prepared for {@link Int8Gemm#multiply}: immutable, shared by every implementation.
 *
 * <p>Layouts held:
 * <ul>
 *   <li>the "quad" layout, the only copy of the codes: {@code packed[((q·mPad) + j)·4 + r] = w[4q + r][j]},
 *       with k padded to {@link #kPad()} (a multiple of 4) and m to {@link #mPad()} (a multiple of 16), zeros
 *       in the padding. Four consecutive k of one column form one 32-bit lane, which is what AVX-512 VNNI's
 *       vpdpbusd multiplies into a lane and, read 16 quads × 16 columns at a time, exactly AMX's B-tile
 *       layout (the AMX kernel copies a last, partial block of 16 quads into a zeroed buffer). The plain
 *       kernels and {@link #code}/{@link #dequantizeInto} read the codes out of it;</li>
 *   <li>{@link #columnSums()}: Σ_k w[k][j], padded with zeros to mPad. VNNI multiplies unsigned by signed
 *       bytes, so it feeds a + 128 and subtracts 128·Σ_k w[k][j];</li>
 *   <li>float and int32 copies of the rows for the Java Vector API kernel, made on first use by that kernel
 *       only (they are 4× the codes; {@link #residentBytes()} counts them once they exist).</li>
 * </ul>
 */
public final class PreparedInt8 {

    /** k values per 32-bit lane in the quad layout; k is padded to a multiple of this. */
    static final int QUAD = 4;
    /** m is padded to a multiple of this: 16 int32 lanes in a 512-bit vector, or columns in an AMX tile. */
    static final int M_ALIGN = 16;

    private final int k;
    private final int m;
    private final byte[] packed;
    private final int[] columnSums;
    private volatile WidenedRows widened;
    private volatile FloatRows floats;

    private PreparedInt8(int k, int m, byte[] codes) {
        this.k = k;
        this.m = m;
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
        return new PreparedInt8(k, m, w);
    }

    static void checkWeightShape(String op, int k, int m) {
        if (k < 1 || m < 1) throw new IllegalArgumentException(op + ": k and m must be ≥ 1, got k = " + k + ", m = " + m);
        if ((long) roundUp(k, 64) * roundUp(m, M_ALIGN) > Integer.MAX_VALUE / 2) {   // room for widened padding too
            throw new IllegalArgumentException(op + ": weights [" + k + "×" + m + "] are too large");
        }
    }

    /** The quad layout described in the class comment. */
    static byte[] packQuads(byte[] codes, int k, int m) {
        int mPad = roundUp(m, M_ALIGN);
        byte[] packed = new byte[roundUp(k, QUAD) * mPad];
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

    /** k rounded up to a multiple of 4: the quad layout's padded depth. */
    public int kPad() {
        return roundUp(k, QUAD);
    }

    /** m rounded up to a multiple of 16: the quad layout's padded width. */
    public int mPad() {
        return roundUp(m, M_ALIGN);
    }

    /** w[p][j], read out of the quad layout. */
    public byte code(int p, int j) {
        return packed[((p >> 2) * mPad() + j) * QUAD + (p & 3)];
    }

    /**
     * dst[p·stride + offset + j] = w[p][j] · scales[scaleOffset + j] for p < k, j < m: the weights
     * dequantized with one scale per column (int8 per output channel), written into a wider float matrix.
     */
    public void dequantizeInto(float[] dst, int stride, int offset, float[] scales, int scaleOffset) {
        int mPad = mPad();
        for (int p = 0; p < k; p++) {
            int base = (p >> 2) * mPad * QUAD + (p & 3), row = p * stride + offset;
            for (int j = 0; j < m; j++) dst[row + j] = packed[base + j * QUAD] * scales[scaleOffset + j];
        }
    }

    /** Bytes held: the quad layout, the column sums and, once a Java kernel made them, its widened rows. */
    public long residentBytes() {
        long bytes = packed.length + 4L * columnSums.length;
        WidenedRows w = widened;
        if (w != null) bytes += 4L * w.values.length;
        FloatRows f = floats;
        if (f != null) bytes += 4L * f.values.length;
        return bytes;
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
            int width = roundUp(m, columnMultiple);
            int[] values = new int[k * width];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < m; j++) values[p * width + j] = code(p, j);
            }
            cached = new WidenedRows(columnMultiple, values);
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
                for (int j = 0; j < m; j++) values[p * width + j] = code(p, j);
            }
            cached = new FloatRows(columnMultiple, values);
            floats = cached;    // benign race, as above
        }
        return cached.values;
    }

    private record WidenedRows(int columnMultiple, int[] values) {
    }

    private record FloatRows(int columnMultiple, float[] values) {
    }
}
