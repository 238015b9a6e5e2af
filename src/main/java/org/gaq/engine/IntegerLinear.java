package org.gaq.engine;

import org.gaq.tensor.Linalg;
import org.gaq.engine.kernels.Int8Gemm;
import org.gaq.engine.kernels.PreparedInt4;
import org.gaq.engine.kernels.PreparedInt8;
import org.gaq.engine.kernels.QuantizeKernels;
import org.gaq.quant.QuantizedWeight;
import org.gaq.quant.WeightQuantizer;
import org.gaq.tensor.StraightThrough;
import org.gaq.tensor.Tensor;
import java.util.Arrays;

/**
 * An integer layer: the codes and scales of one weight matrix W [in, out] (int8 per output channel, or
 * int4 in groups of 32 inputs), split into the thirds the model uses, computing x · W[:, third].
 * <pre>
 *   int8:  y_ij = s_x · s_j · Σ_k a_ik q_kj            a = round(x / s_x) ∈ [−127, 127], exact int32 sum
 *   int4:  y_ij = s_x · Σ_g s_gj · Σ_{k∈g} a_ik q_kj   the sum per group in int32, the groups in float
 * </pre>
 * when the input is a quantized scalar activation with step s_x (it is already on that grid, so a is
 * exact). With one step s_c per input channel (per-channel activation steps), the steps are folded into
 * W's rows before W was quantized ({@code QuantizationPlan.weight}): the codes q are those of diag(s)·W and
 * <pre>
 *   y_ij = s_j · Σ_k a_ik q_kj            a_ik = round(x_ik / s_k)
 * </pre>
 * so the kernel is the same and only the activation codes use a step per channel. An input that is not on a uniform grid (MDDQ vectors: every vector has its own magnitude)
 * is multiplied in float by W dequantized on the fly, one third at a time into a scratch array.
 *
 * <p>Backward (forces): ∂L/∂x = ∂L/∂y · W[:, third]ᵀ, again with W dequantized on the fly.
 *
 * <p>Memory: the codes are held once, in the kernels' layout ({@link PreparedInt8}: int8 quads;
 * {@link PreparedInt4}: nibble quads with the group scales), made in the constructor, one block per third
 * when out is a multiple of 3 (the model reads those weights by thirds) and one block otherwise. The
 * dequantized products read the codes out of the same blocks; no row-major copy and no FP32 copy of W
 * is kept. A product of all columns of a weight held in thirds runs block by block.
 */
public final class IntegerLinear {
    private final String name;
    private final int bits;
    private final float[] scales;             // int8: the scale of each output column [out]; int4: null (in the blocks)
    private final int in, out, thirdWidth, paddedIn;
    private final float inputStep;            // s_x, 1 when per-channel steps are folded into W, NaN for a float input
    private final float[] inverseChannelSteps; // 1/s_k per input channel (folded into W), else null
    private final Int8Gemm gemm;
    private final PreparedInt8[] int8Blocks;  // int8: columns [b·thirdWidth, (b+1)·thirdWidth), else null
    private final PreparedInt4[] int4Blocks;  // int4: likewise, else null

    /**
     * @param weight    codes and scales of W (from {@link WeightQuantizer})
     * @param inputStep the step of the quantized activation this layer reads, or NaN if the input is float
     */
    public IntegerLinear(String name, QuantizedWeight weight, float inputStep, Int8Gemm gemm) {
        this(name, weight, new float[]{inputStep}, gemm);
    }

