package org.gaq.train;

import org.gaq.tensor.Functional;
import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.data.Split;
import org.gaq.data.Splits;
import org.gaq.model.Checkpoint;
import org.gaq.quant.Calibrator;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.Autograd;
import org.gaq.train.compiled.CompiledLossGradient;
import org.gaq.tensor.Tensor;
import org.gaq.tensor.kernels.Parallel;
import org.gaq.util.CsvLog;
import org.gaq.util.Progress;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.lang.management.ManagementFactory;

/**
 * Energy + force training (design notes §3): loss = w_E·mean_m((E_m − Ê_m)/σ)² + w_F·mean_c((F_c − F̂_c)/σ)²,
 * σ the force RMS of the training set, Adam with linear warm-up then decay on plateau of the
 * validation loss or along a cosine over the budget ({@link Options.Decay}). Each batch is split across worker threads, each builds its own graph (forces
 * with createGraph, then ∂loss/∂θ), and the gradients are summed. Data without forces trains on
 * the energy term alone ({@link Labels.EnergiesOnly}: no force pass, one backward).
 *
 * <p>On disk in the run folder: {@code last.safetensors} (model + optimizer + training state, every
 * epoch, atomic), {@code best.safetensors} (best validation loss), {@code train.csv} (a row per
 * epoch, flushed) and {@code learning_curve.png}. {@link #resume} continues a run from {@code last}.
 */
public final class Trainer {

    /**
     * Everything that decides a training run, in groups: the schedule, the optimiser, the loss weights, the budget and
     * the terms of quantization-aware training; build one by name with {@link #builder()}.
     */
    public record Options(Schedule schedule, Optimiser optimiser, LossWeights loss, Budget budget, QatTerms qat, long seed, Engine engine) {
        /**
         * How a step's gradient is computed: {@link #COMPILED} by the hand-written passes of {@link CompiledLossGradient}
         * where they apply (energy and force labels; an FP32 model or one fake-quantized as the recommended recipe, the LEE
         * term included; no learned quantizer steps) and on the tape otherwise; {@link #TAPE} always on the tape. Both
         * compute the same gradient to float rounding (docs/training.md).
         */
        public enum Engine { COMPILED, TAPE }

        /**
         * Epochs and batches, and the learning rate's course: a linear warm-up, then the {@link Decay} (on a plateau,
         * ×plateauFactor after plateauPatience epochs without improvement).
         */
        public record Schedule(int epochs, int batchSize, int warmupEpochs, Decay decay, int plateauPatience, float plateauFactor) {
            public Schedule {
                if (epochs <= 0 || batchSize <= 0) throw new IllegalArgumentException("epochs and batch size must be positive");
                if (decay == null) decay = Decay.PLATEAU;     // checkpoints from before the choice recorded none: they ran so
            }
        }

        /**
         * How the learning rate comes down after the warm-up (docs/training.md, "Learning-rate schedule").
         * {@link #PLATEAU}: ×plateauFactor after plateauPatience epochs without a validation improvement, and the run
         * stops after such a plateau at the minimum rate. {@link #COSINE}: η(f) = η_min + (η_0 − η_min)·½(1 + cos πf),
         * f the fraction of the run done, the larger of the time budget's (earlier sessions included) and the epochs';
         * set at the start of each epoch, no plateau decays, the run ends at its budget.
         */
        public enum Decay {
            PLATEAU, COSINE;

            /** η at the fraction {@code done} ∈ [0, 1] of the run (COSINE only). */
            static float cosine(float start, float min, double done) {
                double f = Math.min(1, Math.max(0, done));
                return (float) (min + (start - min) * 0.5 * (1 + Math.cos(Math.PI * f)));
            }
        }

        /** Adam's rate (decayed down to minLearningRate), its weight decay, and the decay of the weight average ({@link WeightAverage}). */
        public record Optimiser(float learningRate, float minLearningRate, float weightDecay, float weightAverageDecay) {
            public Optimiser {
                if (learningRate <= 0) throw new IllegalArgumentException("learning rate must be positive");
                if (!(weightAverageDecay >= 0 && weightAverageDecay < 1)) {
                    throw new IllegalArgumentException("the weight-average decay must be 0 (off) or lie in (0, 1), got " + weightAverageDecay);
                }
            }
        }

        /** The loss's weights: w_E and w_F of the energy and force terms, and (QAT) the local-equivariance-error penalty's. */
        public record LossWeights(float energy, float force, float lee) {
            public LossWeights {
                if (energy < 0 || force < 0 || energy + force == 0 || lee < 0) {
                    throw new IllegalArgumentException("loss weights must be non-negative and not both zero");
                }
            }
        }

        /** Worker threads, and the minutes after which the run stops (at the end of an epoch). */
        public record Budget(int threads, double maxMinutes) {
            public Budget {
                if (threads <= 0) throw new IllegalArgumentException("threads must be positive");
            }
        }

