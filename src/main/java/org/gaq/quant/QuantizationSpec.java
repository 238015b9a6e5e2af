package org.gaq.quant;

import org.gaq.model.QuantizationSites;

import java.util.ArrayList;
import java.util.List;

/**
 * What to quantize and how (the QConfig of {@code torch.ao.quantization}): bits per branch, the vector scheme, the
 * calibration and the gradient. Immutable; build one by name ({@link #builder()}, {@link #toBuilder()}) or start from
 * a named recipe ({@link #w8a8()}, {@link #w4a8()}, {@link #naivePtq()}, {@link #fp32()}). A {@link QuantizationPlan}
 * applies it to a model's sites ({@code org.gaq.model.QuantizationSites}).
 *
 * @param weightBits     8 (per-channel int8), 4 (int4, groups of 32) or 32 (weights not quantized)
 * @param activationBits bits of scalar activations (32: not quantized)
 * @param vectorScheme   MDDQ (the paper) or COMPONENTWISE (naive baseline)
 * @param vectorBits     magnitude bits of MDDQ, or component bits of the naive scheme (32: not quantized)
 * @param directionBits  bits per direction component of MDDQ (the paper: 8); 0 means "as vectorBits"
 * @param geometricSte   MDDQ's direction gradient projected on the sphere's tangent space (paper v2)
 * @param calibration    how initial steps come from the calibration data
 * @param perChannel     one step per channel (min-max) at the scalar sites that feed a weight (folded into
 *                       the weight's rows, see {@link ChannelMaxObserver}) and for MDDQ magnitudes
 * @param fullPrecisionSites activation sites left in FP32 (mixed precision): a site name
 *                       ("layers.2.rbf_in") or the part after the layer ("rbf_in": that site in every layer)
 * @param gradient       the activation quantizers' derivative (null, as in files from before the field: CLIPPED)
 * @param weightRange    how the weights' scales are chosen (null, as in files from before the field: MAX_ABS)
 */
