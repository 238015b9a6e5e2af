package org.gaq.engine;

import org.gaq.engine.kernels.Int8Gemm;
import org.gaq.engine.kernels.PreparedInt4;
import org.gaq.engine.kernels.PreparedInt8;
import org.gaq.quant.QuantizedWeight;
import org.gaq.quant.WeightQuantizer;
import org.gaq.tensor.StraightThrough;
import org.gaq.tensor.Tensor;

/**
 * An integer layer: the codes and scales of one weight matrix W [in, out] (int8 per output channel, or
 * int4 in groups of 32 inputs), split into the thirds the model uses, computing x · W[:, third].
 * <pre>
 *   int8:  y_ij = s_x · s_j · Σ_k a_ik q_kj            a = round(x / s_x) ∈ [−127, 127], exact int32 sum
 *   int4:  y_ij = s_x · Σ_g s_gj · Σ_{k∈g} a_ik q_kj   the sum per group in int32, the groups in float
 * </pre>
 * when the input is a quantized scalar activation with step s_x (it is already on that grid, so a is
 * exact). An input that is not on a uniform grid (MDDQ vectors: every vector has its own magnitude)
 * is multiplied in float by W dequantized on the fly, one third at a time into a scratch array.
 *
 * <p>Backward (forces): ∂L/∂x = ∂L/∂y · W[:, third]ᵀ, again with W dequantized on the fly. Only the
 * codes and scales stay in memory; no FP32 copy of W is kept.
 */
public final class IntegerLinear {
    private final String name;
    private final int bits, groupSize;
    private final byte[] int8Codes;           // int8: codes [in, out], else null
    private final byte[] int4Packed;          // int4: the packed nibbles of [in, out] (what stays in memory), else null
    private final float[] scales;             // [groups, out]
    private final int in, out, thirdWidth, paddedIn;
    private final float inputStep;            // s_x, or NaN for a float input
    private final Int8Gemm gemm;
    private final PreparedInt8[] int8Thirds = new PreparedInt8[4];
    private final PreparedInt4[] int4Thirds = new PreparedInt4[4];

    /**
     * @param weight    codes and scales of W (from {@link WeightQuantizer})
     * @param inputStep the step of the quantized activation this layer reads, or NaN if the input is float
     */
    public IntegerLinear(String name, QuantizedWeight weight, float inputStep, Int8Gemm gemm) {
        if (weight.bits() != 8 && weight.bits() != 4) throw new IllegalArgumentException(name + ": " + weight.bits() + "-bit weights are not supported");
        if (weight.bits() == 8 && weight.groupSize() != weight.in()) throw new IllegalArgumentException(name + ": int8 weights must be per output channel");
        if (weight.bits() == 4 && weight.groupSize() != WeightQuantizer.INT4_GROUP_SIZE) {
            throw new IllegalArgumentException(name + ": int4 weights must be in groups of " + WeightQuantizer.INT4_GROUP_SIZE);
        }
        this.name = name;
        this.in = weight.in();
        this.out = weight.out();
        this.thirdWidth = out % 3 == 0 ? out / 3 : out;
        this.inputStep = inputStep;
        this.gemm = gemm;
        this.paddedIn = weight.bits() == 4 ? roundUp(in, PreparedInt4.GROUP_SIZE) : in;
        this.bits = weight.bits();
        this.groupSize = weight.groupSize();
        this.scales = weight.scales().clone();
        this.int8Codes = bits == 8 ? weight.codes().clone() : null;
        this.int4Packed = bits == 4 ? WeightQuantizer.packInt4(weight.codes()) : null;
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
                return Float.isNaN(inputStep) ? inputs[0].matmul(dequantized(c0, width)) : integerForward(inputs[0], third, width);
            }