        /**
         * Quantization-aware training only: the epochs during which only the scalar branch is quantized, and the rate
         * factors (in log space, 0: off) of learned activation steps and of learned weight-scale multipliers.
         */
        public record QatTerms(int vectorWarmupEpochs, float stepRateFactor, float weightScaleRateFactor) {
            public QatTerms {
                if (!(stepRateFactor >= 0)) throw new IllegalArgumentException("the step-size rate factor must be 0 (fixed steps) or positive");
                if (!(weightScaleRateFactor >= 0)) throw new IllegalArgumentException("the weight-scale rate factor must be 0 (off) or positive");
            }
        }

        public Options {
            if (schedule == null || optimiser == null || loss == null || budget == null || qat == null || engine == null) {
                throw new IllegalArgumentException("training options need every group: " + schedule + ", " + optimiser + ", " + loss + ", " + budget + ", " + qat);
            }
        }

        /** The same run with another length, time budget or thread count: what a resumed run may change. */
        public Options withBudget(int newEpochs, int newThreads, double newMaxMinutes) {
            return toBuilder().epochs(newEpochs).threads(newThreads).maxMinutes(newMaxMinutes).build();
        }

        /**
         * Quantizer steps move by lr·k·(Adam's normalised gradient) in log space (k = 100 at lr 1e-5: up to
         * 0.1% of a step per update), or stay at their calibrated values with k = 0, the default: learned
         * steps drifted within a few hundred updates and the force error then grew (docs/quantization.md),
         * while fixed steps fine-tuned stably.
         */
        public static final float DEFAULT_STEP_RATE_FACTOR = 0f;

        /**
         * The weight average's decay per step for FP32 training: about the last 1,000 steps (8 epochs of 950 frames at
         * batch 8). Chosen by a trial on ethanol (docs/results.md, "A training recipe"): validated on the average, the
         * learning rate stays high for longer and the forces end lower at the same CPU time.
         */
        public static final float DEFAULT_WEIGHT_AVERAGE_DECAY = 0.999f;

        /** FP32 training's defaults (those of {@code gaq train}); QAT starts from {@link QatRecipe#fineTuning}. */
        public static Builder builder() {
            return new Builder();
        }

        public Builder toBuilder() {
            Builder b = new Builder();
            b.epochs = schedule.epochs();
            b.batchSize = schedule.batchSize();
            b.warmupEpochs = schedule.warmupEpochs();
            b.decay = schedule.decay();
            b.plateauPatience = schedule.plateauPatience();
            b.plateauFactor = schedule.plateauFactor();
            b.learningRate = optimiser.learningRate();
            b.minLearningRate = optimiser.minLearningRate();
            b.weightDecay = optimiser.weightDecay();
            b.weightAverageDecay = optimiser.weightAverageDecay();
            b.energyWeight = loss.energy();
            b.forceWeight = loss.force();
            b.leeWeight = loss.lee();
            b.threads = budget.threads();
            b.maxMinutes = budget.maxMinutes();
            b.vectorWarmupEpochs = qat.vectorWarmupEpochs();
            b.stepRateFactor = qat.stepRateFactor();
            b.weightScaleRateFactor = qat.weightScaleRateFactor();
            b.seed = seed;
            b.engine = engine;
            return b;
        }

        /** Options by name; what is not set keeps {@code gaq train}'s default. */
        public static final class Builder {
            private int epochs = 1000, batchSize = 8, warmupEpochs = 2, plateauPatience = 8, vectorWarmupEpochs = 0;
            private int threads = Runtime.getRuntime().availableProcessors();
            private float learningRate = 1e-3f, minLearningRate = 1e-5f, plateauFactor = 0.5f, energyWeight = 0.01f, forceWeight = 0.99f;
            private float weightDecay = 0f, leeWeight = 0f, stepRateFactor = DEFAULT_STEP_RATE_FACTOR, weightScaleRateFactor = 0f;
            private float weightAverageDecay = DEFAULT_WEIGHT_AVERAGE_DECAY;
            private long seed = 1;
            private double maxMinutes = 120;
            private Engine engine = Engine.COMPILED;
            private Decay decay = Decay.PLATEAU;

            private Builder() {}

