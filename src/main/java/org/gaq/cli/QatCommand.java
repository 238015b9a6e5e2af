package org.gaq.cli;

import org.gaq.model.ModelConfig;
import org.gaq.data.DataFingerprint;
import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.Split;
import org.gaq.infer.Potential;
import org.gaq.md.ConfigurationSampler;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.gaq.report.Records;
import org.gaq.run.RunLock;
import org.gaq.run.RunOrigin;
import org.gaq.train.Metrics;
import org.gaq.train.QatRecipe;
import org.gaq.train.QatRun;
import org.gaq.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Quantization-aware fine-tuning (paper §III). {@code --method gaq} is the paper's recipe: branch-separated
 * fake quantization, MDDQ vectors, scalar-only warm-up, LEE regulariser. {@code naive} (component-wise
 * vectors, everything quantized from the first step, no LEE) and {@code degree-quant} (Tailor et al.:
 * component-wise, percentile ranges, protective masking by degree) are the baselines; the switches below
 * take GAQ apart one component at a time (the ablations of docs/results.md).
 */
@Command(name = "qat", mixinStandardHelpOptions = true,
        description = "Quantization-aware fine-tuning of an FP32 model: W8A8 or W4A8. --method gaq (MDDQ vectors, "
                + "scalar-only warm-up, LEE regulariser), naive or degree-quant; ablation switches below.")
