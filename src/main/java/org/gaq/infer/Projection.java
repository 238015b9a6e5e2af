package org.gaq.infer;

import org.gaq.tensor.kernels.ElementwiseKernels;

/**
 * A product with one weight matrix W [in × out] of the model, in the precision its weights are stored in.
 * Each precision is its own type that owns its kernels, so the engine's layer code never asks which one it
 * holds: {@link Fp32Projection} (FP32 weights, also the fake-quantized weights of a QAT model, which are
 * FP32 values on the quantization grid) and {@link IntegerProjection} (int8 codes per output channel or
 * packed int4 codes in groups, with their scales).
 *
 * <p>Arrays are row-major and may be longer than what is in use (workspaces are sized by capacity).
 */
public sealed interface Projection permits Fp32Projection, IntegerProjection {
    int in();

    int out();

    /** y[rows × out] = x[rows × in] · W. */
    void forward(float[] x, int rows, float[] y);

    /** y[rows × out] = x[rows × in] · W + b (b [out] added to every row). */
    default void forwardWithBias(float[] x, int rows, float[] bias, float[] y) {
        forward(x, rows, y);
        int out = out();
        for (int r = 0; r < rows; r++) ElementwiseKernels.addTo(bias, 0, y, r * out, out);
    }

    /** dx[rows × in] += dy[rows × out] · Wᵀ: the input gradient of the reverse pass (no weight gradient). */
    void backwardAdd(float[] dy, int rows, float[] dx);

    /** W [in × out] as the FP32 values the products multiply by (the dequantized codes of integer weights); a copy. */
    float[] weights();

    /** Bytes of weight data this projection keeps in memory. */
    long residentBytes();
}