            public Builder epochs(int v) { epochs = v; return this; }
            public Builder batchSize(int v) { batchSize = v; return this; }
            public Builder learningRate(float v) { learningRate = v; return this; }
            public Builder minLearningRate(float v) { minLearningRate = v; return this; }
            /** Epochs of linear learning-rate warm-up. */
            public Builder warmupEpochs(int v) { warmupEpochs = v; return this; }
            /** How the rate comes down after the warm-up ({@link Decay}). */
            public Builder decay(Decay v) { decay = v; return this; }
            /** Epochs without a validation improvement before the rate decays by the plateau factor. */
            public Builder plateauPatience(int v) { plateauPatience = v; return this; }
            public Builder plateauFactor(float v) { plateauFactor = v; return this; }
            public Builder energyWeight(float v) { energyWeight = v; return this; }
            public Builder forceWeight(float v) { forceWeight = v; return this; }
            public Builder weightDecay(float v) { weightDecay = v; return this; }
            /** Validate and save an exponential moving average of the weights with this decay per step (0: off; {@link WeightAverage}). */
            public Builder weightAverageDecay(float v) { weightAverageDecay = v; return this; }
            public Builder seed(long v) { seed = v; return this; }
            /** How gradients are computed ({@link Engine}); the result is the same to float rounding. */
            public Builder engine(Engine v) { engine = v; return this; }
            public Builder threads(int v) { threads = v; return this; }
            public Builder maxMinutes(double v) { maxMinutes = v; return this; }
            /** QAT: the weight of the local-equivariance-error penalty. */
            public Builder leeWeight(float v) { leeWeight = v; return this; }
            /** QAT: epochs during which only the scalar branch is quantized. */
            public Builder vectorWarmupEpochs(int v) { vectorWarmupEpochs = v; return this; }
            /** QAT: learned activation steps move at this multiple of the rate, in log space (0: fixed steps). */
            public Builder stepRateFactor(float v) { stepRateFactor = v; return this; }
            /** QAT: learned weight-group scales move at this multiple of the rate, in log space (0: off). */
            public Builder weightScaleRateFactor(float v) { weightScaleRateFactor = v; return this; }

            public Options build() {
                return new Options(new Schedule(epochs, batchSize, warmupEpochs, decay, plateauPatience, plateauFactor),
                        new Optimiser(learningRate, minLearningRate, weightDecay, weightAverageDecay),
                        new LossWeights(energyWeight, forceWeight, leeWeight), new Budget(threads, maxMinutes),
                        new QatTerms(vectorWarmupEpochs, stepRateFactor, weightScaleRateFactor), seed, engine);
            }
        }
    }

    private final EquivariantTransformer model;
    private final Options options;
    private final Split split;
    private final Path runDir;
    private final PrintStream log;
    private final List<Tensor> params;
    private final TrainingHook hook;        // what QAT adds to the loop (FP32: nothing)
    /** The compiled gradient of each worker (by its chunk of the batch): workspaces reused across steps. */
    private final Map<Integer, CompiledLossGradient> compiledGradients = new java.util.concurrent.ConcurrentHashMap<>();
    private final Adam adam;
    private final WeightAverage average;                // what is validated and saved as best (the weights themselves at decay 0)
    private int epoch;
    private float lr;
    private double bestValidation = Double.POSITIVE_INFINITY;
    private int epochsSinceBest;
    private boolean cpuBudget;
    private double budgetUsedBefore;   // seconds on the budget's clock that earlier sessions of this run used (resume)
    private String budgetClockUsedBefore = "";
    private double secondsBefore;      // wall seconds of earlier sessions, so train.csv's time column runs on across resumes
    private long sessionStart, sessionBudgetStart;
    private final Map<String, String> identity;        // the data and options a resume must match (ResumeCheck)
    private final Labels labels;                        // energies and forces, or energies only

    public Trainer(EquivariantTransformer model, Split split, Options options, Path runDir, PrintStream log) {
        this.model = model;
        this.split = split;
        this.options = options;
        this.runDir = runDir;
        this.log = log;
        this.labels = Labels.of(split.train(), split.validation());
        if (model.sites() instanceof Calibrator) throw new IllegalArgumentException("finish calibrating the quantization plan before training");
        if (!(model.sites() instanceof QuantizationPlan) && options.qat().weightScaleRateFactor() > 0) {
            throw new IllegalArgumentException("learned weight scales need quantization-aware training");
        }
        this.hook = model.sites() instanceof QuantizationPlan plan ? new QatSchedule(plan, model, options) : TrainingHook.NONE;
        this.params = new ArrayList<>(model.parameters().values());
        this.average = new WeightAverage(params, options.optimiser().weightAverageDecay());
        int modelParams = params.size();
        params.addAll(hook.extraTrainedTensors());
        this.adam = new Adam(params, 0.9f, 0.999f, 1e-8f, options.optimiser().weightDecay());
        hook.configure(adam, modelParams);
        this.lr = options.optimiser().learningRate();
        this.identity = ResumeCheck.metadata(split, options);
    }

    /** A fresh run: fits the element energies on the training set first. */
    public static Trainer start(EquivariantTransformer model, Split split, Options options, Path runDir, PrintStream log) {
        ElementEnergies.fit(split.train(), model.elementShift(), model.elementScale());
        return new Trainer(model, split, options, runDir, log);
    }

    /** Quantization-aware training of a model whose sites are a calibrated {@link QuantizationPlan}. */
    public static Trainer startQat(EquivariantTransformer model, Split split, Options options, Path runDir, PrintStream log) {
        if (!(model.sites() instanceof QuantizationPlan)) throw new IllegalArgumentException("QAT needs a model with a quantization plan");
        return new Trainer(model, split, options, runDir, log);
    }

