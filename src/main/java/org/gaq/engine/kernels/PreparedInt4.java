package org.gaq.engine.kernels;

import org.gaq.quant.WeightQuantizer;
import java.util.Arrays;

/**
 * int4 weights prepared for {@link Int8Gemm#multiplyInt4}: codes q[k×m] in groups of {@link #GROUP_SIZE}
 * along k, each group and column with its own float scale. Immutable, shared by every implementation.
 *
 * <p>The codes stay packed two per byte, and this is their only copy in memory: the "nibble quad" layout,
 * {@link PreparedInt8}'s quad layout with two quads per byte lane,
 * <pre>
 *   packed[((q/2 · mPad) + j) · 4 + r] = u[4q + r][j]   low nibble for even q, high nibble for odd q
 * </pre>
 * in offset binary u = q + 8 ∈ [0, 15], m padded to mPad (a multiple of 16) with u = 8 (code 0). One
 * 64-byte load gives the VNNI kernel two quads of 16 columns (the low and the high nibbles, unsigned
 * operands of vpdpbusd; it subtracts 8·Σa per group). Next to them: the scales, [groups × mPad],
 * zero-padded so vector loads need no masks. The Java Vector API kernel widens the codes to floats on its
 * first use (counted by {@link #residentBytes()} once made).
 */
public final class PreparedInt4 {

    /** k values sharing one scale: the quantizer's group size (INT4_GROUP in gaq_int8.c must match). */
    public static final int GROUP_SIZE = WeightQuantizer.INT4_GROUP_SIZE;

    private final int k;
    private final int m;
    private final int groups;
    private final byte[] packed;
    private final float[] scales;
    private volatile FloatRows floats;

    private PreparedInt4(int k, int m, byte[] rowMajorPacked, float[] groupScales) {
        this.k = k;
        this.m = m;
        this.groups = k / GROUP_SIZE;
        int mPad = mPad();
        this.packed = new byte[k / 2 * mPad];
        Arrays.fill(packed, (byte) 0x88);                   // code 0 in the padded columns
        for (int p = 0; p < k; p++) {
            int q = p / PreparedInt8.QUAD, r = p % PreparedInt8.QUAD, shift = (q & 1) * 4;
            for (int j = 0; j < m; j++) {
                int e = p * m + j;
                int u = (((rowMajorPacked[e >> 1] >> ((e & 1) * 4)) & 0xF) ^ 8);    // two's complement nibble + 8
                int at = ((q >> 1) * mPad + j) * PreparedInt8.QUAD + r;
                packed[at] = (byte) ((packed[at] & ~(0xF << shift)) | (u << shift));
            }
        }
        this.scales = new float[groups * mPad];
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < m; j++) scales[g * mPad + j] = groupScales[g * m + j];
        }
    }

    /**
     * @param packed      k·m int4 codes in {@link WeightQuantizer#packInt4} format: row-major [k×m], element
     *                    e = p·m + j in byte e/2, low nibble when e is even, two's complement nibbles
     * @param groupScales [k/32 × m] row-major: the scale of group g (k in [32g, 32g + 32)) and column j
     */
    public static PreparedInt4 of(byte[] packed, float[] groupScales, int k, int m) {
        PreparedInt8.checkWeightShape("prepareInt4", k, m);
        if (k % GROUP_SIZE != 0) {
            throw new IllegalArgumentException("prepareInt4: k must be a multiple of " + GROUP_SIZE + ", got " + k);
        }
        if (packed == null || groupScales == null) {
            throw new IllegalArgumentException("prepareInt4: packed codes or scales are null");
        }
        long codeBytes = ((long) k * m + 1) / 2;
        if (packed.length < codeBytes) {
            throw new IllegalArgumentException("prepareInt4: " + k + "×" + m + " int4 codes need " + codeBytes
                    + " bytes, the packed array has " + packed.length);
        }
        long scaleCount = (long) (k / GROUP_SIZE) * m;
        if (groupScales.length < scaleCount) {
            throw new IllegalArgumentException("prepareInt4: " + k / GROUP_SIZE + " groups × " + m + " columns need "
                    + scaleCount + " scales, the array has " + groupScales.length);
        }
        return new PreparedInt4(k, m, packed, groupScales);
    }

    public int k() {
        return k;
    }

    public int m() {
        return m;
    }

    public int groups() {
        return groups;
    }

    /** m rounded up to a multiple of 16: the padded width of the nibble quads and of the scales. */
    public int mPad() {
        return PreparedInt8.roundUp(m, PreparedInt8.M_ALIGN);
    }

    /** q[p][j] ∈ [−8, 7], read out of the nibble quads. */
    public byte code(int p, int j) {
        int q = p >> 2;
        int b = packed[((q >> 1) * mPad() + j) * PreparedInt8.QUAD + (p & 3)];
        return (byte) (((b >> ((q & 1) * 4)) & 0xF) - 8);
    }

    /** The scale of group g and column j. */
    public float scale(int g, int j) {
        return scales[g * mPad() + j];
    }

    /**
     * dst[p·stride + offset + j] = q[p][j] · scale[p / 32][j] for p < rows ≤ k, j < m: the weights
     * dequantized, written into a wider float matrix (rows: the real depth, without the padding to 32).
     */
    public void dequantizeInto(float[] dst, int stride, int offset, int rows) {
        int mPad = mPad();
        for (int p = 0; p < rows; p++) {
            int q = p >> 2, shift = (q & 1) * 4;
            int base = (q >> 1) * mPad * PreparedInt8.QUAD + (p & 3), s = (p / GROUP_SIZE) * mPad;
            int row = p * stride + offset;
            for (int j = 0; j < m; j++) {
                int code = ((packed[base + j * PreparedInt8.QUAD] >> shift) & 0xF) - 8;
                dst[row + j] = code * scales[s + j];
            }
        }
    }

    /** Bytes held: the nibble quads, the scales and, once the Java kernel made them, its float rows. */
    public long residentBytes() {
        long bytes = packed.length + 4L * scales.length;
        FloatRows f = floats;
        if (f != null) bytes += 4L * f.values.length;
        return bytes;
    }

    /** The nibble quads, k/2·mPad bytes (the array itself: do not modify). */
    byte[] packed() {
        return packed;
    }

    /** The scales at [g·mPad + j], zero past m (the array itself: do not modify). */
    float[] scales() {
        return scales;
    }

    /** q converted to float (exactly), rows padded with zeros to a multiple of {@code columnMultiple}; cached. */
    float[] widenedFloats(int columnMultiple) {
        FloatRows cached = floats;
        if (cached == null || cached.columnMultiple != columnMultiple) {
            int width = PreparedInt8.roundUp(m, columnMultiple);
            float[] values = new float[k * width];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < m; j++) values[p * width + j] = code(p, j);
            }
            cached = new FloatRows(columnMultiple, values);
            floats = cached;    // a benign race: two threads may both build the same array
        }
        return cached.values;
    }

    private record FloatRows(int columnMultiple, float[] values) {
    }
}
