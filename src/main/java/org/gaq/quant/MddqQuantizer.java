package org.gaq.quant;

import java.util.List;

import org.gaq.tensor.Functional;
import org.gaq.tensor.StraightThrough;
import org.gaq.tensor.Tensor;

/**
 * Magnitude–direction decoupled quantization (MDDQ, paper §III-B) of vector features h of shape
 * [N, 3, F] — one 3-vector per (atom, channel), components along axis 1:
 * <pre>
 *   r = ‖h‖,   û = h / r,
 *   Q(h) = Q_r(r) · Q_d(û) / ‖Q_d(û)‖,
 *   Q_r(r) = round(clamp(r / s_r, 0, 2^{b_r}−1)) · s_r          (unsigned LSQ, learned s_r)
 *   Q_d(û) = round(û / δ) · δ,   δ = 1/(2^{b_d−1}−1)            (per component on [−1, 1], fixed)
 * </pre>
 * ‖Q(h)‖ = Q_r(r) exactly, and the direction is û snapped to the cubic grid and renormalised,
 * so a short vector keeps its direction (per-component rounding would collapse or skew it).
 * No clamp is needed in Q_d: |û_i| ≤ 1, and a float overshoot of 1 still rounds to the top code.
 *
 * <p>Gradients are straight through the roundings and exact through the norms and the
 * normalisations (paper: keeping the normalisation differentiable matters). With
 * {@code geometricSte} (paper v2) the gradient reaching û from Q_d is projected onto the sphere's
 * tangent space at û, g − (g·û)û. Because û = h/‖h‖ is itself a normalisation, whose Jacobian
 * (I − ûûᵀ)/r already removes the radial part, this leaves ∂/∂h unchanged; it differs only where a
 * caller feeds {@link #quantizeDirection} a direction that is not an exact normalisation.
 *
 * <p>Zero vectors: ‖h‖² &lt; {@link #MIN_NORM_SQUARED} is treated as zero. Such vectors are replaced by
 * a unit vector before the norm (so no 1/r blows up, not even in second derivatives) and the result
 * is multiplied by a constant 0 mask: Q(0) = 0 exactly, with gradient 0 (the "double where" trick).
 * Any vector that short quantizes to 0 anyway unless s_r &lt; 2·10⁻¹².
 */
public final class MddqQuantizer extends FakeQuantizer {
    /** ‖h‖ below 1e-12 counts as the zero vector. */
    public static final double MIN_NORM_SQUARED = 1e-24;

    private final LsqQuantizer magnitude;
    private final int directionBits;
    private final boolean geometricSte;

    /**
     * @param magnitudeBits  bits of the unsigned magnitude quantizer (32 = not quantized)
     * @param directionBits  bits per direction component (2..16, or 32 = not quantized)
     * @param initialMagnitudeStep  s_r before calibration/training
     * @param geometricSte  project the direction gradient onto the sphere's tangent space
     */
    public MddqQuantizer(int magnitudeBits, int directionBits, double initialMagnitudeStep, boolean geometricSte) {
        this(magnitudeBits, directionBits, new double[]{initialMagnitudeStep}, geometricSte);
    }

    /** With one magnitude step per channel (the last axis of h [N, 3, F]). */
    public MddqQuantizer(int magnitudeBits, int directionBits, double[] magnitudeSteps, boolean geometricSte) {
        if (directionBits != LsqQuantizer.FULL_PRECISION) Signedness.checkBits(directionBits);
        this.magnitude = new LsqQuantizer(magnitudeBits, Signedness.UNSIGNED, magnitudeSteps);
        this.directionBits = directionBits;
        this.geometricSte = geometricSte;
    }

    public MddqQuantizer(int magnitudeBits, int directionBits, double initialMagnitudeStep) {
        this(magnitudeBits, directionBits, initialMagnitudeStep, false);
    }