    /** Continues the run saved in {@code checkpoint} (model, quantizers, optimizer moments, epoch, learning rate). */
    public static Trainer resume(Path checkpoint, Split split, Options options, Path runDir, PrintStream log) throws IOException {
        Checkpoint.Contents c = ModelFiles.loadContents(checkpoint);
        Trainer t = new Trainer(c.model(), split, options, runDir, log);
        t.adam.restore(c.extras());
        if (options.optimiser().weightAverageDecay() > 0 && !t.average.restore(c.extras())) {
            log.println("the checkpoint has no weight average: it starts from the checkpoint's weights");
        }
        Map<String, String> m = c.extraMetadata();
        t.epoch = Integer.parseInt(m.getOrDefault("train.epoch", "0"));
        t.lr = Float.parseFloat(m.getOrDefault("train.lr", String.valueOf(options.optimiser().learningRate())));
        t.bestValidation = Double.parseDouble(m.getOrDefault("train.best_validation", "Infinity"));
        t.epochsSinceBest = Integer.parseInt(m.getOrDefault("train.epochs_since_best", "0"));
        t.budgetUsedBefore = Double.parseDouble(m.getOrDefault(BUDGET_USED_KEY, "0"));
        t.budgetClockUsedBefore = m.getOrDefault(BUDGET_CLOCK_KEY, "");
        t.secondsBefore = Double.parseDouble(m.getOrDefault("train.seconds", "0"));
        log.printf("resuming %s at epoch %d (lr %.2e, best validation loss %.5f)%n", checkpoint, t.epoch, t.lr, t.bestValidation);
        return t;
    }

    public EquivariantTransformer model() {
        return model;
    }

    /**
     * From epoch {@code epoch} on (counted from 0; 0: the whole run) the quantized weights stay as they are, so
     * their codes are final, and only the continuous parameters (norms, biases, the FP32 head and embedding,
     * attention temperatures) keep training. At 4 bits every Adam update (±lr per weight, whatever the gradient)
     * flips the codes of the weights that sit at a rounding boundary, so the validation error of W4A8 QAT
     * jumps from epoch to epoch even at small rates; fixed codes let the rest converge (docs/quantization.md,
     * "Frozen weight codes").
     */
    public Trainer freezeQuantizedWeightsFrom(int epoch) {
        qat("only quantization-aware training has quantized weights to freeze").freezeWeightsFrom(epoch);
        return this;
    }

    /**
     * Freezes each quantized weight element whose code oscillates more often than {@code threshold} per update
     * (an EMA; Nagel et al. 2022's iterative freezing, {@link OscillationFreezer}), at its running-mean code;
     * the others keep training. Not kept in checkpoints: a resumed run starts counting anew.
     */
    public Trainer freezeOscillatingWeights(float threshold) {
        qat("only quantization-aware training has weight codes to track").freezeOscillatingWeights(threshold);
        return this;
    }

    private QatSchedule qat(String otherwise) {
        if (hook instanceof QatSchedule q) return q;
        throw new IllegalStateException(otherwise);
    }

    /**
     * Measures the {@code maxMinutes} budget in CPU time of this process (all threads) instead of wall
     * time: on a machine shared with other work, runs that should get the same compute then do, however
     * busy the machine is (a wall-clock budget gives a loaded run fewer epochs).
     */
    public Trainer cpuBudget(boolean on) {
        this.cpuBudget = on;
        return this;
    }

    private static final String BUDGET_USED_KEY = "train.budget_used_s", BUDGET_CLOCK_KEY = "train.budget_clock";

    private String budgetClockName() {
        return cpuBudget ? "cpu" : "wall";
    }

    /** Seconds of the budget this run has used, earlier sessions included (if they counted on the same clock). */
    private double budgetUsedSeconds() {
        double before = budgetClockName().equals(budgetClockUsedBefore) ? budgetUsedBefore : 0;
        return before + (budgetClock() - sessionBudgetStart) / 1e9;
    }

    /** The fraction of the run done: the larger of the time budget's (earlier sessions included) and the epochs'. */
    private double fractionDone() {
        double byTime = budgetUsedSeconds() / (options.budget().maxMinutes() * 60);
        return Math.max(byTime, (double) epoch / options.schedule().epochs());
    }

