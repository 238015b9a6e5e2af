package org.gaq.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.gaq.data.Dataset;
import org.gaq.data.Split;
import org.gaq.model.ActivationSites;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.QuantizationSites;
import org.gaq.quant.Calibrator;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.ProtectiveMasking;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;

/**
 * How quantization-aware fine-tuning is set up, shared by {@code gaq qat}, {@code gaq ptq} and {@code gaq demo}:
 * the quantization spec of a bit width and method, calibration of a fresh plan on training frames, and the
 * trainer options of a fine-tuning run.
 */
public final class QatRecipe {
    private QatRecipe() {}

    /** Degree-Quant's protection probabilities (Tailor et al. search p_max in 0.1..0.2 with p_min 0). */
    public static final double DEGREE_QUANT_P_MIN = 0.0, DEGREE_QUANT_P_MAX = 0.2;

    /**
     * The fine-tuning methods. {@link #GAQ} is the paper's recipe (MDDQ vectors, scalar-only warm-up, LEE
     * regulariser); the others are the baselines (component-wise vectors, everything quantized from the first
     * step, no LEE; Degree-Quant adds percentile ranges and protective masking).
     */
    public enum Method {
        GAQ, NAIVE, DEGREE_QUANT;

        public QuantizationSpec.VectorScheme defaultVectorScheme() {
            return this == GAQ ? QuantizationSpec.VectorScheme.MDDQ : QuantizationSpec.VectorScheme.COMPONENTWISE;
        }

        public QuantizationSpec.Calibration defaultCalibration() {
            return this == DEGREE_QUANT ? QuantizationSpec.Calibration.PERCENTILE : QuantizationSpec.Calibration.MIN_MAX;
        }

        public float defaultLeeWeight() {
            return this == GAQ ? 0.01f : 0f;
        }

        public int defaultVectorWarmupEpochs() {
            return this == GAQ ? 3 : 0;
        }
    }

    /** The two bit widths of the paper: weights at 8 or 4 bits, activations at 8. */
    public enum Bits {
        W8A8(8), W4A8(4);

        private final int weightBits;

        Bits(int weightBits) {
            this.weightBits = weightBits;
        }

        public int weightBits() {
            return weightBits;
        }

        /** "w8a8" or "w4a8", as the command line and run folders name it. */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The fine-tuning rate of {@link #recommendedSpec}: 4-bit weights have to move further than 8-bit ones,
         * and W8A8 gains nothing from a higher rate (docs/quantization.md, "Fine-tuning recipe").
         */
        public float recommendedLr() {
            return this == W4A8 ? 1e-4f : 1e-5f;
        }

        /**
         * Epochs of the recommended recipe's second stage, fine-tuning with the weight codes frozen
         * ({@link #frozenStage}): 15 for W4A8, none for W8A8. The stage lets 4-bit weights' oscillating codes settle;
         * W8A8 gains nothing measurable from it (docs/quantization.md, "Frozen weight codes").
         */
        public int recommendedFrozenEpochs() {
            return this == W4A8 ? 15 : 0;
        }
    }

    /** Every branch quantized at {@code bits}: int8 activations, 8-bit MDDQ magnitudes and directions (or components). */
    public static QuantizationSpec spec(Bits bits, QuantizationSpec.VectorScheme vectorScheme, QuantizationSpec.Calibration calibration) {
        return QuantizationSpec.builder().weightBits(bits.weightBits()).vectorScheme(vectorScheme).calibration(calibration).build();
    }

    /** The method's spec for {@code bits} with its default vector scheme and calibration, nothing ablated. */
    public static QuantizationSpec spec(Method method, Bits bits) {
        return spec(bits, method.defaultVectorScheme(), method.defaultCalibration());
    }

    /** The ablation that quantizes the scalar branch only (weights and scalar activations; vectors FP32). */
    public static QuantizationSpec scalarBranchOnly(QuantizationSpec spec) {
        return spec.toBuilder().vectorBits(32).directionBits(32).build();
    }