            @Override
            public Tensor[] backward(Tensor g, Tensor[] inputs, Tensor output) {
                return new Tensor[]{org.gaq.tensor.Linalg.matmulNT(g, dequantized(c0, width))};
            }
        }, x);
    }

    private Tensor integerForward(Tensor x, int third, int width) {
        int rows = x.size() / in;
        float[] xv = x.data();
        byte[] a = new byte[rows * paddedIn];
        float inv = 1f / inputStep;
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < in; k++) {
                float code = Math.round(xv[r * in + k] * inv);
                a[r * paddedIn + k] = (byte) Math.max(-127, Math.min(127, code));
            }
        }
        float[] y = new float[rows * width];
        int slot = third + 1;
        prepare(third);
        if (bits == 8) {
            int[] c = new int[rows * width];
            gemm.multiply(a, 0, rows, paddedIn, int8Thirds[slot], c, 0);
            int c0 = third < 0 ? 0 : third * thirdWidth;
            float[] s = scales;
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < width; j++) y[r * width + j] = c[r * width + j] * (inputStep * s[c0 + j]);
            }
        } else {
            gemm.multiplyInt4(a, 0, rows, paddedIn, int4Thirds[slot], y, 0);
            for (int i = 0; i < y.length; i++) y[i] *= inputStep;
        }
        int[] shape = x.shape().clone();
        shape[shape.length - 1] = width;
        return Tensor.of(y, shape);
    }

    /**
     * The kernel layout of the columns a call reads, made on first use: the model multiplies some
     * weights whole (query, key, radial bias) and others by thirds (value, radial filter, output), so
     * preparing only what is used keeps one layout per weight.
     */
    private synchronized void prepare(int third) {
        int slot = third + 1;
        if (int8Thirds[slot] != null || int4Thirds[slot] != null) return;
        int width = third < 0 ? out : thirdWidth, c0 = third < 0 ? 0 : third * thirdWidth;
        byte[] codes = new byte[paddedIn * width];                 // columns c0 .. c0+width, rows past in zero
        for (int k = 0; k < in; k++) {
            for (int j = 0; j < width; j++) codes[k * width + j] = code(k, c0 + j);
        }
        if (bits == 8) {
            int8Thirds[slot] = gemm.prepare(codes, paddedIn, width);
        } else {
            float[] s = new float[paddedIn / PreparedInt4.GROUP_SIZE * width];
            for (int g = 0; g < paddedIn / PreparedInt4.GROUP_SIZE; g++) {
                for (int j = 0; j < width; j++) s[g * width + j] = g * groupSize < in ? scales[g * out + c0 + j] : 0f;
            }
            int4Thirds[slot] = gemm.prepareInt4(WeightQuantizer.packInt4(codes), s, paddedIn, width);
        }
    }

    /** Code (k, j) of W. */
    private byte code(int k, int j) {
        if (bits == 8) return int8Codes[k * out + j];
        int idx = k * out + j;
        return (byte) ((((int4Packed[idx >> 1] >> ((idx & 1) * 4)) & 0xF) ^ 8) - 8);
    }

    /** W[:, c0 .. c0+width) as float [in, width], made for this call only. */
    private Tensor dequantized(int c0, int width) {
        float[] w = new float[in * width];
        float[] s = scales;
        if (bits == 8) {
            byte[] q = int8Codes;
            for (int k = 0; k < in; k++) {
                for (int j = 0; j < width; j++) w[k * width + j] = q[k * out + c0 + j] * s[c0 + j];
            }
        } else {
            for (int k = 0; k < in; k++) {
                int g = k / groupSize;
                for (int j = 0; j < width; j++) w[k * width + j] = code(k, c0 + j) * s[g * out + c0 + j];
            }
        }
        return Tensor.of(w, in, width);
    }

    /** Bytes of weight data this layer keeps: codes (or packed nibbles), scales and the kernels' prepared layouts. */
    public synchronized long residentBytes() {
        long bytes = (int4Packed != null ? int4Packed.length : int8Codes.length) + 4L * scales.length;
        for (PreparedInt8 p : int8Thirds) if (p != null) bytes += 2L * p.kPad() * p.mPad() + 4L * p.mPad();
        for (PreparedInt4 p : int4Thirds) if (p != null) bytes += 2L * roundUp(p.k(), 64) * roundUp(p.m(), 16) + 8L * p.groups() * roundUp(p.m(), 16);
        return bytes;
    }

    static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }
}