public final class QatCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "MODEL", description = "the FP32 model to quantize (with --continue: "
            + "a fake-quantized model from gaq qat or gaq ptq)") Path from;
    @Option(names = "--continue", description = "--from is already fake-quantized: fine-tune it further with its own plan and steps "
            + "(--bits, --method, --recommended and the other quantization options are then not used); --epochs 0 goes straight "
            + "to the --frozen-epochs stage") boolean continueQuantized;
    @Option(names = "--requantize", description = "--from is a fake-quantized model: drop its plan and quantize its latent weights "
            + "anew with these options (e.g. add activation quantization to a weights-only QAT model: its weight codes stay the same "
            + "when the weight bits do); --epochs 0 goes straight to the --frozen-epochs stage") boolean requantize;
    @Option(names = "--frozen-epochs", paramLabel = "K", description = "a second stage of K epochs from the first stage's best model "
            + "with the quantized weights (their codes) fixed, training only the continuous parameters, plateau patience 3 "
            + "whatever --patience (default: 15 with --recommended --bits w4a8, else 0; docs/quantization.md, \"Frozen weight codes\")") Integer frozenEpochs;
    @Mixin DataOptions data;
    @Option(names = "--bits", defaultValue = "w8a8", description = "w8a8 or w4a8 (default: ${DEFAULT-VALUE})") String bits;
    @Option(names = "--method", defaultValue = "gaq", description = "gaq, naive or degree-quant (default: ${DEFAULT-VALUE})") String method;
    @Option(names = "--vector-scheme", description = "mddq, local-frame (MDDQ in each atom's local frame: exactly equivariant) or componentwise "
            + "(default: local-frame with --recommended, mddq for gaq, componentwise for the baselines); with --continue, switches a model between mddq and local-frame") String vectorScheme;
    @Option(names = "--direction-bits", defaultValue = "8", description = "MDDQ bits per direction component (default: ${DEFAULT-VALUE}, the paper's)") int directionBits;
    @Option(names = "--geometric-ste", description = "project the direction gradient on the sphere's tangent space (paper v2)") boolean geometricSte;
    @Option(names = "--scalar-only", description = "ablation: quantize the scalar branch only (vectors FP32)") boolean scalarOnly;
    @Option(names = "--vector-only", description = "ablation: quantize the vector branch only (scalar activations and weights FP32)") boolean vectorOnly;
    @Option(names = "--plain-attention", description = "ablation: replace the L2-normalised attention by q·k/√d before fine-tuning") boolean plainAttention;
    @Option(names = "--lee-weight", description = "weight of the LEE penalty, 0: off (default: 0.01 for gaq, 0 for the baselines)") Float leeWeight;
    @Option(names = "--vector-warmup-epochs", description = "epochs with only scalars quantized (default: 3 for gaq, 0 for the baselines)") Integer vectorWarmup;
    @Option(names = "--calibration", description = "initial steps: min-max, percentile or mean-abs (default: percentile for degree-quant, else min-max)") String calibration;
    @Mixin PrecisionOptions precision;
    @Option(names = "--calibration-frames", description = "training frames that calibrate the ranges (default: 64; with "
            + "--recommended all of them)") Integer calibrationFrames;
    @Mixin OptimiserOptions optimiser;
    @Mixin TrainingBudget budget;
    @Option(names = "--recommended", description = "gaq's recipe on top of GAQ: --gradient identity --fp32-sites rbf_in,scalar_message, "
            + "--vector-scheme local-frame, --per-channel for w8a8, calibration on every training frame, lr 1e-4 and --frozen-epochs 15 for w4a8 "
            + "(docs/results.md, \"Beyond the paper\")") boolean recommended;
    @Option(names = "--step-rate", defaultValue = "0", description = "LSQ: learn the activation steps in log space at this multiple of --lr; 0 keeps the calibrated steps (default: ${DEFAULT-VALUE}, see docs/quantization.md)") float stepRate;
    @Option(names = "--freeze-oscillating", paramLabel = "F", description = "first stage: freeze each weight whose 4- or 8-bit "
            + "code flips back and forth more often than F per update (an EMA; Nagel et al. 2022's iterative freezing, e.g. 0.02; "
            + "default: off, see docs/quantization.md)") Float freezeOscillating;
    @Option(names = "--weight-scale-rate", defaultValue = "0", paramLabel = "K", description = "frozen-codes stage: learn a "
            + "multiplier of every weight group's scale in log space at K·lr, the codes staying fixed; 0: off (default: ${DEFAULT-VALUE}, "
            + "see docs/quantization.md)") float weightScaleRate;
    @Option(names = "--teacher-frames", paramLabel = "N", defaultValue = "0", description = "distillation: add N frames sampled "
            + "by Langevin MD of the FP32 --from model (the teacher) from the training frames, labelled with its energies and forces, "
            + "to the training set; calibration keeps the training frames (default: ${DEFAULT-VALUE}, off; docs/quantization.md, "
            + "\"Teacher frames\")") int teacherFrames;
    @Option(names = "--teacher-temperature", paramLabel = "K", defaultValue = "500", description = "temperature of the "
            + "teacher's MD (default: ${DEFAULT-VALUE} K)") double teacherTemperature;
    @Option(names = "--teacher-labels", description = "distillation: train on the FP32 --from model's energies and forces of the "
            + "training frames instead of their reference labels (validation keeps the reference labels)") boolean teacherLabels;
    @Mixin SeedOption seedOption;
    @Mixin TrainingEngineOption engineOption;
    @Mixin ThreadsOption threadsOption;
    @Mixin RunFolderOption runFolder;
    @Spec CommandSpec commandSpec;

    @Override
    public Integer call() throws Exception {
        engineOption.engine();     // a bad --engine stops here, before any work
        EquivariantTransformer model = ModelFiles.load(from);
        QatRecipe.Method m = QuantizationNames.method(method);
        QatRecipe.Bits b = QuantizationNames.bits(bits);
        int frozen = frozenEpochs != null ? frozenEpochs : recommended && !continueQuantized ? b.recommendedFrozenEpochs() : 0;
        int epochs = optimiser.epochs(30);
        optimiser.batchSize();      // checked before any work
        if (frozen < 0) throw new IllegalArgumentException("--frozen-epochs must be ≥ 0");
        if (epochs == 0 && !((continueQuantized || requantize) && frozen > 0)) {
            throw new IllegalArgumentException("--epochs 0 only makes sense with --continue or --requantize, and --frozen-epochs");
        }
        if (continueQuantized && requantize) throw new IllegalArgumentException("--continue and --requantize exclude each other");
        if (teacherFrames < 0) throw new IllegalArgumentException("--teacher-frames must be ≥ 0");
        if ((teacherFrames > 0 || teacherLabels) && (continueQuantized || requantize)) {
            throw new IllegalArgumentException("--teacher-frames and --teacher-labels need an FP32 --from model as the teacher, not --continue or --requantize");
        }
        ConfigurationSampler.Settings teacher = teacherFrames > 0
                ? ConfigurationSampler.Settings.of(teacherFrames, teacherTemperature, seedOption.seed) : null;   // checked before any work
        if (weightScaleRate < 0 || weightScaleRate > 0 && frozen == 0) {
            throw new IllegalArgumentException("--weight-scale-rate must be ≥ 0 and needs a frozen-codes stage (--frozen-epochs)");
        }
        if (freezeOscillating != null && epochs == 0) throw new IllegalArgumentException("--freeze-oscillating acts in the first stage: --epochs must be > 0");
        if (continueQuantized) {
            QatRecipe.requireFakeQuantized(model, from);
            if (vectorScheme != null) QatRecipe.switchVectorScheme(model, QuantizationNames.vectorScheme(vectorScheme));
        }
        else if (requantize) QatRecipe.dropPlan(model, from);
        else QatRecipe.requireFp32(model, from);
        int workers = threadsOption.workers();
        budget.maxMinutes(60);     // checked before any work
        var source = data.resolve();
        Split split = source.split(seedOption.seed);
        Trainer.requireLabels(split.train());
        Path runDir = runFolder.fresh(Path.of("runs", continueQuantized ? "qat-continued" : "qat-" + method + "-" + bits),
                "fine-tune its model further with --continue --from DIR/best.safetensors into a new --out");
        String command = CommandChecks.commandLine(commandSpec);
        try (RunLock lock = RunLock.acquire(runDir, command, System.err)) {
            RunOrigin.now(command, Map.of("spec", source.spec(), "train", DataFingerprint.describe(split.train()),
                    "validation", DataFingerprint.describe(split.validation())), Map.of("from", from.toString(), "sha256", Records.sha256(from)))
                    .write(runDir);
            return train(model, m, split, runDir, epochs, frozen, workers, teacher);
        }
    }

    /** Both stages of QAT into {@code runDir}. */
    private int train(EquivariantTransformer model, QatRecipe.Method m, Split split, Path runDir, int epochs, int frozen, int workers,
                      ConfigurationSampler.Settings teacher) throws Exception {
        float lee = leeWeight != null ? leeWeight : m.defaultLeeWeight();
        Trainer.Options.Engine engine = engineOption.engine();
        double maxMinutes = budget.maxMinutes(60);
        long seed = seedOption.seed;
        boolean cpuBudget = budget.cpuBudget;
        float rate;
        if (continueQuantized) {
            rate = optimiser.lr(1e-5f);
            System.out.printf("continuing %s (%s); LEE weight %g%n", from, ((QuantizationPlan) model.sites()).spec().description(), lee);
        } else {
            model = quantize(model, m, split);
            rate = optimiser.lr(recommended ? QuantizationNames.bits(bits).recommendedLr() : 1e-5f);
        }
        if (teacher != null || teacherLabels) split = distillation(split, teacher);
        QatRun run;
        if (epochs > 0) {
            // A continued model has no warm-up: its vector branch is quantized already.
            int warmup = continueQuantized ? 0 : vectorWarmup != null ? vectorWarmup : m.defaultVectorWarmupEpochs();
            System.out.printf("LEE weight %g, vector warm-up %d epochs%s%n", lee, warmup,
                    frozen > 0 ? ", then " + frozen + " epochs with frozen weight codes" : "");
            run = QatRun.mainStage(QatRecipe.energyShare(QatRecipe.fineTuning(rate), optimiser.energyWeight()).epochs(epochs).batchSize(optimiser.batchSize())
                    .decay(optimiser.decay()).plateauPatience(optimiser.patience(3)).seed(seed).threads(workers).maxMinutes(maxMinutes).leeWeight(lee).vectorWarmupEpochs(warmup)
                    .stepRateFactor(stepRate).engine(engine).build());
            if (freezeOscillating != null) run.freezeOscillatingWeights(freezeOscillating);
        } else {
            run = QatRun.withoutMainStage();
        }
        if (frozen > 0) {
            run.thenFrozenCodes(QatRecipe.energyShare(QatRecipe.fineTuning(rate), optimiser.energyWeight()).epochs(frozen).batchSize(optimiser.batchSize())
                    .plateauPatience(QatRecipe.FROZEN_STAGE_PATIENCE).seed(seed).threads(workers).maxMinutes(maxMinutes).leeWeight(lee)
                    .stepRateFactor(stepRate).weightScaleRateFactor(weightScaleRate).engine(engine).build());
        }
        Path best = run.cpuBudget(cpuBudget).run(model, split, runDir, System.out);
        System.out.println("best model: " + best);
        return 0;
    }

    /**
     * The split for distillation from the FP32 --from model: its training frames labelled by the teacher
     * (--teacher-labels), and frames of the teacher's own dynamics added (--teacher-frames; {@code sampling} null: none).
     */
    private Split distillation(Split split, ConfigurationSampler.Settings sampling) throws Exception {
        Potential teacher = Potential.load(from);
        List<Frame> train = new ArrayList<>(teacherLabels ? Metrics.relabelled(teacher, split.train(), 64).frames() : split.train().frames());
        String name = split.train().name() + (teacherLabels ? " labelled by the teacher" : "");
        if (sampling != null) {
            List<Frame> frames = ConfigurationSampler.sample(teacher, split.train().frames(), sampling);
            train.addAll(frames);
            name += " + teacher frames";
            System.out.printf("teacher frames: %d from Langevin MD of %s at %.0f K%n", frames.size(), from, sampling.temperatureK());
        }
        System.out.printf("distillation from %s: %d training frames%s%n", from, train.size(), teacherLabels ? ", all labelled by it" : "");
        return new Split(new Dataset(name, train), split.validation(), split.test());
    }

    /** Attaches and calibrates the quantization plan the options describe. */
    private EquivariantTransformer quantize(EquivariantTransformer model, QatRecipe.Method m, Split split) {
        if (plainAttention) {
            var c = model.config();
            model = model.withConfig(new ModelConfig(c.features(), c.layers(), c.heads(), c.radialBasis(), c.cutoff(),
                    false, c.maxAtomicNumber()));
        }
        QuantizationSpec.Calibration cal = calibration != null ? QuantizationNames.calibration(calibration) : m.defaultCalibration();
        QuantizationSpec.VectorScheme scheme = vectorScheme != null ? QuantizationNames.vectorScheme(vectorScheme) : m.defaultVectorScheme();
        QuantizationSpec spec = QatRecipe.spec(QuantizationNames.bits(bits), scheme, cal).toBuilder().directionBits(directionBits).geometricSte(geometricSte).build();
        if (scalarOnly && vectorOnly) throw new IllegalArgumentException("--scalar-only and --vector-only exclude each other");
        if (scalarOnly) spec = QatRecipe.scalarBranchOnly(spec);
        if (vectorOnly) spec = QatRecipe.vectorBranchOnly(spec);
        if (recommended) {
            if (m != QatRecipe.Method.GAQ) throw new IllegalArgumentException("--recommended builds on --method gaq");
            spec = QatRecipe.recommended(spec);
            if (vectorScheme != null) spec = spec.withVectorScheme(scheme);     // an explicit --vector-scheme mddq stays
        }
        spec = precision.applyTo(spec);     // explicit options override the recipe
        int frames = calibrationFrames != null ? calibrationFrames : recommended ? QatRecipe.RECOMMENDED_CALIBRATION_FRAMES : 64;
        int n = QatRecipe.calibrate(model, spec, m, split.train(), frames);
        System.out.printf("%s %s: %d quantization sites calibrated on %d frames (%s)%s%n", method, bits,
                ((QuantizationPlan) model.sites()).describeSites().size(), n, spec.description(), plainAttention ? ", plain attention" : "");
        return model;
    }
}
