package org.gaq.quant;

import java.util.List;

import org.gaq.tensor.StraightThrough;
import org.gaq.tensor.Tensor;

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
 * The step s is a leaf tensor of shape [1] (a trainable parameter). Signed: [Qn, Qp] = ±(2^{b−1}−1);
 * unsigned (magnitudes): [0, 2^b−1]. With {@code bits = 32} or when disabled it is the identity.
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
        if (bits != FULL_PRECISION) Signedness.checkBits(bits);
        requirePositive(initialStep);
        this.bits = bits;
        this.signedness = signedness;
        this.step = Tensor.leaf(new float[]{(float) initialStep}, 1);
    }

    public static LsqQuantizer signed(int bits, double initialStep) {
        return new LsqQuantizer(bits, Signedness.SIGNED, initialStep);
    }

    public static LsqQuantizer unsigned(int bits, double initialStep) {
        return new LsqQuantizer(bits, Signedness.UNSIGNED, initialStep);
    }

    @Override
    public Tensor apply(Tensor x) {
        if (!isEnabled() || bits == FULL_PRECISION) return x;
        float gradScale = (float) (1.0 / Math.sqrt((double) qp() * x.size()));
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

    /** The learned step s, a leaf of shape [1]. */
    public Tensor step() {
        return step;
    }

    public float stepValue() {
        return step.data()[0];
    }

    public void setStep(double s) {
        requirePositive(s);
        step.leafData()[0] = (float) s;
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