    /** The ablation that quantizes the vector branch only (scalar activations and weights FP32). */
    public static QuantizationSpec vectorBranchOnly(QuantizationSpec spec) {
        return spec.toBuilder().weightBits(32).activationBits(32).build();
    }

    /**
     * gaq's recommended recipe on top of the paper's GAQ (docs/results.md, "Beyond the paper"): the
     * identity gradient through every activation quantizer, the radial basis and the scalar message left FP32 ({@link #RECOMMENDED_FULL_PRECISION_SITES}),
     * and for W8A8 per-channel steps (folded into the int8 weights' rows; folded into int4 groups they lower the forces' error but
     * raise the energy's, docs/quantization.md), calibrated
     * on the whole training set ({@link #RECOMMENDED_CALIBRATION_FRAMES}), and MDDQ's direction grid in each atom's local frame
     * ({@code LOCAL_FRAME}: rounding then commutes with rotations; on ethanol the LEE fell from 5.1 to 0.085 meV/Å at the same
     * accuracy, docs/results.md "Local-frame MDDQ"). On ethanol its first form (the radial basis alone in FP32)
     * lowered GAQ W8A8's errors from E 6.1 / F 10.0 / LEE 7.3 to 2.7 / 7.8 / 5.1 (docs/results.md).
     */
    public static QuantizationSpec recommendedSpec(Bits bits) {
        return recommended(spec(Method.GAQ, bits));
    }

    /**
     * {@code base} (bits, direction bits, … as chosen) with the recommended recipe's changes on top; laboratory-frame MDDQ
     * vectors move to local frames (a caller who wants the laboratory grid sets it again afterwards, as {@code gaq qat
     * --vector-scheme mddq} does).
     */
    public static QuantizationSpec recommended(QuantizationSpec base) {
        QuantizationSpec.VectorScheme vectors = base.vectorScheme() == QuantizationSpec.VectorScheme.MDDQ
                ? QuantizationSpec.VectorScheme.LOCAL_FRAME : base.vectorScheme();
        return base.withGradient(QuantizationSpec.Gradient.IDENTITY).withFullPrecisionSites(RECOMMENDED_FULL_PRECISION_SITES)
                .withPerChannel(base.perChannel() || base.weightBits() == 8).withVectorScheme(vectors);
    }

    /**
     * The activation sites the recommended recipe leaves in FP32: every layer's radial basis (the most expensive site to
     * round to int8, and in FP32 the radial channels become a table; docs/results.md) and the aggregated scalar message
     * Δh entering the output projection W_o, whose int8 rounding is the largest share of the energy error: in FP32 it
     * takes 19–61% off the W8A8 energy error of the Table II models and 76% off ethanol's W4A8, forces within ±4%
     * (docs/quantization.md, "Where the W8A8 energy error comes from").
     */
    public static final List<String> RECOMMENDED_FULL_PRECISION_SITES =
            List.of(QuantizationSites.Activation.RBF_IN.key(), QuantizationSites.Activation.SCALAR_MESSAGE.key());

    /**
     * Calibration frames of the recommended recipe: the whole training set. Min-max ranges over 64 frames
     * clip test-set activations that 950 frames would have covered (docs/quantization.md, "Fine-tuning recipe").
     */
    public static final int RECOMMENDED_CALIBRATION_FRAMES = Integer.MAX_VALUE;

    /**
     * Plateau patience of the frozen-codes stage, whatever the first stage's: the stage is short, and its
     * learning rate should halve after 3 epochs without improvement (the setting of the models in
     * docs/quantization.md, "Frozen weight codes").
     */
    public static final int FROZEN_STAGE_PATIENCE = 3;