    /**
     * @param inputSteps one step s_x (NaN: float input), or one step per input row of W, which {@code weight}
     *                   must already have folded into its rows (the codes of diag(s)·W)
     */
    public IntegerLinear(String name, QuantizedWeight weight, float[] inputSteps, Int8Gemm gemm) {
        if (weight.bits() != 8 && weight.bits() != 4) throw new IllegalArgumentException(name + ": " + weight.bits() + "-bit weights are not supported");
        if (weight.bits() == 8 && weight.groupSize() != weight.in()) throw new IllegalArgumentException(name + ": int8 weights must be per output channel");
        if (weight.bits() == 4 && weight.groupSize() != WeightQuantizer.INT4_GROUP_SIZE) {
            throw new IllegalArgumentException(name + ": int4 weights must be in groups of " + WeightQuantizer.INT4_GROUP_SIZE);
        }
        this.name = name;
        this.in = weight.in();
        this.out = weight.out();
        this.thirdWidth = out % 3 == 0 ? out / 3 : out;
        if (inputSteps.length == 1) {
            this.inputStep = inputSteps[0];
            this.inverseChannelSteps = null;
        } else if (inputSteps.length == weight.in()) {
            this.inputStep = 1f;
            this.inverseChannelSteps = new float[inputSteps.length];
            for (int k = 0; k < inputSteps.length; k++) {
                if (!(inputSteps[k] > 0)) throw new IllegalArgumentException(name + ": input step " + k + " is " + inputSteps[k]);
                inverseChannelSteps[k] = 1f / inputSteps[k];
            }
        } else {
            throw new IllegalArgumentException(name + ": " + inputSteps.length + " input steps for " + weight.in() + " input channels");
        }
        this.gemm = gemm;
        this.paddedIn = weight.bits() == 4 ? roundUp(in, PreparedInt4.GROUP_SIZE) : in;
        this.bits = weight.bits();
        int blocks = out / thirdWidth;
        byte[] q = weight.codes();
        if (bits == 8) {
            this.scales = weight.scales().clone();
            this.int8Blocks = new PreparedInt8[blocks];
            this.int4Blocks = null;
            for (int b = 0; b < blocks; b++) int8Blocks[b] = gemm.prepare(columns(q, b * thirdWidth), in, thirdWidth);
        } else {
            this.scales = null;
            this.int8Blocks = null;
            this.int4Blocks = new PreparedInt4[blocks];
            int groups = paddedIn / PreparedInt4.GROUP_SIZE;
            for (int b = 0; b < blocks; b++) {
                int c0 = b * thirdWidth;
                float[] s = new float[groups * thirdWidth];
                for (int g = 0; g < groups; g++) {
                    for (int j = 0; j < thirdWidth; j++) s[g * thirdWidth + j] = g * weight.groupSize() < in ? weight.scales()[g * out + c0 + j] : 0f;
                }
                int4Blocks[b] = gemm.prepareInt4(WeightQuantizer.packInt4(columns(q, c0)), s, paddedIn, thirdWidth);
            }
        }
    }

    /** Columns c0 .. c0 + thirdWidth of the row-major codes [in, out], as [paddedIn, thirdWidth], rows past in zero. */
    private byte[] columns(byte[] codes, int c0) {
        byte[] block = new byte[paddedIn * thirdWidth];
        for (int k = 0; k < in; k++) System.arraycopy(codes, k * out + c0, block, k * thirdWidth, thirdWidth);
        return block;
    }

    public String name() {
        return name;
    }

    public int bits() {
        return bits;
    }

    /** x · W[:, third] (third −1: all columns), differentiable in x. */
    public Tensor apply(int third, Tensor x) {
        int width = third < 0 ? out : thirdWidth, c0 = third < 0 ? 0 : third * thirdWidth;
        if (x.dim(-1) != in) throw new IllegalArgumentException(name + ": input has " + x.dim(-1) + " features, the weight " + in);
        return StraightThrough.apply("integer_linear:" + name, new StraightThrough.CustomOp() {
            @Override
            public Tensor forward(Tensor[] inputs) {
                return Float.isNaN(inputStep) ? inputs[0].matmul(dequantized(c0, width)) : integerForward(inputs[0], c0, width);
            }

            @Override
            public Tensor[] backward(Tensor g, Tensor[] inputs, Tensor output) {
                return new Tensor[]{Linalg.matmulNT(g, dequantized(c0, width))};
            }
        }, x);
    }

    private Tensor integerForward(Tensor x, int c0, int width) {
        int rows = x.size() / in;
        float[] y = new float[rows * width];
        integerForwardInto(x.data(), rows, c0, width, y);
        int[] shape = x.shape().clone();
        shape[shape.length - 1] = width;
        return Tensor.of(y, shape);
    }

    /** True when the input is a quantized activation (its codes feed the integer kernels), false for a float input. */
    public boolean integerInput() {
        return !Float.isNaN(inputStep);
    }

    /**
     * y[rows × out] = x[rows × in] · W with the integer kernels, into a caller's array (nothing allocated once
     * the per-thread scratch has grown): x must be a quantized activation ({@link #integerInput()}).
     */
    public void forwardInto(float[] x, int rows, float[] y) {
        if (!integerInput()) throw new IllegalStateException(name + " reads a float input: multiply by dequantized()");
        integerForwardInto(x, rows, 0, out, y);
    }

    /** W [in × out] dequantized (the values the integer kernels multiply by), as the float input x sees them. */
    public float[] dequantized() {
        return dequantized(0, out).data();
    }

    public int in() {
        return in;
    }

    public int out() {
        return out;
    }

