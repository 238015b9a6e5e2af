package org.gaq.cli;

import org.gaq.quant.QuantizationSpec.Calibration;
import org.gaq.quant.QuantizationSpec.Gradient;
import org.gaq.quant.QuantizationSpec.VectorScheme;
import org.gaq.quant.WeightQuantizer;
import org.gaq.train.QatRecipe;

/** The command line's names of quantization settings (w8a8, local-frame, min-max, …) and what they stand for. */
final class QuantizationNames {
    private QuantizationNames() {}

    static QatRecipe.Bits bits(String name) {
        for (QatRecipe.Bits b : QatRecipe.Bits.values()) if (b.cliName().equals(name)) return b;
        throw new IllegalArgumentException("--bits must be w8a8 or w4a8, not '" + name + "'");
    }

    static QatRecipe.Method method(String name) {
        return switch (name) {
            case "gaq" -> QatRecipe.Method.GAQ;
            case "naive" -> QatRecipe.Method.NAIVE;
            case "degree-quant" -> QatRecipe.Method.DEGREE_QUANT;
            default -> throw new IllegalArgumentException("--method must be gaq, naive or degree-quant, not '" + name + "'");
        };
    }

    static VectorScheme vectorScheme(String name) {
        return switch (name) {
            case "mddq" -> VectorScheme.MDDQ;
            case "componentwise" -> VectorScheme.COMPONENTWISE;
            case "local-frame" -> VectorScheme.LOCAL_FRAME;
            default -> throw new IllegalArgumentException("--vector-scheme must be mddq, local-frame or componentwise, not '" + name + "'");
        };
    }

    static Calibration calibration(String name) {
        return switch (name) {
            case "min-max" -> Calibration.MIN_MAX;
            case "percentile" -> Calibration.PERCENTILE;
            case "mean-abs" -> Calibration.MEAN_ABS;
            default -> throw new IllegalArgumentException("--calibration must be min-max, percentile or mean-abs, not '" + name + "'");
        };
    }

    static Gradient gradient(String name) {
        return switch (name) {
            case "clipped" -> Gradient.CLIPPED;
            case "identity" -> Gradient.IDENTITY;
            default -> throw new IllegalArgumentException("--gradient must be clipped or identity, not '" + name + "'");
        };
    }

    static WeightQuantizer.Range weightRange(String name) {
        return switch (name) {
            case "max" -> WeightQuantizer.Range.MAX_ABS;
            case "mse" -> WeightQuantizer.Range.MSE;
            default -> throw new IllegalArgumentException("--weight-range must be max or mse, not '" + name + "'");
        };
    }
}
