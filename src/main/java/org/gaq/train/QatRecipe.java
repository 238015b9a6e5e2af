package org.gaq.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

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
import org.gaq.quant.WeightQuantizer;

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
        GAQ("gaq"), NAIVE("naive"), DEGREE_QUANT("degree-quant");

        public final String cliName;

        Method(String cliName) {
            this.cliName = cliName;
        }

        public static Method parse(String name) {
            for (Method m : values()) if (m.cliName.equals(name)) return m;
            throw new IllegalArgumentException("--method must be gaq, naive or degree-quant, not '" + name + "'");
        }

        public String defaultVectorScheme() {
            return this == GAQ ? "mddq" : "componentwise";
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

    /** The quantization spec of {@code bits} (w8a8 or w4a8) with the given vector scheme (mddq, local-frame or componentwise) and switches. */
    public static QuantizationSpec spec(String bits, String vectorScheme, int directionBits, boolean geometricSte, boolean scalarOnly,
                                             boolean vectorOnly, QuantizationSpec.Calibration calibration) {
        int weightBits = switch (bits) {
            case "w8a8" -> 8;
            case "w4a8" -> 4;
            default -> throw new IllegalArgumentException("--bits must be w8a8 or w4a8, not '" + bits + "'");
        };
        QuantizationSpec.VectorScheme scheme = switch (vectorScheme) {
            case "mddq" -> QuantizationSpec.VectorScheme.MDDQ;
            case "componentwise" -> QuantizationSpec.VectorScheme.COMPONENTWISE;
            case "local-frame" -> QuantizationSpec.VectorScheme.LOCAL_FRAME;
            default -> throw new IllegalArgumentException("--vector-scheme must be mddq, local-frame or componentwise, not '" + vectorScheme + "'");
        };
        if (scalarOnly && vectorOnly) throw new IllegalArgumentException("--scalar-only and --vector-only exclude each other");
        return QuantizationSpec.builder().weightBits(vectorOnly ? 32 : weightBits).activationBits(vectorOnly ? 32 : 8).vectorScheme(scheme)
                .vectorBits(scalarOnly ? 32 : 8).directionBits(scalarOnly ? 32 : directionBits).geometricSte(geometricSte).calibration(calibration).build();
    }

    /** The method's spec for {@code bits} with its default vector scheme and calibration, 8 direction bits, nothing ablated. */
    public static QuantizationSpec spec(Method method, String bits) {
        return spec(bits, method.defaultVectorScheme(), 8, false, false, false, method.defaultCalibration());
    }

    /**
     * gaq's recommended recipe on top of the paper's GAQ (docs/results.md, "Beyond the paper"): the
     * identity gradient through every activation quantizer, the radial basis left FP32, and for W8A8
     * per-channel steps (folded into the int8 weights' rows; folded into int4 groups they lower the forces' error but
     * raise the energy's, docs/quantization.md), calibrated
     * on the whole training set ({@link #RECOMMENDED_CALIBRATION_FRAMES}). On ethanol it lowers GAQ W8A8's
     * errors from E 6.1 / F 10.0 / LEE 7.3 to 2.7 / 7.8 / 5.1 (docs/results.md).
     */
    public static QuantizationSpec recommendedSpec(String bits) {
        return recommended(spec(Method.GAQ, bits));
    }

    /** {@code base} (bits, vector scheme, direction bits, … as chosen) with the recommended recipe's changes on top. */
    public static QuantizationSpec recommended(QuantizationSpec base) {
        return base.withGradient(QuantizationSpec.Gradient.IDENTITY).withFullPrecisionSites(List.of(QuantizationSites.Activation.RBF_IN.key()))
                .withPerChannel(base.perChannel() || base.weightBits() == 8);
    }

    /**
     * Calibration frames of the recommended recipe: the whole training set. Min-max ranges over 64 frames
     * clip test-set activations that 950 frames would have covered (docs/quantization.md, "Fine-tuning recipe").
     */
    public static final int RECOMMENDED_CALIBRATION_FRAMES = Integer.MAX_VALUE;

    /**
     * The fine-tuning rate of {@link #recommendedSpec}: 4-bit weights have to move further than 8-bit ones,
     * and W8A8 gains nothing from a higher rate (docs/quantization.md, "Fine-tuning recipe").
     */
    public static float recommendedLr(String bits) {
        return bits.equals("w4a8") ? 1e-4f : 1e-5f;
    }

    /**
     * Epochs of the recommended recipe's second stage, fine-tuning with the weight codes frozen
     * ({@link #frozenStage}): 15 for W4A8, none for W8A8. The stage lets 4-bit weights' oscillating codes settle;
     * W8A8 gains nothing measurable from it (docs/quantization.md, "Frozen weight codes").
     */
    public static int recommendedFrozenEpochs(String bits) {
        return bits.equals("w4a8") ? 15 : 0;
    }

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

    public static WeightQuantizer.Range weightRange(String name) {
        return switch (name) {
            case "max" -> WeightQuantizer.Range.MAX_ABS;
            case "mse" -> WeightQuantizer.Range.MSE;
            default -> throw new IllegalArgumentException("--weight-range must be max or mse, not '" + name + "'");
        };
    }

    public static QuantizationSpec.Gradient gradient(String name) {
        return switch (name) {
            case "clipped" -> QuantizationSpec.Gradient.CLIPPED;
            case "identity" -> QuantizationSpec.Gradient.IDENTITY;
            default -> throw new IllegalArgumentException("--gradient must be clipped or identity, not '" + name + "'");
        };
    }

    public static QuantizationSpec.Calibration calibration(String name) {
        return switch (name) {
            case "min-max" -> QuantizationSpec.Calibration.MIN_MAX;
            case "percentile" -> QuantizationSpec.Calibration.PERCENTILE;
            case "mean-abs" -> QuantizationSpec.Calibration.MEAN_ABS;
            default -> throw new IllegalArgumentException("--calibration must be min-max, percentile or mean-abs, not '" + name + "'");
        };
    }

    /** Throws unless {@code model} (read from {@code what}) is fake-quantized, i.e. can be fine-tuned further. */
    public static void requireFakeQuantized(EquivariantTransformer model, Object what) {
        if (!(model.sites() instanceof QuantizationPlan)) {
            throw new IllegalArgumentException(what + " is not a fake-quantized model (quantize an FP32 model with gaq qat without --continue; "
                    + "an integer model cannot be trained)");
        }
    }

    /** Gives the fake-quantized {@code model} the vector scheme {@code name} (mddq or local-frame), keeping its steps. */
    public static void switchVectorScheme(EquivariantTransformer model, String name) {
        QuantizationPlan plan = (QuantizationPlan) model.sites();
        QuantizationSpec.VectorScheme scheme = spec("w8a8", name, 8, false, false, false, QuantizationSpec.Calibration.MIN_MAX).vectorScheme();
        model.setSites(plan.withVectorScheme(scheme));
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
