package org.gaq.engine.kernels;

/**
 * Integer matrix products for the integer engine: activations a[rows×k] (int8 codes) times prepared
 * weights W[k×m], on row-major Java arrays. Obtain one from {@link Int8Kernels#best()}.
 *
 * <p>Contract shared by every implementation:
 * <ul>
 *   <li>int8: {@code c[i][j] = Σ_p a[i][p]·w[p][j]} exactly in int32, so all implementations agree bit
 *       for bit. Exact for every int8 value (the model's symmetric codes are −127..127) as long as the
 *       sums fit in int32, i.e. for k up to 2^17.</li>
 *   <li>int4: {@code out[i][j] = Σ_g scale[g][j]·d_g} with the integer group dot products
 *       {@code d_g = Σ_{p in group g} a[i][p]·q[p][j]} (groups of {@link PreparedInt4#GROUP_SIZE} along k),
 *       summed in float in a fixed order: {@code acc = 0; for g = 0, 1, …: acc = fma(scale[g][j], (float) d_g, acc)}.
 *       d_g is exact in float (|d_g| ≤ 32·128·8 = 2^15), and a fused multiply-add rounds once, so every
 *       implementation gives the same bits.</li>
 *   <li>Arguments are checked in Java before any work: a bad one throws {@link IllegalArgumentException}
 *       naming the problem, and native code never sees it.</li>
 *   <li>{@code aOffset}, {@code cOffset}, {@code outOffset} are element offsets into the arrays, so threads can
 *       each take a range of rows of the same arrays. Implementations are stateless and thread-safe;
 *       prepared weights are immutable and may be shared by threads and by implementations.</li>
 * </ul>
 */
public interface Int8Gemm {

    /** Short name: "native-amx", "native-avx512-vnni", "native-plain", "java-vector" or "java-plain". */
    String name();

    /**
     * Prepares int8 weights w[k×m] (row-major) once for many products: packs them and computes the column
     * sums. The result works with every implementation (see {@link PreparedInt8} for the layout).
     */
    default PreparedInt8 prepare(byte[] w, int k, int m) {
        return PreparedInt8.of(w, k, m);
    }

    /** c[cOffset + i·m + j] = Σ_p a[aOffset + i·k + p]·w[p][j] for i < rows, j < m, exactly. */
    void multiply(byte[] a, int aOffset, int rows, int k, PreparedInt8 w, int[] c, int cOffset);

    /**
     * Prepares int4 weights: {@code packed} holds the k×m codes (−8..7; the model's are −7..7) in
     * {@link org.gaq.quant.WeightQuantizer#packInt4} format (row-major [k×m], two codes per byte, low nibble
     * first, two's complement), {@code groupScales} is [k/32 × m]; k must be a multiple of 32.
     */
    default PreparedInt4 prepareInt4(byte[] packed, float[] groupScales, int k, int m) {
        return PreparedInt4.of(packed, groupScales, k, m);
    }

    /** out[outOffset + i·m + j] = Σ_g scale[g][j]·(Σ_{p in g} a[aOffset + i·k + p]·q[p][j]), order as above. */
    void multiplyInt4(byte[] a, int aOffset, int rows, int k, PreparedInt4 w, float[] out, int outOffset);
}