    /** Nanoseconds on the budget's clock: wall time, or the process's CPU time. */
    long budgetClock() {
        if (cpuBudget && ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return System.nanoTime();
    }

    /**
     * Trains to the end of the options' epochs (or the time budget, or a plateau at the minimum rate), then refits
     * the best model's energy shifts. A NaN or infinite loss, gradient, parameter or validation error stops the run
     * with {@link TrainingDivergedException} before anything of that epoch is saved, so last.safetensors and
     * best.safetensors keep the last good models (best's shifts are still refitted).
     */
    public void run() throws Exception {
        Files.createDirectories(runDir);
        TrainingDivergedException stopped = null;
        try {
            epochs();
        } catch (TrainingDivergedException e) {
            stopped = e;
        }
        if (stopped == null) {
            refitBestEnergyShifts();
            return;
        }
        try {
            refitBestEnergyShifts();
        } catch (RuntimeException e) {
            log.println("the energy shifts of best.safetensors were not refitted: " + e.getMessage());
        }
        throw stopped;
    }

    private void epochs() throws Exception {
        sessionStart = System.nanoTime();
        sessionBudgetStart = budgetClock();
        if (budgetUsedBefore > 0 && !budgetClockName().equals(budgetClockUsedBefore)) {
            log.printf("the earlier sessions counted the budget on another clock (%s): this session counts it anew%n", budgetClockUsedBefore);
        }
        // The workers are the parallelism: a worker's products split over the cores the workers leave free, if any
        // (splitting them over all cores as well would put two threads on each core).
        int kernelThreads = Parallel.threads();
        Parallel.setThreads(Math.max(1, kernelThreads / options.budget().threads()));
        ExecutorService pool = Executors.newFixedThreadPool(options.budget().threads(), r -> {
            Thread t = new Thread(r, "gaq-train");
            t.setDaemon(true);
            return t;
        });
        try (CsvLog csv = CsvLog.open(runDir.resolve("train.csv"), csvColumns())) {
            LearningCurve curve = LearningCurve.fromLog(runDir.resolve("train.csv"), labels.forces());   // a resumed run's earlier epochs
            int stepsPerEpoch = (split.train().size() + options.schedule().batchSize() - 1) / options.schedule().batchSize();
            while (epoch < options.schedule().epochs()) {
                if (budgetUsedSeconds() > options.budget().maxMinutes() * 60) {
                    log.printf("%s budget of %.1f min reached after epoch %d%n", cpuBudget ? "CPU-time" : "time", options.budget().maxMinutes(), epoch);
                    break;
                }
                hook.beforeEpoch(epoch, log);
                if (options.schedule().decay() == Options.Decay.COSINE) {
                    lr = Options.Decay.cosine(options.optimiser().learningRate(), options.optimiser().minLearningRate(), fractionDone());
                }
                int[] order = Splits.permutation(split.train().size(), options.seed() * 7919 + epoch);
                double lossSum = 0;
                try (Progress progress = Progress.start("epoch " + (epoch + 1) + "/" + options.schedule().epochs(), stepsPerEpoch)) {
                    for (int s = 0; s < stepsPerEpoch; s++) {
                        List<Frame> batch = new ArrayList<>();
                        List<Integer> frameNumbers = new ArrayList<>();
                        for (int k = s * options.schedule().batchSize(); k < Math.min(order.length, (s + 1) * options.schedule().batchSize()); k++) {
                            batch.add(split.train().frame(order[k]));
                            frameNumbers.add(order[k]);
                        }
                        float stepLr = warmupLr(s, stepsPerEpoch);
                        try {
                            lossSum += step(batch, stepLr, pool);
                        } catch (NonFiniteStep e) {
                            String frames = frameNumbers.stream().sorted().map(String::valueOf).collect(Collectors.joining(", "));
                            throw diverged(epoch + 1, String.format("step %d of %d: %s on training frames %s of %s", s + 1, stepsPerEpoch,
                                    e.getMessage(), frames, split.train().name()), stepLr);
                        }
                        progress.step();
                        progress.setExtra(String.format("loss %.4f lr %.1e", lossSum / (s + 1), stepLr));
                    }
                }
                hook.beforeValidation();
                boolean candidate = hook.isCandidate(epoch);
                epoch++;
                double trainLoss = lossSum / stepsPerEpoch;
                Metrics.Result val = average.whileApplied(() -> Metrics.evaluate(model, split.validation(), 16, 0, options.seed(), pool));
                double valLoss = validationLoss(val);
                String broken = Double.isFinite(valLoss) ? FiniteCheck.model(model) : "the validation loss is " + valLoss;
                if (broken != null) throw diverged(epoch, "the end of the epoch: " + broken, lr);
                // An improvement must be relative 1e-4 at least (as PyTorch's ReduceLROnPlateau): rounding-level
                // gains do not reset the plateau count.
                boolean best = candidate && valLoss < bestValidation * (1 - 1e-4);
                boolean stop = false;
                if (best) {
                    bestValidation = valLoss;
                    epochsSinceBest = 0;
                } else if (options.schedule().decay() == Options.Decay.PLATEAU && candidate
                        && ++epochsSinceBest >= options.schedule().plateauPatience() && epoch > options.schedule().warmupEpochs()) {
                    // (QAT's scalar-only warm-up epochs are not candidates, so they do not count as a plateau either)
                    stop = lr <= options.optimiser().minLearningRate();
                    lr = Math.max(options.optimiser().minLearningRate(), lr * options.schedule().plateauFactor());
                    epochsSinceBest = 0;
                }
                double seconds = secondsBefore + (System.nanoTime() - sessionStart) / 1e9;
                if (labels.forces()) csv.row(epoch, adam.steps(), lr, trainLoss, valLoss, val.energyMaeMeV(), val.forceMaeMeVPerA(), seconds);
                else csv.row(epoch, adam.steps(), lr, trainLoss, valLoss, val.energyMaeMeV(), seconds);
                log.printf("epoch %4d  loss %.5f  val: E %.2f meV%s %s  lr %.2e  %.0f s%s%n", epoch, trainLoss, val.energyMaeMeV(),
                        labels.forces() ? String.format("  F %.2f meV/Å", val.forceMaeMeVPerA()) : "", best ? "*" : " ", lr, seconds, hook.epochNote());
                if (best) {
                    average.whileApplied(() -> {
                        ModelFiles.save(runDir.resolve("best.safetensors"), model, Map.of(), trainingMetadata());
                        return null;
                    });
                }
                Map<String, float[]> state = new LinkedHashMap<>(adam.state());
                state.putAll(average.state());
                ModelFiles.save(runDir.resolve("last.safetensors"), model, state, trainingMetadata());
                curve.add(epoch, val.energyMaeMeV(), val.forceMaeMeVPerA());
                curve.plot("Validation error, " + split.train().name(), runDir.resolve("learning_curve.png"));
                if (stop) {
                    log.println("no improvement for " + options.schedule().plateauPatience() + " epochs at the minimum learning rate: stopping");
                    break;
                }
            }
        } finally {
            pool.shutdownNow();
            Parallel.setThreads(kernelThreads);
        }
    }

    /** Refits the per-element energy shifts of best.safetensors on the training set (see ElementEnergies.refit). */
    private void refitBestEnergyShifts() throws IOException {
        Path best = runDir.resolve("best.safetensors");
        if (!Files.exists(best)) return;
        double rms = refitEnergyShifts(best, best, split.train());
        log.printf("refitted the per-element energy shifts of %s on the training set (RMS change %.2f meV)%n", best, 1000 * rms);
    }

    /** Loads {@code in}, refits its energy shifts on {@code train}, writes {@code out}; returns the RMS change (eV). */
    public static double refitEnergyShifts(Path in, Path out, Dataset train) throws IOException {
        Checkpoint.Contents c = ModelFiles.loadContents(in);
        double rms = ElementEnergies.refit(c.model(), train, 16);
        Map<String, String> meta = new LinkedHashMap<>(c.extraMetadata());
        meta.remove(ModelFiles.SPEC_KEY);   // ModelFiles.save writes the plan's spec itself
        meta.put("train.energy_shift_refit_rms_meV", String.valueOf(1000 * rms));
        ModelFiles.save(out, c.model(), Map.of(), meta);
        return rms;
    }

    /** Linear warm-up over the first {@code warmupEpochs}, then the plateau-decayed rate. */
    private float warmupLr(int stepInEpoch, int stepsPerEpoch) {
        int warmSteps = options.schedule().warmupEpochs() * stepsPerEpoch;
        long done = (long) epoch * stepsPerEpoch + stepInEpoch + 1;
        return done < warmSteps ? lr * done / warmSteps : lr;
    }

    private double validationLoss(Metrics.Result val) {
        // The training loss's weighting on validation RMSEs (in the σ units of the loss).
        double sigma = model.elementScale()[1] * 1000;
        double e = val.energyRmseMeV() / sigma, f = val.forceRmseMeVPerA() / sigma;
        return labels.forces() ? options.loss().energy() * e * e + options.loss().force() * f * f : e * e;
    }

    /** train.csv's columns: no force column for energy-only data (it would be empty). */
    private String[] csvColumns() {
        return labels.forces()
                ? new String[]{"epoch", "step", "lr", "train_loss", "val_loss", "val_energy_mae_meV", "val_force_mae_meV_per_A", "seconds"}
                : new String[]{"epoch", "step", "lr", "train_loss", "val_loss", "val_energy_mae_meV", "seconds"};
    }

    private Map<String, String> trainingMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("train.epoch", String.valueOf(epoch));
        m.put("train.lr", String.valueOf(lr));
        m.put("train.best_validation", String.valueOf(bestValidation));
        m.put("train.epochs_since_best", String.valueOf(epochsSinceBest));
        m.put(BUDGET_USED_KEY, String.valueOf(budgetUsedSeconds()));
        m.put(BUDGET_CLOCK_KEY, budgetClockName());
        m.put("train.seconds", String.valueOf(secondsBefore + (System.nanoTime() - sessionStart) / 1e9));
        m.put("train.seed", String.valueOf(options.seed()));
        m.putAll(identity);
        return m;
    }

