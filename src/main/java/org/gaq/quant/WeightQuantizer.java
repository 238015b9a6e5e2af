package org.gaq.quant;

import java.util.List;

import org.gaq.tensor.StraightThrough;
import org.gaq.tensor.Tensor;

/**
 * Fake quantization of a weight matrix W [in, out] with scales computed from W (not learned):
 * <pre>
 *   scale_{g,j} = α_{g,j} · max_{i ∈ g} |W_ij| / Qp,   code_ij = clamp(round(W_ij / scale_{g,j}), −Qp, Qp),   Ŵ_ij = code_ij · scale_{g,j}
 * </pre>
 * with α = 1 for {@link Range#MAX_ABS} and, for {@link Range#MSE}, the α on a fixed grid that minimises the
 * group's squared error Σ_i (W_ij − Ŵ_ij)² (clipping a few large weights to round the others finer).
 * <ul>
 *   <li>{@link Scheme#INT8_PER_CHANNEL}: Qp = 127, one group per output column (g = all of in);</li>
 *   <li>{@link Scheme#INT4_GROUPED}: Qp = 7, groups of 32 consecutive inputs per output column
 *       (the last group is shorter when in is not a multiple of 32).</li>
 * </ul>
 * With MAX_ABS every element's error is at most scale/2 (no clipping: the largest |W| of a group is exactly ±Qp).
 * The gradient to W is straight through (identity); the scales are treated as constants. The
 * forward value is exactly {@link QuantizedWeight#dequantize()} of {@link #quantize}.
 */
public final class WeightQuantizer extends FakeQuantizer {
    public static final int INT4_GROUP_SIZE = 32;

    public enum Scheme {
        INT8_PER_CHANNEL(8), INT4_GROUPED(4);

        public final int bits;

        Scheme(int bits) {
            this.bits = bits;
        }
    }

    /** How a group's scale is chosen. */
    public enum Range {
        /** scale = max|W| / Qp: no weight is clipped (the paper's, and every model file from before the option). */
        MAX_ABS,
        /**
         * scale = α·max|W| / Qp with α ∈ {1, 0.98, …, 0.50} minimising the group's squared rounding error. At 4 bits
         * (15 levels) one large weight otherwise sets a step too coarse for the other 31 of its group.
         */
        MSE
    }

    /** The candidate clip ratios α of {@link Range#MSE}: 1 − k/50 for k = 0 … 25. */
    static final int MSE_CANDIDATES = 26;

    private final Scheme scheme;
    private final Range range;

    public WeightQuantizer(Scheme scheme) {
        this(scheme, Range.MAX_ABS);
    }

    public WeightQuantizer(Scheme scheme, Range range) {
        this.scheme = scheme;
        this.range = range;
    }

    @Override
    public Tensor apply(Tensor w) {
        float[] dequantized = quantize(w).dequantize();
        return StraightThrough.apply("fakeQuantWeight", new StraightThrough.CustomOp() {
            @Override
            public Tensor forward(Tensor[] in) {
                return Tensor.of(dequantized, in[0].shape());
            }

            @Override
            public Tensor[] backward(Tensor g, Tensor[] in, Tensor out) {
                return new Tensor[]{g};                                  // straight through
            }
        }, w);
    }

    public Scheme scheme() {
        return scheme;
    }

    /** Rows per scale group of a weight with {@code in} rows: 32 for grouped int4, all of them for per-channel int8. */
    public int groupSize(int in) {
        return scheme == Scheme.INT4_GROUPED ? INT4_GROUP_SIZE : in;
    }

    public Range range() {
        return range;
    }

    /** Codes and scales of {@code w} [in, out] under this quantizer's scheme and range. */
    public QuantizedWeight quantize(Tensor w) {
        return quantize(w, scheme, range);
    }

    /** Codes and scales of {@code w} [in, out] under {@code scheme}, max-abs scales. */
    public static QuantizedWeight quantize(Tensor w, Scheme scheme) {
        return quantize(w, scheme, Range.MAX_ABS);
    }

    /** Codes and scales of {@code w} [in, out] under {@code scheme}, scales chosen by {@code range}. */
    public static QuantizedWeight quantize(Tensor w, Scheme scheme, Range range) {
        requireMatrix(w);
        return switch (scheme) {
            case INT8_PER_CHANNEL -> quantizeGrouped(w, 8, w.dim(0), range);
            case INT4_GROUPED -> quantizeGrouped(w, 4, INT4_GROUP_SIZE, range);
        };
    }

