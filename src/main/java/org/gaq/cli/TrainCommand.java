package org.gaq.cli;

import org.gaq.data.DataFingerprint;
import org.gaq.data.DataSource;
import org.gaq.data.Dataset;
import org.gaq.data.Split;
import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.quant.ModelFiles;
import org.gaq.run.RunFolders;
import org.gaq.run.RunLock;
import org.gaq.run.RunOrigin;
import org.gaq.train.ResumeCheck;
import org.gaq.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train an FP32 equivariant transformer on energies and forces (rMD17 protocol: 950 train + 50 validation of train_01).",
                "Data without forces (qm9, an extended-XYZ file without a forces column) trains on energies alone: the loss is "
                        + "mean((E − Ê)/σ)², --energy-weight and --force-weight do not apply; data with forces on only some frames is refused.",
                "A fresh run refuses an --out folder that holds another run; --resume continues a run on its own data with its own "
                        + "options (only --epochs, --max-minutes, --cpu-budget and --threads may change)."})
public final class TrainCommand implements Callable<Integer> {
    @Mixin DataOptions data;

    @Mixin RunFolderOption runFolder;     // with --resume: the checkpoint's folder unless --out names another
    @Option(names = "--resume", paramLabel = "CHECKPOINT", description = "continue from a run's last.safetensors")
    Path resume;
    @Mixin TrainingBudget budget;
    @Mixin OptimiserOptions optimiser;
    @Option(names = "--min-lr", defaultValue = "1e-5") float minLr;
    @Option(names = "--warmup-epochs", defaultValue = "2") int warmupEpochs;
    @Option(names = "--decay", defaultValue = "0.5", description = "learning-rate factor on plateau") float decay;
    @Option(names = "--force-weight", defaultValue = "0.99") float forceWeight;
    @Option(names = "--weight-decay", defaultValue = "0") float weightDecay;
    @Option(names = "--weight-average", paramLabel = "D", defaultValue = "0.999",
            description = "validate and save an exponential moving average of the weights with decay D per step, 0: off "
                    + "(default: ${DEFAULT-VALUE}, about the last 1,000 steps)")
    float weightAverage;
    @Mixin TrainingEngineOption engineOption;
    @Mixin SeedOption seedOption;
    @Mixin ThreadsOption threadsOption;
    @Option(names = "--train-frames", description = "use only the first N training frames (quick demos)") Integer trainFrames;
    @Option(names = "--features", defaultValue = "64") int features;
    @Option(names = "--layers", defaultValue = "6") int layers;
    @Option(names = "--heads", defaultValue = "8") int heads;
    @Option(names = "--plain-attention", description = "q·k/√d instead of the paper's L2-normalised attention (ablation)")
    boolean plainAttention;
    @Spec CommandSpec commandSpec;

    @Override
    public Integer call() throws Exception {
        int epochs = optimiser.epochs(1000);
        int workers = threadsOption.workers();
        double maxMinutes = budget.maxMinutes(120);
        long seed = seedOption.seed;
        var options = Trainer.Options.builder().epochs(epochs).batchSize(optimiser.batchSize()).learningRate(optimiser.lr(1e-3f))
                .minLearningRate(minLr).warmupEpochs(warmupEpochs).decay(optimiser.decay()).plateauPatience(optimiser.patience(8)).plateauFactor(decay)
                .energyWeight(optimiser.energyWeight()).forceWeight(forceWeight)
                .weightDecay(weightDecay).weightAverageDecay(weightAverage).seed(seed).threads(workers).maxMinutes(maxMinutes)
                .engine(engineOption.engine()).build();
        var config = new ModelConfig(features, layers, heads, 32, 5.0, !plainAttention, 18);
        var source = data.resolve();
        String command = CommandChecks.commandLine(commandSpec);

        Path runDir;
        Split split;
        if (resume != null) {
            Checkpoint.Contents saved = ModelFiles.loadContents(resume);
            Trainer.Options recorded = ResumeCheck.recordedOptions(resume, saved.extraMetadata());
            if (recorded != null) {
                ResumedOptions.requireUnchanged(commandSpec, options, recorded);
                options = recorded.withBudget(epochs, workers, maxMinutes).toBuilder().engine(options.engine()).build();
            }
            ResumedOptions.requireSameModel(commandSpec, config, saved.model().config());
            split = split(source, options.seed());
            ResumeCheck.requireSameData(resume, saved.extraMetadata(), split);
            Path own = resume.toAbsolutePath().getParent();
            runDir = runFolder.out == null ? own : ownOrFresh(runFolder.out, own);
        } else {
            split = split(source, seed);
            runDir = runFolder.fresh(Path.of("runs", source.spec().replaceAll("[^A-Za-z0-9._-]", "_")), "continue it with --resume DIR/last.safetensors");
        }
        try (RunLock lock = RunLock.acquire(runDir, command, System.err)) {
            Trainer trainer;
            if (resume != null) {
                trainer = Trainer.resume(resume, split, options, runDir, System.out);
                RunOrigin.recordResume(runDir, command);
            } else {
                RunOrigin.now(command, describe(source, split), Map.of("config", config.toString())).write(runDir);
                trainer = Trainer.start(new EquivariantTransformer(config, seed), split, options, runDir, System.out);
            }
            System.out.printf("training on %d frames (%d validation), %s, %d parameters, %d threads, %s; run folder %s%n",
                    split.train().size(), split.validation().size(), split.train().allHaveForces() ? "energies and forces" : "energies only",
                    trainer.model().parameterCount(), options.budget().threads(), options.optimiser().weightAverageDecay() > 0
                            ? "validated and saved as a weight average (decay " + options.optimiser().weightAverageDecay() + ")" : "no weight average",
                    runDir);
            trainer.cpuBudget(budget.cpuBudget).run();
        }
        System.out.println("best model: " + runDir.resolve("best.safetensors"));
        return 0;
    }

    /** The data split this run trains on (the first --train-frames of the training part, if given), labels checked. */
    private Split split(DataSource.Source source, long splitSeed) throws IOException {
        Split split = source.split(splitSeed);
        Dataset train = split.train();
        if (trainFrames != null) {
            CommandChecks.positive("--train-frames", trainFrames);
            int n = Math.min(trainFrames, train.size());
            int[] idx = new int[n];
            for (int i = 0; i < n; i++) idx[i] = i;
            train = train.subset(train.name(), idx);
            split = new Split(train, split.validation(), split.test());
        }
        Trainer.requireLabels(split.train());
        Trainer.requireLabels(split.validation());
        return split;
    }

    /** A resumed run writes into its own folder; another --out must be free of other runs. */
    private static Path ownOrFresh(Path out, Path own) throws IOException {
        if (out.toAbsolutePath().normalize().equals(own.normalize())) return out;
        return RunFolders.forFreshRun(out, true, "resume into the checkpoint's own folder " + own, System.out);
    }

    private static Map<String, String> describe(DataSource.Source source, Split split) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("spec", source.spec());
        d.put("train", DataFingerprint.describe(split.train()));
        d.put("validation", DataFingerprint.describe(split.validation()));
        return d;
    }
}