    /**
     * The frozen-codes stage: the fake-quantized model in {@code from} (its plan and steps as they are) trained
     * further with its quantized weights fixed, so only the continuous parameters move ({@link Trainer#freezeQuantizedWeightsFrom}).
     */
    public static Trainer frozenStage(Path from, Split split, Trainer.Options options, Path runDir, PrintStream log) throws IOException {
        EquivariantTransformer model = ModelFiles.load(from);
        requireFakeQuantized(model, from);
        return Trainer.startQat(model, split, options, runDir, log).freezeQuantizedWeightsFrom(0);
    }

    /** Throws unless {@code model} (read from {@code what}) is fake-quantized, i.e. can be fine-tuned further. */
    public static void requireFakeQuantized(EquivariantTransformer model, Object what) {
        if (!(model.sites() instanceof QuantizationPlan)) {
            throw new IllegalArgumentException(what + " is not a fake-quantized model (quantize an FP32 model with gaq qat without --continue; "
                    + "an integer model cannot be trained)");
        }
    }

    /** Gives the fake-quantized {@code model} the vector scheme {@code scheme} (MDDQ ↔ local-frame MDDQ), keeping its steps. */
    public static void switchVectorScheme(EquivariantTransformer model, QuantizationSpec.VectorScheme scheme) {
        model.setSites(((QuantizationPlan) model.sites()).withVectorScheme(scheme));
    }

    /**
     * Turns the fake-quantized {@code model} (read from {@code what}) into the FP32 model of its latent weights, to be
     * quantized anew: the same weight quantizer then gives the same codes.
     */
    public static void dropPlan(EquivariantTransformer model, Object what) {
        requireFakeQuantized(model, what);
        model.setSites(ActivationSites.FP32);
    }

    /** Throws unless {@code model} (read from {@code what}) is an FP32 model. */
    public static void requireFp32(EquivariantTransformer model, Object what) {
        if (model.sites() != ActivationSites.FP32) {
            throw new IllegalArgumentException(what + " is already quantized; start from an FP32 model");
        }
    }

    /**
     * Attaches a fresh quantization plan of {@code spec} to {@code model} and calibrates it on the first
     * {@code frames} training frames (Degree-Quant also gets its protective masking). Returns the number of
     * frames used.
     */
    public static int calibrate(EquivariantTransformer model, QuantizationSpec spec, Method method, Dataset train, int frames) {
        int n = Math.min(frames, train.size());
        QuantizationPlan plan = Calibrator.calibrate(model, spec, train.frames().subList(0, n), 8);
        if (method == Method.DEGREE_QUANT) plan.setProtectiveMasking(new ProtectiveMasking(DEGREE_QUANT_P_MIN, DEGREE_QUANT_P_MAX));
        return n;
    }

    /**
     * Fine-tuning options: {@code lr} reached by a linear warm-up over the first epoch (a fresh Adam's first
     * updates are ±lr on every weight at once, which knocks the converged model far off; docs/quantization.md,
     * "Fine-tuning recipe"), decay on plateau down to lr/100, the energy's share of the loss
     * {@link #DEFAULT_ENERGY_WEIGHT}, no weight average (what is validated and saved is what the codes round); the
     * caller sets the length, budget and QAT terms.
     */
    public static Trainer.Options.Builder fineTuning(float lr) {
        return energyShare(Trainer.Options.builder().learningRate(lr).minLearningRate(lr / 100).warmupEpochs(1).plateauFactor(0.5f)
                .weightDecay(0f).weightAverageDecay(0f), DEFAULT_ENERGY_WEIGHT);
    }

    /** The energy's share of the loss (the forces get 1 − it), as in FP32 training. */
    public static final float DEFAULT_ENERGY_WEIGHT = 0.01f;

    /** The energy's share {@code energyWeight} of the loss, the forces the rest (--energy-weight of gaq qat). */
    public static Trainer.Options.Builder energyShare(Trainer.Options.Builder options, float energyWeight) {
        if (!(energyWeight > 0 && energyWeight < 1)) throw new IllegalArgumentException("--energy-weight must be in (0, 1), got " + energyWeight);
        return options.energyWeight(energyWeight).forceWeight(1 - energyWeight);
    }
}