    /** Symmetric int8 per output channel (column): scale_j = max_i |W_ij| / 127. */
    public static QuantizedWeight quantizeInt8PerChannel(Tensor w) {
        requireMatrix(w);
        return quantizeGrouped(w, 8, w.dim(0), Range.MAX_ABS);
    }

    /** Symmetric int4 in groups of {@code groupSize} inputs per output column: scale = max|W| / 7. */
    public static QuantizedWeight quantizeInt4Grouped(Tensor w, int groupSize) {
        requireMatrix(w);
        return quantizeGrouped(w, 4, groupSize, Range.MAX_ABS);
    }

    static QuantizedWeight quantizeGrouped(Tensor w, int bits, int groupSize, Range range) {
        if (groupSize < 1) throw new IllegalArgumentException("groupSize must be ≥ 1, got " + groupSize);
        int in = w.dim(0), out = w.dim(1);
        int qp = Signedness.SIGNED.qp(bits);
        float[] v = w.data();
        int groups = QuantizedWeight.groups(in, groupSize);
        float[] scales = new float[groups * out];
        byte[] codes = new byte[in * out];
        for (int g = 0; g < groups; g++) {
            int start = g * groupSize, end = Math.min(in, start + groupSize);
            for (int j = 0; j < out; j++) {
                float maxAbs = 0f;
                for (int i = start; i < end; i++) maxAbs = Math.max(maxAbs, Math.abs(v[i * out + j]));
                float scale = maxAbs / qp;                 // an all-zero group keeps scale 0 and codes 0
                if (range == Range.MSE && scale > 0f) scale = mseScale(v, start, end, j, out, maxAbs, qp);
                scales[g * out + j] = scale;
                if (scale == 0f) continue;
                for (int i = start; i < end; i++) codes[i * out + j] = code(v[i * out + j], scale, qp);
            }
        }
        return new QuantizedWeight(in, out, bits, groupSize, codes, scales);
    }

    /** round(x / scale) (half-even, as roundSte) clamped to [−qp, qp]. */
    private static byte code(float x, float scale, int qp) {
        return (byte) Math.max(-qp, Math.min(qp, Math.rint(x / scale)));
    }

    /** The scale α·maxAbs/qp, α on the {@link Range#MSE} grid, with the least squared error over rows start..end of column j (ties: the larger α). */
    private static float mseScale(float[] v, int start, int end, int j, int out, float maxAbs, int qp) {
        float best = maxAbs / qp;
        double bestError = Double.POSITIVE_INFINITY;
        for (int k = 0; k < MSE_CANDIDATES; k++) {
            float scale = (1f - k / 50f) * maxAbs / qp;
            double error = 0;
            for (int i = start; i < end; i++) {
                float x = v[i * out + j];
                double d = x - code(x, scale, qp) * scale;
                error += d * d;
            }
            if (error < bestError) {
                bestError = error;
                best = scale;
            }
        }
        return best;
    }

    /**
     * Packs int4 codes (each in [−8, 7]) two per byte: element 2k in the low nibble, 2k+1 in the high
     * nibble, two's complement; an odd count leaves the last high nibble 0.
     */
    public static byte[] packInt4(byte[] codes) {
        byte[] packed = new byte[(codes.length + 1) / 2];
        for (int k = 0; k < codes.length; k++) {
            int c = codes[k];
            if (c < -8 || c > 7) throw new IllegalArgumentException("int4 code out of range [-8, 7] at " + k + ": " + c);
            int nibble = c & 0xF;
            packed[k >> 1] |= (byte) ((k & 1) == 0 ? nibble : nibble << 4);
        }
        return packed;
    }

    /** Inverse of {@link #packInt4}: the first {@code count} codes, sign-extended. */
    public static byte[] unpackInt4(byte[] packed, int count) {
        if (count < 0 || (count + 1) / 2 > packed.length) {
            throw new IllegalArgumentException("cannot unpack " + count + " int4 codes from " + packed.length + " bytes");
        }
        byte[] codes = new byte[count];
        for (int k = 0; k < count; k++) {
            int b = packed[k >> 1];
            int nibble = (k & 1) == 0 ? b & 0xF : (b >> 4) & 0xF;
            codes[k] = (byte) ((nibble << 28) >> 28);              // sign-extend 4 → 32 bits
        }
        return codes;
    }

    @Override
    public List<Tensor> parameters() {
        return List.of();
    }

    private static void requireMatrix(Tensor w) {
        if (w.rank() != 2) throw new IllegalArgumentException("weight must be [in, out], got shape " + java.util.Arrays.toString(w.shape()));
    }
}