    @Override
    public Tensor apply(Tensor h) {
        requireVectorShape(h, "MddqQuantizer");
        if (magnitude.bits() == LsqQuantizer.FULL_PRECISION && directionBits == LsqQuantizer.FULL_PRECISION) {
            return h;
        }
        int n = h.dim(0), f = h.dim(2);
        float[] nonZero = new float[n * f];                 // [N, 1, F]: 1 for real vectors, 0 for zero ones
        float[] unitFill = new float[n * 3 * f];            // [N, 3, F]: e_x where h = 0
        float[] hv = h.data();
        for (int a = 0; a < n; a++) {
            for (int c = 0; c < f; c++) {
                double sq = 0;
                for (int k = 0; k < 3; k++) {
                    double v = hv[(a * 3 + k) * f + c];
                    sq += v * v;
                }
                boolean zero = sq < MIN_NORM_SQUARED;
                nonZero[a * f + c] = zero ? 0f : 1f;
                if (zero) unitFill[(a * 3) * f + c] = 1f;
            }
        }
        Tensor mask = Tensor.of(nonZero, n, 1, f);
        Tensor hSafe = h.add(Tensor.of(unitFill, n, 3, f));

        Tensor r = Functional.norm(hSafe, 1, true, 0f);               // [N, 1, F], > 0
        Tensor u = hSafe.div(r);                                       // û, unit
        Tensor rq = magnitude.apply(r);                                // Q_r(r)
        Tensor d = directionBits == LsqQuantizer.FULL_PRECISION ? u : quantizeDirection(u, directionBits, geometricSte);
        Tensor direction = d.div(Functional.norm(d, 1, true, 0f));     // Q_d(û)/‖Q_d(û)‖, ‖Q_d(û)‖ ≥ δ·round(1/(√3δ)) > 0
        return direction.mul(rq).mul(mask);
    }

    /**
     * Q_d(û) = round(û/δ)·δ per component, δ = 1/(2^{b−1}−1), straight through; with {@code geometric}
     * the backward is the tangent projection g − (g·û)û (per vector, over axis 1), itself written in
     * differentiable ops so it can be differentiated again.
     */
    public static Tensor quantizeDirection(Tensor u, int bits, boolean geometric) {
        requireVectorShape(u, "quantizeDirection");
        float levels = Signedness.SIGNED.qp(bits);                     // 1/δ
        if (!geometric) return StraightThrough.roundSte(u.mul(levels)).mul(1f / levels);
        return StraightThrough.apply("mddqDirectionGeometricSte", new StraightThrough.CustomOp() {
            @Override
            public Tensor forward(Tensor[] in) {
                return StraightThrough.roundSte(in[0].mul(levels)).mul(1f / levels);
            }

            @Override
            public Tensor[] backward(Tensor g, Tensor[] in, Tensor out) {
                Tensor unit = in[0];
                Tensor radial = g.mul(unit).sum(1, true);              // g·û, [N, 1, F]
                return new Tensor[]{g.sub(radial.mul(unit))};
            }
        }, u);
    }

    /** ‖h‖ over the component axis, [N, 3, F] → [N, 1, F], as values for calibrating s_r. */
    public static Tensor magnitudes(Tensor h) {
        requireVectorShape(h, "magnitudes");
        return Functional.norm(h.detach(), 1, true, 0f);
    }

    /** The magnitude quantizer Q_r (its step s_r is this quantizer's only parameter). */
    public LsqQuantizer magnitude() {
        return magnitude;
    }

    public int directionBits() {
        return directionBits;
    }

    /** δ, the fixed direction step, or 0 if directions are not quantized. */
    public double directionStep() {
        return directionBits == LsqQuantizer.FULL_PRECISION ? 0 : 1.0 / Signedness.SIGNED.qp(directionBits);
    }

    public boolean geometricSte() {
        return geometricSte;
    }

    @Override
    public List<Tensor> parameters() {
        return magnitude.parameters();
    }

    static void requireVectorShape(Tensor h, String what) {
        if (h.rank() != 3 || h.dim(1) != 3) {
            throw new IllegalArgumentException(what + ": expected vector features [N, 3, F], got shape " + java.util.Arrays.toString(h.shape()));
        }
    }
}
