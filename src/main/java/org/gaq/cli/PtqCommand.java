package org.gaq.cli;

import org.gaq.data.Split;
import org.gaq.model.ActivationSites;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Post-training quantization baselines: calibrate on training frames, no fine-tuning. */
@Command(name = "ptq", mixinStandardHelpOptions = true,
        description = "Post-training quantization of an FP32 model (no training): naive (per-component int8, min-max), "
                + "percentile (Degree-Quant's robust ranges) or mddq (MDDQ vectors, min-max).")
public final class PtqCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "FP32_MODEL") Path from;
    @Mixin DataOptions data;
    @Option(names = "--method", defaultValue = "naive", description = "naive, percentile or mddq (default: ${DEFAULT-VALUE})") String method;
    @Option(names = "--bits", defaultValue = "w8a8", description = "w8a8 or w4a8 (default: ${DEFAULT-VALUE})") String bits;
    @Option(names = "--direction-bits", defaultValue = "8", description = "mddq: bits per direction component (default: ${DEFAULT-VALUE})") int directionBits;
    @Option(names = "--scalar-only", description = "quantize the scalar branch only (vectors FP32)") boolean scalarOnly;
    @Option(names = "--vector-only", description = "quantize the vector branch only (scalar activations and weights FP32)") boolean vectorOnly;
    @Option(names = "--calibration", description = "override the method's ranges: min-max, percentile or mean-abs") String calibration;
    @Option(names = "--calibration-frames", defaultValue = "64") int calibrationFrames;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "the quantized model (.safetensors)") Path out;

    @Override
    public Integer call() throws Exception {
        EquivariantTransformer model = ModelFiles.load(from);
        if (model.sites() != ActivationSites.FP32) throw new IllegalArgumentException(from + " is already quantized");
        QuantizationPlan.Spec spec = switch (method) {
            case "naive" -> QatCommand.spec(bits, "componentwise", 8, false, scalarOnly, vectorOnly, QuantizationPlan.Calibration.MIN_MAX);
            case "percentile" -> QatCommand.spec(bits, "componentwise", 8, false, scalarOnly, vectorOnly, QuantizationPlan.Calibration.PERCENTILE);
            case "mddq" -> QatCommand.spec(bits, "mddq", directionBits, false, scalarOnly, vectorOnly, QuantizationPlan.Calibration.MIN_MAX);
            default -> throw new IllegalArgumentException("--method must be naive, percentile or mddq, not '" + method + "'");
        };
        if (calibration != null) {
            spec = new QuantizationPlan.Spec(spec.weightBits(), spec.activationBits(), spec.vectorScheme(), spec.vectorBits(),
                    spec.directionBits(), spec.geometricSte(), calibration(calibration));
        }
        Split split = data.resolve().split(seed);
        int n = Math.min(calibrationFrames, split.train().size());
        QuantizationPlan plan = new QuantizationPlan(spec);
        plan.calibrate(model, split.train().frames().subList(0, n), 8);
        ModelFiles.save(out, model);
        System.out.printf("%s: %d sites calibrated on %d frames (%s) -> %s%n", method, plan.describeSites().size(), n, spec, out);
        return 0;
    }

    static QuantizationPlan.Calibration calibration(String name) {
        return switch (name) {
            case "min-max" -> QuantizationPlan.Calibration.MIN_MAX;
            case "percentile" -> QuantizationPlan.Calibration.PERCENTILE;
            case "mean-abs" -> QuantizationPlan.Calibration.MEAN_ABS;
            default -> throw new IllegalArgumentException("--calibration must be min-max, percentile or mean-abs, not '" + name + "'");
        };
    }
}
