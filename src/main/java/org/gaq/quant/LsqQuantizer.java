package org.gaq.quant;

import java.util.List;

import org.gaq.tensor.StraightThrough;
import org.gaq.tensor.Tensor;
import java.util.Arrays;

/**
 * Learned step size quantization (LSQ, Esser et al. 2019) of scalar activations:
 * <pre>
 *   x_q = round(clamp(x / s, Qn, Qp)) · s
 * </pre>
 * with round straight-through (identity gradient), clamp passing the gradient only inside
 * [Qn, Qp], and the gradient reaching s multiplied by g = 1/√(Qp · numel(x)), so
 * <pre>
 *   ∂x_q/∂x = 1 inside, 0 outside;    ∂x_q/∂s = g · (round(x/s) − x/s) inside, g · Qn or g · Qp outside.
 * </pre>
 * The step s is a leaf tensor of shape [1] (a trainable parameter), or [F] for one step per channel of
 * the last axis (then g uses numel(x)/F, the values each step sees). Signed: [Qn, Qp] = ±(2^{b−1}−1);
 * unsigned (magnitudes): [0, 2^b−1]. With {@code bits = 32} it is the identity.
 *
 * <p>The step is not constrained positive here: the optimizer (or the caller) must keep it &gt; 0.
 */
public final class LsqQuantizer extends FakeQuantizer {
    /** Bit width meaning "not quantized". */
    public static final int FULL_PRECISION = 32;

    private final int bits;
    private final Signedness signedness;
    private final Tensor step;

    public LsqQuantizer(int bits, Signedness signedness, double initialStep) {
        this(bits, signedness, new double[]{initialStep});
    }

    /** One step per channel of the last axis (one step: the whole tensor). */
    public LsqQuantizer(int bits, Signedness signedness, double[] initialSteps) {
        if (bits != FULL_PRECISION) Signedness.checkBits(bits);
        if (initialSteps.length == 0) throw new IllegalArgumentException("no steps");
        float[] s = new float[initialSteps.length];
        for (int c = 0; c < s.length; c++) {
            requirePositive(initialSteps[c]);
            s[c] = (float) initialSteps[c];
        }
        this.bits = bits;
        this.signedness = signedness;
        this.step = Tensor.leaf(s, s.length);
    }

    public static LsqQuantizer signed(int bits, double initialStep) {
        return new LsqQuantizer(bits, Signedness.SIGNED, initialStep);
    }

    public static LsqQuantizer unsigned(int bits, double initialStep) {
        return new LsqQuantizer(bits, Signedness.UNSIGNED, initialStep);
    }

    @Override
    public Tensor apply(Tensor x) {
        if (bits == FULL_PRECISION) return x;
        if (channels() > 1 && x.dim(-1) != channels()) {
            throw new IllegalArgumentException("input has " + x.dim(-1) + " channels, the quantizer " + channels() + " steps");
        }
        float gradScale = (float) (1.0 / Math.sqrt((double) qp() * x.size() / channels()));
        Tensor s = StraightThrough.scaleGrad(step, gradScale);
        Tensor code = StraightThrough.roundSte(StraightThrough.clampMasked(x.div(s), qn(), qp()));
        return code.mul(s);
    }

    /** Sets the step from a calibration observer (which must be for the same signedness). */
    public void initFrom(Observer observer) {
        if (observer.signedness() != signedness) {
            throw new IllegalArgumentException("observer is " + observer.signedness() + ", quantizer is " + signedness);
        }
        if (bits != FULL_PRECISION) setStep(observer.suggestedStep(bits));
    }

    /** The learned step s, a leaf of shape [1] (or [F], one per channel). */
    public Tensor step() {
        return step;
    }

    /** The step of a per-tensor quantizer. */
    public float stepValue() {
        if (channels() != 1) throw new IllegalStateException("a per-channel quantizer has " + channels() + " steps: use stepValues()");
        return step.data()[0];
    }

    /** A copy of the steps: one, or one per channel. */
    public float[] stepValues() {
        return step.data().clone();
    }

    /** 1 for a per-tensor quantizer, else the number of channels. */
    public int channels() {
        return step.size();
    }

    /** Sets every step to {@code s}. */
    public void setStep(double s) {
        requirePositive(s);
        Arrays.fill(step.leafData(), (float) s);
    }

    public int bits() {
        return bits;
    }

    public Signedness signedness() {
        return signedness;
    }

    /** Smallest code (bits must not be 32). */
    public int qn() {
        return signedness.qn(bits);
    }

    /** Largest code (bits must not be 32). */
    public int qp() {
        return signedness.qp(bits);
    }

    @Override
    public List<Tensor> parameters() {
        return bits == FULL_PRECISION ? List.of() : List.of(step);
    }

    private static void requirePositive(double s) {
        if (!(s > 0) || Double.isInfinite(s)) throw new IllegalArgumentException("step must be positive and finite, got " + s);
    }
}
