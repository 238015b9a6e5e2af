package org.gaq.cli;

import org.gaq.data.Split;
import org.gaq.model.ActivationSites;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import org.gaq.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Geometric-aware QAT (paper §III): branch-separated fake quantization, MDDQ vectors, LEE penalty. */
@Command(name = "qat", mixinStandardHelpOptions = true,
        description = "Quantization-aware fine-tuning of an FP32 model: W8A8 or W4A8, MDDQ for vector features, "
                + "scalar-only warm-up, LEE regulariser. Ablation switches below.")
public final class QatCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "FP32_MODEL") Path from;
    @Mixin DataOptions data;
    @Option(names = "--bits", defaultValue = "w8a8", description = "w8a8 or w4a8 (default: ${DEFAULT-VALUE})") String bits;
    @Option(names = "--vector-scheme", defaultValue = "mddq", description = "mddq (GAQ) or componentwise (naive QAT)") String vectorScheme;
    @Option(names = "--geometric-ste", description = "project the direction gradient on the sphere's tangent space (paper v2)") boolean geometricSte;
    @Option(names = "--scalar-only", description = "ablation: quantize the scalar branch only (vectors FP32)") boolean scalarOnly;
    @Option(names = "--vector-only", description = "ablation: quantize the vector branch only (scalar activations FP32)") boolean vectorOnly;
    @Option(names = "--lee-weight", defaultValue = "0.01", description = "weight of the LEE penalty, 0 to switch it off (default: ${DEFAULT-VALUE})") float leeWeight;
    @Option(names = "--vector-warmup-epochs", defaultValue = "5", description = "epochs with only scalars quantized (default: ${DEFAULT-VALUE})") int vectorWarmup;
    @Option(names = "--calibration-frames", defaultValue = "64") int calibrationFrames;
    @Option(names = "--epochs", defaultValue = "20") int epochs;
    @Option(names = "--max-minutes", defaultValue = "60") double maxMinutes;
    @Option(names = "--lr", defaultValue = "1e-4") float lr;
    @Option(names = "--batch-size", defaultValue = "8") int batchSize;
    @Option(names = "--patience", defaultValue = "5") int patience;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--threads") Integer threads;
    @Option(names = "--out", paramLabel = "DIR", description = "run folder (default: runs/qat-<bits>)") Path out;

    @Override
    public Integer call() throws Exception {
        EquivariantTransformer model = ModelFiles.load(from);
        if (model.sites() != ActivationSites.FP32) throw new IllegalArgumentException(from + " is already quantized; start QAT from an FP32 model");
        QuantizationPlan.Spec spec = spec(bits, vectorScheme, geometricSte, scalarOnly, vectorOnly, QuantizationPlan.Calibration.MEAN_ABS);
        Split split = data.resolve().split(seed);
        Trainer.requireLabels(split.train());
        QuantizationPlan plan = new QuantizationPlan(spec);
        plan.calibrate(model, split.train().frames().subList(0, Math.min(calibrationFrames, split.train().size())), 8);
        System.out.printf("calibrated %d quantization sites on %d frames: %s%n", plan.describeSites().size(),
                Math.min(calibrationFrames, split.train().size()), spec);
        int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        var options = new Trainer.Options(epochs, batchSize, lr, lr / 100, 0, patience, 0.5f, 0.01f, 0.99f, 0f, seed, workers,
                maxMinutes, leeWeight, vectorWarmup);
        Path runDir = out != null ? out : Path.of("runs", "qat-" + bits);
        Trainer.startQat(model, split, options, runDir, System.out).run();
        System.out.println("best model: " + runDir.resolve("best.safetensors"));
        return 0;
    }

    static QuantizationPlan.Spec spec(String bits, String vectorScheme, boolean geometricSte, boolean scalarOnly, boolean vectorOnly,
                                      QuantizationPlan.Calibration calibration) {
        int weightBits = switch (bits) {
            case "w8a8" -> 8;
            case "w4a8" -> 4;
            default -> throw new IllegalArgumentException("--bits must be w8a8 or w4a8, not '" + bits + "'");
        };
        QuantizationPlan.VectorScheme scheme = switch (vectorScheme) {
            case "mddq" -> QuantizationPlan.VectorScheme.MDDQ;
            case "componentwise" -> QuantizationPlan.VectorScheme.COMPONENTWISE;
            default -> throw new IllegalArgumentException("--vector-scheme must be mddq or componentwise, not '" + vectorScheme + "'");
        };
        if (scalarOnly && vectorOnly) throw new IllegalArgumentException("--scalar-only and --vector-only exclude each other");
        return new QuantizationPlan.Spec(vectorOnly ? 32 : weightBits, vectorOnly ? 32 : 8, scheme, scalarOnly ? 32 : 8,
                geometricSte, calibration);
    }
}