    /** One optimisation step on {@code batch} with {@code pool}'s threads; returns the batch loss. */
    public double step(List<Frame> batch, float stepLr, ExecutorService pool) throws Exception {
        int workers = Math.min(options.budget().threads(), batch.size());
        int totalAtoms = 0;
        for (Frame f : batch) totalAtoms += f.numAtoms();
        float energyNorm = 1f / batch.size(), forceNorm = 1f / (3f * totalAtoms);
        List<Future<LossAndGradients>> parts = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            List<Frame> chunk = batch.subList(w * batch.size() / workers, (w + 1) * batch.size() / workers);
            int chunkIndex = w;
            parts.add(pool.submit(() -> lossAndGradients(chunk, chunkIndex, energyNorm, forceNorm)));
        }
        float[][] grads = new float[params.size()][];
        double loss = 0;
        for (Future<LossAndGradients> part : parts) {
            LossAndGradients r = part.get();
            loss += r.loss();
            float[][] g = r.gradients();
            for (int p = 0; p < grads.length; p++) {
                if (grads[p] == null) grads[p] = g[p].clone();
                else {
                    float[] src = g[p];
                    for (int i = 0; i < src.length; i++) grads[p][i] += src[i];
                }
            }
        }
        String problem = FiniteCheck.step(loss, grads, this::parameterName);
        if (problem != null) throw new NonFiniteStep(problem);      // before the update: the weights stay as they were
        adam.step(grads, stepLr);
        average.update(adam.steps());
        hook.afterStep(epoch);
        return loss;
    }

    /** A step whose loss or gradient is not finite; {@link #epochs} adds where it happened. */
    private static final class NonFiniteStep extends RuntimeException {
        NonFiniteStep(String problem) {
            super(problem, null, false, false);
        }
    }

    /** The name of trained tensor {@code p} ({@link #params}: the model's parameters, then quantizer steps and scales). */
    private String parameterName(int p) {
        return p < model.parameters().size() ? params.get(p).name() : "quantizer tensor " + p;
    }

    /** The one-line report of a run stopped in epoch {@code epochNumber} (from 1): where, what is kept, what to try. */
    private TrainingDivergedException diverged(int epochNumber, String where, float rate) {
        Path last = runDir.resolve("last.safetensors"), best = runDir.resolve("best.safetensors");
        String kept = Files.exists(last)
                ? "nothing of epoch " + epochNumber + " was saved: " + last + " (epoch " + (epochNumber - 1) + ")"
                        + (Files.exists(best) ? " and " + best : "") + " are the last good models"
                : "nothing was saved (no epoch had finished)";
        return new TrainingDivergedException(epochNumber, String.format("training stopped in epoch %d at %s; %s. "
                + "Check the data (coincident atoms, absurd labels) or train with a smaller --lr (the rate was %.2e).",
                epochNumber, where, kept, rate));
    }

    /** One worker's share of a batch: its loss and the loss gradient of every trained tensor (arrays the caller must not change). */
    private record LossAndGradients(double loss, float[][] gradients) {}

    /**
     * Whether steps take the compiled gradient ({@link Options.Engine}): data with forces, a model it supports (FP32, or
     * fake-quantized as the recommended recipe: {@link CompiledLossGradient#supports}), and only the model's parameters
     * trained (no learned quantizer steps).
     */
    private boolean compiledStep() {
        return options.engine() == Options.Engine.COMPILED && labels.forces() && params.size() == model.parameters().size()
                && CompiledLossGradient.supports(model);
    }

    private LossAndGradients lossAndGradients(List<Frame> chunk, int chunkIndex, float energyNorm, float forceNorm) {
        GraphBatch g = NeighborList.batch(chunk, model.config().cutoff());
        if (compiledStep()) {
            CompiledLossGradient c = compiledGradients.computeIfAbsent(chunkIndex, k -> new CompiledLossGradient(model));
            float[][] grads = new float[params.size()][];
            for (int p = 0; p < grads.length; p++) grads[p] = new float[params.get(p).size()];
            CompiledLossGradient.Lee lee = null;
            if (options.loss().lee() > 0) {
                RotatedCopy copy = rotatedCopy(chunk, chunkIndex, g);
                lee = new CompiledLossGradient.Lee(NeighborList.batch(copy.frames(), model.config().cutoff()), copy.perAtomRotation(),
                        options.loss().lee() * (1f / model.elementScale()[1]) * 3f * forceNorm);
            }
            double loss = c.lossAndGradient(g, lee, options.loss().energy() * energyNorm, options.loss().force() * forceNorm, grads);
            return new LossAndGradients(loss, grads);
        }
        var random = new SplittableRandom(options.seed() * 131 + adam.steps() * 1_000_003L + chunkIndex);
        return hook.duringBatch(g, random, () -> lossAndGradients(chunk, chunkIndex, g, energyNorm, forceNorm));
    }

    private LossAndGradients lossAndGradients(List<Frame> chunk, int chunkIndex, GraphBatch g, float energyNorm, float forceNorm) {
        // Energy-only data skips the force pass, unless the LEE penalty needs the model's forces.
        var pred = labels.forces() || options.loss().lee() > 0 ? model.predict(g, true) : model.predictEnergiesOnGraph(g);
        Tensor loss = labels.forces() ? loss(model, g, pred, options.loss().energy() * energyNorm, options.loss().force() * forceNorm)
                : loss(model, g, pred, energyNorm, 0f);
        if (options.loss().lee() > 0) {
            // Per atom, in the force units of the loss (σ), weighted like a force term.
            float invSigma = 1f / model.elementScale()[1];
            loss = loss.add(equivarianceError(chunk, chunkIndex, pred.forces(), g).mul(options.loss().lee() * invSigma * 3f * forceNorm));
        }
        Tensor[] grads = Autograd.grad(loss, params.toArray(new Tensor[0]), false);
        float[][] arrays = new float[grads.length][];
        for (int p = 0; p < grads.length; p++) arrays[p] = grads[p].data();
        return new LossAndGradients(loss.item(), arrays);
    }

    /**
     * The training loss of one batch: w_E Σ_m ((E_m − Ê_m)/σ)² + w_F Σ_c ((F_c − F̂_c)/σ)², the weights
     * already divided by the batch's molecules and force components; without force labels (or predicted
     * forces) the energy term alone. The energy residual is taken on the interaction part against
     * Ê_m − Σμ_Z formed in double (in float, −4000 eV totals would round the residual to ~0.5 meV).
     */
    public static Tensor loss(EquivariantTransformer model, GraphBatch g, EquivariantTransformer.Prediction pred,
                              float energyWeight, float forceWeight) {
        float invSigma = 1f / model.elementScale()[1];
        double[] target = new double[g.numMolecules()];
        for (int m = 0; m < target.length; m++) target[m] = g.energies()[m] - pred.shifts()[m];
        Tensor energyError = pred.interaction().sub(Tensor.of(target, g.numMolecules())).mul(invSigma);
        Tensor energyTerm = energyError.square().sum().mul(energyWeight);
        if (g.forces() == null || pred.forces() == null) return energyTerm;
        Tensor forceError = pred.forces().sub(Tensor.of(g.forces(), g.numAtoms(), 3)).mul(invSigma);
        return energyTerm.add(forceError.square().sum().mul(forceWeight));
    }

    /**
     * The LEE penalty (paper §III-E): Σ_atoms ‖F(R·x) − R·F(x)‖ with a random rotation R per molecule,
     * on the graph so that it trains the quantizers and weights towards equivariance. Zero in exact
     * arithmetic for the FP32 model; nonzero where quantization breaks the symmetry.
     */
    private Tensor equivarianceError(List<Frame> chunk, int chunkIndex, Tensor forces, GraphBatch g) {
        RotatedCopy copy = rotatedCopy(chunk, chunkIndex, g);
        Tensor rotatedForces = model.predict(NeighborList.batch(copy.frames(), model.config().cutoff()), true).forces();   // F(R·x)
        Tensor rotations = Tensor.of(copy.perAtomRotation(), g.numAtoms(), 3, 3);
        Tensor forcesRotated = rotations.mul(forces.reshape(g.numAtoms(), 1, 3)).sum(2, false);                 // R·F(x)
        return Functional.norm(rotatedForces.sub(forcesRotated), 1, false, 1e-6f).sum();
    }

    /** The LEE term's copy of a worker's frames: each molecule turned by a random rotation, and each atom's rotation [N × 9]. */
    private record RotatedCopy(List<Frame> frames, float[] perAtomRotation) {}

    /** The rotations of step {@code adam.steps()} and worker {@code chunkIndex}: the same for the tape and the compiled step. */
    private RotatedCopy rotatedCopy(List<Frame> chunk, int chunkIndex, GraphBatch g) {
        SplittableRandom rng = new SplittableRandom(options.seed() * 31 + adam.steps() * 1_000_003L + chunkIndex);
        List<Frame> rotated = new ArrayList<>();
        float[] perAtomRotation = new float[g.numAtoms() * 9];
        int atom = 0;
        for (Frame f : chunk) {
            double[] r = Rotations.random(rng);
            rotated.add(f.withPositions(Rotations.apply(r, f.positions())));
            for (int i = 0; i < f.numAtoms(); i++, atom++) {
                for (int k = 0; k < 9; k++) perAtomRotation[9 * atom + k] = (float) r[k];
            }
        }
        return new RotatedCopy(rotated, perAtomRotation);
    }

    /** Ensures frames carry the labels training needs: energies on every frame, forces on all or none ({@link Labels}). */
    public static void requireLabels(Dataset d) {
        if (d.size() == 0) {
            throw new IllegalArgumentException(d.name() + " has no frames: the data is too small to split into training and "
                    + "validation frames (it needs at least 5)");
        }
        Labels.of(d);
    }
}
