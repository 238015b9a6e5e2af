package org.gaq.quant;

/**
 * Integer codes and scales of a weight matrix W [in, out] (Linear computes x·W, so an output
 * channel is a column), for export to integer layers.
 *
 * <p>W[i, j] ≈ codes[i·out + j] · scales[(i / groupSize)·out + j]: the scales are laid out
 * [groups, out] with groups = ⌈in / groupSize⌉. Per-output-channel quantization is the case
 * groupSize = in (one group, scales [out]).
 *
 * @param codes  row-major [in, out], each in [−(2^{b−1}−1), 2^{b−1}−1]
 */
public record QuantizedWeight(int in, int out, int bits, int groupSize, byte[] codes, float[] scales) {
    public QuantizedWeight {
        if (codes.length != in * out) throw new IllegalArgumentException("codes: expected " + in * out + " values, got " + codes.length);
        if (scales.length != groups(in, groupSize) * out) {
            throw new IllegalArgumentException("scales: expected " + groups(in, groupSize) * out + " values, got " + scales.length);
        }
    }

    /** Number of groups along the input axis. */
    public int groups() {
        return groups(in, groupSize);
    }

    /** The scale that multiplies code (i, j). */
    public float scale(int i, int j) {
        return scales[(i / groupSize) * out + j];
    }

    /** codes · scales as a row-major [in, out] float array. */
    public float[] dequantize() {
        float[] w = new float[in * out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) w[i * out + j] = codes[i * out + j] * scale(i, j);
        }
        return w;
    }

    static int groups(int in, int groupSize) {
        return (in + groupSize - 1) / groupSize;
    }
}