public record QuantizationSpec(int weightBits, int activationBits, VectorScheme vectorScheme, int vectorBits, int directionBits,
                               boolean geometricSte, Calibration calibration, boolean perChannel, List<String> fullPrecisionSites,
                               Gradient gradient, WeightQuantizer.Range weightRange) {
    public QuantizationSpec {
        if (gradient == null) gradient = Gradient.CLIPPED;
        if (weightRange == null) weightRange = WeightQuantizer.Range.MAX_ABS;
        if (perChannel && calibration != Calibration.MIN_MAX) throw new IllegalArgumentException("per-channel steps are calibrated by min-max only");
        if (directionBits == 0) directionBits = vectorBits;   // files written before the field existed
        fullPrecisionSites = fullPrecisionSites == null ? List.of() : List.copyOf(fullPrecisionSites);
        for (String site : fullPrecisionSites) {
            if (QuantizationSites.activationKey(site).isEmpty() && QuantizationSites.activation(site).isEmpty()) {
                throw new IllegalArgumentException("not a site name: '" + site + "' (a site of every layer, one of "
                        + QuantizationSites.activationKeys() + ", or of one layer, as layers.0.rbf_in)");
            }
        }
        if (directionBits < 2 || directionBits > 32) throw new IllegalArgumentException("direction bits must be 2..32, got " + directionBits);
        if (weightBits != 4 && weightBits != 8 && weightBits != 32) throw new IllegalArgumentException("weight bits must be 4, 8 or 32, got " + weightBits);
        if (activationBits < 2 || activationBits > 32) throw new IllegalArgumentException("activation bits must be 2..32, got " + activationBits);
        if (vectorBits < 2 || vectorBits > 32) throw new IllegalArgumentException("vector bits must be 2..32, got " + vectorBits);
        if (vectorScheme == null || calibration == null) throw new IllegalArgumentException("vector scheme and calibration are required");
    }

    /** A spec by name; what is not set is the paper's GAQ W8A8 (MDDQ 8 + 8 bits, min-max calibration, clipped gradient). */
    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().weightBits(weightBits).activationBits(activationBits).vectorScheme(vectorScheme).vectorBits(vectorBits)
                .directionBits(directionBits).geometricSte(geometricSte).calibration(calibration).perChannel(perChannel)
                .fullPrecisionSites(fullPrecisionSites).gradient(gradient).weightRange(weightRange);
    }

    public static final class Builder {
        private int weightBits = 8, activationBits = 8, vectorBits = 8, directionBits = 0;
        private VectorScheme vectorScheme = VectorScheme.MDDQ;
        private boolean geometricSte, perChannel;
        private Calibration calibration = Calibration.MIN_MAX;
        private List<String> fullPrecisionSites = List.of();
        private Gradient gradient = Gradient.CLIPPED;
        private WeightQuantizer.Range weightRange = WeightQuantizer.Range.MAX_ABS;

        private Builder() {}

        public Builder weightBits(int v) { weightBits = v; return this; }
        public Builder activationBits(int v) { activationBits = v; return this; }
        public Builder vectorScheme(VectorScheme v) { vectorScheme = v; return this; }
        public Builder vectorBits(int v) { vectorBits = v; return this; }
        /** Bits per direction component of MDDQ; 0 (the default): as many as the magnitude's. */
        public Builder directionBits(int v) { directionBits = v; return this; }
        public Builder geometricSte(boolean v) { geometricSte = v; return this; }
        public Builder calibration(Calibration v) { calibration = v; return this; }
        public Builder perChannel(boolean v) { perChannel = v; return this; }
        public Builder fullPrecisionSites(List<String> v) { fullPrecisionSites = v; return this; }
        public Builder gradient(Gradient v) { gradient = v; return this; }
        public Builder weightRange(WeightQuantizer.Range v) { weightRange = v; return this; }

        public QuantizationSpec build() {
            return new QuantizationSpec(weightBits, activationBits, vectorScheme, vectorBits, directionBits, geometricSte, calibration,
                    perChannel, fullPrecisionSites, gradient, weightRange);
        }
    }

    /** This spec with {@code sites} left in FP32 (see {@link #fullPrecisionSites}). */
    public QuantizationSpec withFullPrecisionSites(List<String> sites) {
        return toBuilder().fullPrecisionSites(sites).build();
    }

    /** This spec with the activation quantizers' derivative {@code g}. */
    public QuantizationSpec withGradient(Gradient g) {
        return toBuilder().gradient(g).build();
    }

    /** This spec with per-channel steps on or off (see {@link #perChannel}). */
    public QuantizationSpec withPerChannel(boolean on) {
        return toBuilder().perChannel(on).build();
    }

    /** This spec with {@code bits}-bit scalar activations (the integer engine runs 8 only). */
    public QuantizationSpec withActivationBits(int bits) {
        return toBuilder().activationBits(bits).build();
    }

    /** This spec with {@code bits}-bit vector activations: MDDQ magnitudes, or the naive scheme's components. */
    public QuantizationSpec withVectorBits(int bits) {
        return toBuilder().vectorBits(bits).build();
    }

    /** This spec with vector scheme {@code v}. */
    public QuantizationSpec withVectorScheme(VectorScheme v) {
        return toBuilder().vectorScheme(v).build();
    }

    /** This spec with the weights' scales chosen by {@code r}. */
    public QuantizationSpec withWeightRange(WeightQuantizer.Range r) {
        return toBuilder().weightRange(r).build();
    }

    /**
     * The recipe's name and its settings for a reader, e.g. "GAQ W8A8: MDDQ vectors (8-bit magnitudes, 8-bit
     * directions), min-max calibration, per-channel steps, identity gradient, FP32 sites rbf_in". Settings at their
     * paper defaults (clipped straight-through gradient, max-abs weight scales, …) are not listed.
     */
    public String description() {
        List<String> parts = new ArrayList<>();
        parts.add(switch (vectorScheme) {
            case MDDQ, LOCAL_FRAME -> vectorBits >= 32 ? "FP32 vectors"
                    : (vectorScheme == VectorScheme.LOCAL_FRAME ? "local-frame " : "") + (directionBits == vectorBits
                    ? "MDDQ vectors (" + vectorBits + "-bit magnitudes and directions)"
                    : "MDDQ vectors (" + vectorBits + "-bit magnitudes, " + directionBits + "-bit directions)");
            case COMPONENTWISE -> vectorBits >= 32 ? "FP32 vectors" : "component-wise " + vectorBits + "-bit vectors";
        });
        if (geometricSte) parts.add("geometric direction gradient");
        parts.add(switch (calibration) {
            case MEAN_ABS -> "mean-|x| calibration";
            case MIN_MAX -> "min-max calibration";
            case PERCENTILE -> "99.9th-percentile calibration";
        });
        if (perChannel) parts.add("per-channel steps");
        if (gradient == Gradient.IDENTITY) parts.add("identity gradient");
        if (weightRange == WeightQuantizer.Range.MSE) parts.add("MSE weight scales");
        if (!fullPrecisionSites.isEmpty()) parts.add("FP32 sites " + String.join(", ", fullPrecisionSites));
        // MDDQ (in either frame) is GAQ's; component-wise vectors are the naive and Degree-Quant baselines' (told apart by calibration).
        String name = (vectorScheme.quantizesMagnitudes() ? "GAQ " : "") + "W" + weightBits + "A" + activationBits;
        return name + ": " + String.join(", ", parts);
    }

    /** True if {@code site} gets one step per channel: a weight's input, or an MDDQ vector site. */
    public boolean isPerChannel(String site, boolean vector) {
        if (!perChannel) return false;
        return vector ? vectorScheme.quantizesMagnitudes()
                : QuantizationSites.activation(site).map(s -> s.what().feedsAWeight()).orElse(false);
    }

    /** True if {@code site} ("layers.L.name") is one of {@link #fullPrecisionSites}. */
    public boolean isFullPrecision(String site) {
        for (String s : fullPrecisionSites) {
            if (site.equals(s) || site.endsWith("." + s)) return true;
        }
        return false;
    }

    /** Naive post-training quantization: per-component int8 everywhere, min-max ranges. */
    public static QuantizationSpec naivePtq() {
        return builder().vectorScheme(VectorScheme.COMPONENTWISE).build();
    }

    /** The paper's GAQ W8A8: per-channel int8 weights, int8 scalars, MDDQ vectors with 8-bit magnitudes and directions. */
    public static QuantizationSpec w8a8() {
        return builder().build();
    }

    /** The paper's GAQ W4A8: int4 weights in groups of 32, otherwise as {@link #w8a8()}. */
    public static QuantizationSpec w4a8() {
        return builder().weightBits(4).build();
    }

    /** Everything at 32 bits: the plan must then reproduce the FP32 model exactly. */
    public static QuantizationSpec fp32() {
        return builder().weightBits(32).activationBits(32).vectorBits(32).calibration(Calibration.MEAN_ABS).build();
    }

    /** How vector (ℓ = 1) activations are quantized. */
    public enum VectorScheme {
        /** The paper's magnitude + direction quantization, the direction grid fixed in the laboratory frame. */
        MDDQ,
        /** The naive baseline: each Cartesian component on its own. */
        COMPONENTWISE,
        /** MDDQ in each atom's local frame ({@link LocalFrameQuantizer}): exactly equivariant. */
        LOCAL_FRAME;

        /** True if the learned step is a magnitude's (unsigned, calibrated on ‖h‖), false if the components'. */
        public boolean quantizesMagnitudes() {
            return this != COMPONENTWISE;
        }
    }

    /**
     * The derivative of an activation quantizer that the backward pass (forces, and training through them)
     * uses. Forces are derivatives, so this choice defines the quantized model's forces.
     */
    public enum Gradient {
        /**
         * The paper's and LSQ's straight-through estimator: round is the identity, clamp passes the gradient
         * only inside the range, and MDDQ is differentiated exactly through ‖h‖ and the renormalisation, which
         * scales the tangential derivative of a vector by Q_r(r)/r (0 for a vector that rounds to zero).
         */
        CLIPPED,
        /**
         * ∂Q(x)/∂x = I for every activation quantizer: the forces are the FP32 model's derivative evaluated at
         * the quantized activations, with nothing cut by a clip range or a magnitude rounding, which lowers the
         * force error and the LEE (docs/quantization.md, "The identity gradient").
         */
        IDENTITY
    }

    /** How the initial steps are chosen from calibration data. */
    public enum Calibration {
        /**
         * LSQ's 2·mean|x|/√Qp. A poor start for this model: its steps are several times coarser than max|x|/Qp
         * at the attention queries and the radial basis, so QAT starts from MIN_MAX (docs/quantization.md,
         * "Fine-tuning recipe").
         */
        MEAN_ABS,
        /** max|x|/Qp: naive post-training quantization, and the start of QAT (LSQ then learns the steps). */
        MIN_MAX,
        /** 99.9th percentile of |x| / Qp: Degree-Quant's robust ranges. */
        PERCENTILE;

        Observer observer(Signedness s) {
            return switch (this) {
                case MEAN_ABS -> new MeanAbsObserver(s);
                case MIN_MAX -> new MinMaxObserver(s);
                case PERCENTILE -> new PercentileObserver(s, 99.9);
            };
        }
    }
}