    private void integerForwardInto(float[] xv, int rows, int c0, int width, float[] y) {
        Scratch scratch = SCRATCH.get();
        byte[] a = scratch.codes(rows * paddedIn);
        float inv = 1f / inputStep;
        if (inverseChannelSteps != null) {
            for (int r = 0; r < rows; r++) {
                int xo = r * in, ao = r * paddedIn;
                QuantizeKernels.quantizeChannels(xv, xo, inverseChannelSteps, a, ao, in);
                Arrays.fill(a, ao + in, ao + paddedIn, (byte) 0);
            }
        } else if (paddedIn == in) {
            QuantizeKernels.quantize(xv, 0, inv, a, 0, rows * in);
        } else {
            for (int r = 0; r < rows; r++) {
                QuantizeKernels.quantize(xv, r * in, inv, a, r * paddedIn, in);
                Arrays.fill(a, r * paddedIn + in, (r + 1) * paddedIn, (byte) 0);
            }
        }
        int first = c0 / thirdWidth, last = (c0 + width) / thirdWidth;
        boolean whole = last - first == 1;         // one block: the kernel writes y directly
        int[] c = bits == 8 ? scratch.ints(rows * thirdWidth) : null;
        float[] part = bits == 4 && !whole ? scratch.floats(rows * thirdWidth) : y;
        for (int b = first; b < last; b++) {
            int col = (b - first) * thirdWidth;    // column of y where this block starts
            if (bits == 8) {
                gemm.multiply(a, 0, rows, paddedIn, int8Blocks[b], c, 0);
                if (whole) {
                    // y and c are both [rows, thirdWidth]: scale them as one run, the factors repeated over
                    // lcm(thirdWidth, 16) elements, so that narrow blocks (8 heads) still fill whole vectors
                    int period = lcm(thirdWidth, 16);
                    float[] f = scratch.columnFactors(period);
                    for (int j = 0; j < period; j++) f[j] = inputStep * scales[b * thirdWidth + j % thirdWidth];
                    int total = rows * thirdWidth;
                    for (int i = 0; i < total; i += period) QuantizeKernels.scaleInts(c, i, f, 0, y, i, Math.min(period, total - i));
                } else {
                    float[] f = scratch.columnFactors(thirdWidth);   // s_x · s_j, the factor of c_ij
                    for (int j = 0; j < thirdWidth; j++) f[j] = inputStep * scales[b * thirdWidth + j];
                    for (int r = 0; r < rows; r++) QuantizeKernels.scaleInts(c, r * thirdWidth, f, 0, y, r * width + col, thirdWidth);
                }
            } else {
                gemm.multiplyInt4(a, 0, rows, paddedIn, int4Blocks[b], part, 0);
                if (whole) {
                    QuantizeKernels.scale(part, 0, inputStep, y, 0, rows * thirdWidth);
                } else {
                    for (int r = 0; r < rows; r++) QuantizeKernels.scale(part, r * thirdWidth, inputStep, y, r * width + col, thirdWidth);
                }
            }
        }
    }

    /** Per-thread work arrays of {@link #integerForward} (activation codes, int32 results, int4 partial products), grown on demand. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        private byte[] codes = new byte[0];
        private int[] ints = new int[0];
        private float[] floats = new float[0];
        private float[] columnFactors = new float[0];

        float[] columnFactors(int n) {
            if (columnFactors.length < n) columnFactors = new float[n];
            return columnFactors;
        }

        byte[] codes(int n) {
            if (codes.length < n) codes = new byte[n];
            return codes;
        }

        int[] ints(int n) {
            if (ints.length < n) ints = new int[n];
            return ints;
        }

        float[] floats(int n) {
            if (floats.length < n) floats = new float[n];
            return floats;
        }
    }

    /** W[:, c0 .. c0+width) as float [in, width], made for this call only, from the blocks. */
    private Tensor dequantized(int c0, int width) {
        float[] w = new float[in * width];
        for (int b = c0 / thirdWidth; b < (c0 + width) / thirdWidth; b++) {
            int col = b * thirdWidth - c0;
            if (bits == 8) int8Blocks[b].dequantizeInto(w, width, col, scales, b * thirdWidth);
            else int4Blocks[b].dequantizeInto(w, width, col, in);
        }
        if (inverseChannelSteps != null) {   // Ŵ = diag(1/s)·W', the weight the input x (not its codes) sees
            for (int k = 0; k < in; k++) {
                for (int j = 0; j < width; j++) w[k * width + j] *= inverseChannelSteps[k];
            }
        }
        return Tensor.of(w, in, width);
    }

    /**
     * Bytes of weight data this layer keeps: the blocks (codes in the kernels' layout, column sums or
     * int4 scales, and any cache a Java kernel made) and the int8 scales.
     */
    public long residentBytes() {
        long bytes = scales == null ? 0 : 4L * scales.length;
        if (int8Blocks != null) for (PreparedInt8 p : int8Blocks) bytes += p.residentBytes();
        if (int4Blocks != null) for (PreparedInt4 p : int4Blocks) bytes += p.residentBytes();
        return bytes;
    }

    /** Bytes of the codes and scales themselves, as in the file: in·out codes (int4: two per byte) and the scales. */
    public long codeAndScaleBytes() {
        long codes = bits == 8 ? (long) in * out : ((long) in * out + 1) / 2;
        long scaleCount = bits == 8 ? out : (long) ((in + PreparedInt4.GROUP_SIZE - 1) / PreparedInt4.GROUP_SIZE) * out;
        return codes + 4L * scaleCount;
    }

    private static int lcm(int a, int b) {
        int x = a, y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }

    static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }
}
