package org.gaq.quant;

import java.util.List;

import org.gaq.tensor.StraightThrough;
import org.gaq.tensor.Tensor;

/**
 * Fake quantization of a weight matrix W [in, out] with max-abs scales (not learned):
 * <pre>
 *   scale_{g,j} = max_{i ∈ g} |W_ij| / Qp,   code_ij = round(W_ij / scale_{g,j}) ∈ [−Qp, Qp],   Ŵ_ij = code_ij · scale_{g,j}
 * </pre>
 * <ul>
 *   <li>{@link Scheme#INT8_PER_CHANNEL}: Qp = 127, one group per output column (g = all of in);</li>
 *   <li>{@link Scheme#INT4_GROUPED}: Qp = 7, groups of 32 consecutive inputs per output column
 *       (the last group is shorter when in is not a multiple of 32).</li>
 * </ul>
 * Every element's error is at most scale/2 (no clipping: the largest |W| of a group is exactly ±Qp).
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

    private final Scheme scheme;

    public WeightQuantizer(Scheme scheme) {
        this.scheme = scheme;
    }

    @Override
    public Tensor apply(Tensor w) {
        if (!isEnabled()) return w;
        float[] dequantized = quantize(w, scheme).dequantize();
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

    /** Codes and scales of {@code w} [in, out] under {@code scheme}. */
    public static QuantizedWeight quantize(Tensor w, Scheme scheme) {
        return switch (scheme) {
            case INT8_PER_CHANNEL -> quantizeInt8PerChannel(w);
            case INT4_GROUPED -> quantizeInt4Grouped(w, INT4_GROUP_SIZE);
        };
    }

    /** Symmetric int8 per output channel (column): scale_j = max_i |W_ij| / 127. */
    public static QuantizedWeight quantizeInt8PerChannel(Tensor w) {
        requireMatrix(w);
        return quantizeGrouped(w, 8, w.dim(0));
    }

    /** Symmetric int4 in groups of {@code groupSize} inputs per output column: scale = max|W| / 7. */
    public static QuantizedWeight quantizeInt4Grouped(Tensor w, int groupSize) {
        requireMatrix(w);
        return quantizeGrouped(w, 4, groupSize);
    }

    static QuantizedWeight quantizeGrouped(Tensor w, int bits, int groupSize) {
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
                scales[g * out + j] = scale;
                if (scale == 0f) continue;
                for (int i = start; i < end; i++) {
                    double code = Math.rint(v[i * out + j] / scale);  // half-even, as roundSte
                    codes[i * out + j] = (byte) Math.max(-qp, Math.min(qp, code));
                }
            }
        }
        return new QuantizedWeight(in, out, bits, groupSize, codes, scales);
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
