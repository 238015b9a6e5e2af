package org.gaq.cli;

import org.gaq.data.Split;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.gaq.run.RunFolders;
import org.gaq.train.QatRecipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Post-training quantization baselines: calibrate on training frames, no fine-tuning. */
@Command(name = "ptq", mixinStandardHelpOptions = true,
        description = "Post-training quantization of an FP32 model (no training): naive (per-component int8, min-max), "
                + "percentile (Degree-Quant's robust ranges), mddq (MDDQ vectors, min-max) or local-frame (MDDQ in each atom's local frame, "
                + "exactly equivariant; docs/quantization.md).")
public final class PtqCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "FP32_MODEL") Path from;
    @Mixin DataOptions data;
    @Option(names = "--method", defaultValue = "naive", description = "naive, percentile, mddq or local-frame (default: ${DEFAULT-VALUE})") String method;
    @Option(names = "--bits", defaultValue = "w8a8", description = "w8a8 or w4a8 (default: ${DEFAULT-VALUE})") String bits;
    @Option(names = "--direction-bits", defaultValue = "8", description = "mddq, local-frame: bits per direction component (default: ${DEFAULT-VALUE})") int directionBits;
    @Option(names = "--scalar-only", description = "quantize the scalar branch only (vectors FP32)") boolean scalarOnly;
    @Option(names = "--vector-only", description = "quantize the vector branch only (scalar activations and weights FP32)") boolean vectorOnly;
    @Option(names = "--calibration", description = "override the method's ranges: min-max, percentile or mean-abs") String calibration;
    @Mixin PrecisionOptions precision;
    @Option(names = "--calibration-frames", defaultValue = "64") int calibrationFrames;
    @Mixin SeedOption seedOption;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "the quantized model (.safetensors)") Path out;

    @Override
    public Integer call() throws Exception {
        RunFolders.requireOutputFile(out, from, "--out");
        EquivariantTransformer model = ModelFiles.load(from);
        QatRecipe.requireFp32(model, from);
        QatRecipe.Bits b = QuantizationNames.bits(bits);
        QuantizationSpec spec = switch (method) {
            case "naive" -> QatRecipe.spec(b, QuantizationSpec.VectorScheme.COMPONENTWISE, QuantizationSpec.Calibration.MIN_MAX);
            case "percentile" -> QatRecipe.spec(b, QuantizationSpec.VectorScheme.COMPONENTWISE, QuantizationSpec.Calibration.PERCENTILE);
            case "mddq", "local-frame" -> QatRecipe.spec(b, QuantizationNames.vectorScheme(method), QuantizationSpec.Calibration.MIN_MAX)
                    .toBuilder().directionBits(directionBits).build();
            default -> throw new IllegalArgumentException("--method must be naive, percentile, mddq or local-frame, not '" + method + "'");
        };
        if (scalarOnly && vectorOnly) throw new IllegalArgumentException("--scalar-only and --vector-only exclude each other");
        if (scalarOnly) spec = QatRecipe.scalarBranchOnly(spec);
        if (vectorOnly) spec = QatRecipe.vectorBranchOnly(spec);
        if (calibration != null) spec = spec.toBuilder().calibration(QuantizationNames.calibration(calibration)).build();
        spec = precision.applyTo(spec);
        Split split = data.resolve().split(seedOption.seed);
        int n = QatRecipe.calibrate(model, spec, QatRecipe.Method.NAIVE, split.train(), calibrationFrames);
        ModelFiles.save(out, model);
        System.out.printf("%s: %d sites calibrated on %d frames (%s) -> %s%n", method,
                ((QuantizationPlan) model.sites()).describeSites().size(), n, spec.description(), out);
        return 0;
    }
}
