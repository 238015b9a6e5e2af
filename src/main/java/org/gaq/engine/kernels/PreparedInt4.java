package org.gaq.engine.kernels;

import org.gaq.quant.WeightQuantizer;

/**
 * int4 weights prepared for {@link Int8Gemm#multiplyInt4}: codes q[k×m] in groups of {@link #GROUP_SIZE}
 * along k, each group and column with its own float scale. Immutable, shared by every implementation.
 *
 * <p>The codes are unpacked once to int8 and held as a {@link PreparedInt8} (so the same quad layout and
 * kernels' loads serve int4; the nibbles would have to be unpacked in the inner loop otherwise, and
 * these weights are small). Next to them: the per-group column sums Σ_{k in g} q[k][j] for the VNNI
 * offset trick, and the scales, both [groups × mPad], zero-padded so vector loads need no masks.
 */
public final class PreparedInt4 {

    /** k values sharing one scale: the quantizer's group size (INT4_GROUP in gaq_int8.c must match). */
    public static final int GROUP_SIZE = WeightQuantizer.INT4_GROUP_SIZE;

    private final PreparedInt8 codes;
    private final int groups;
    private final int[] groupSums;
    private final float[] scales;

    private PreparedInt4(PreparedInt8 codes, float[] groupScales) {
        this.codes = codes;
        int k = codes.k(), m = codes.m(), mPad = codes.mPad();
        this.groups = k / GROUP_SIZE;
        this.groupSums = new int[groups * mPad];
        this.scales = new float[groups * mPad];
        byte[] q = codes.codes();
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < m; j++) {
                scales[g * mPad + j] = groupScales[g * m + j];
                int sum = 0;
                for (int p = g * GROUP_SIZE; p < (g + 1) * GROUP_SIZE; p++) sum += q[p * m + j];
                groupSums[g * mPad + j] = sum;
            }
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
        byte[] codes = WeightQuantizer.unpackInt4(packed, k * m);
        return new PreparedInt4(PreparedInt8.of(codes, k, m), groupScales);
    }

    public int k() {
        return codes.k();
    }

    public int m() {
        return codes.m();
    }

    public int groups() {
        return groups;
    }

    /** The unpacked codes as int8 weights (row-major codes, quad layout, widened rows). */
    PreparedInt8 codes() {
        return codes;
    }

    /** Σ_{k in group g} q[k][j] at [g·mPad + j] (the array itself: do not modify). */
    int[] groupSums() {
        return groupSums;
    }

    /** The scales at [g·mPad + j], zero past m (the array itself: do not modify). */
    float[] scales() {
        return scales;
    }
}
