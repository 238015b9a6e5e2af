package org.gaq.cli;

import org.gaq.data.Dataset;
import org.gaq.data.Split;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train an FP32 equivariant transformer on energies and forces (rMD17 protocol: 950 train + 50 validation of train_01).")
public final class TrainCommand implements Callable<Integer> {
    @Mixin DataOptions data;

    @Option(names = "--out", paramLabel = "DIR", description = "run folder: checkpoints, train.csv, learning_curve.png (default: runs/<data name>)")
    Path out;
    @Option(names = "--resume", paramLabel = "CHECKPOINT", description = "continue from a run's last.safetensors")
    Path resume;
    @Option(names = "--epochs", defaultValue = "1000") int epochs;
    @Option(names = "--max-minutes", defaultValue = "120", description = "stop after the epoch that passes this wall time (default: ${DEFAULT-VALUE})")
    double maxMinutes;
    @Option(names = "--cpu-budget", description = "count --max-minutes in CPU time of this process, not wall time "
            + "(equal compute for every run on a shared machine)") boolean cpuBudget;
    @Option(names = "--batch-size", defaultValue = "8") int batchSize;
    @Option(names = "--lr", defaultValue = "1e-3") float lr;
    @Option(names = "--min-lr", defaultValue = "1e-5") float minLr;
    @Option(names = "--warmup-epochs", defaultValue = "2") int warmupEpochs;
    @Option(names = "--patience", defaultValue = "8", description = "epochs without validation improvement before the learning rate decays") int patience;
    @Option(names = "--decay", defaultValue = "0.5", description = "learning-rate factor on plateau") float decay;
    @Option(names = "--energy-weight", defaultValue = "0.01") float energyWeight;
    @Option(names = "--force-weight", defaultValue = "0.99") float forceWeight;
    @Option(names = "--weight-decay", defaultValue = "0") float weightDecay;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--threads", description = "worker threads (default: all cores)") Integer threads;
    @Option(names = "--train-frames", description = "use only the first N training frames (quick demos)") Integer trainFrames;
    @Option(names = "--features", defaultValue = "64") int features;
    @Option(names = "--layers", defaultValue = "6") int layers;
    @Option(names = "--heads", defaultValue = "8") int heads;
    @Option(names = "--plain-attention", description = "q·k/√d instead of the paper's L2-normalised attention (ablation)")
    boolean plainAttention;

    @Override
    public Integer call() throws Exception {
        var source = data.resolve();
        Split split = source.split(seed);
        Dataset train = split.train();
        if (trainFrames != null) {
            if (trainFrames <= 0) throw new IllegalArgumentException("--train-frames must be positive");
            int n = Math.min(trainFrames, train.size());
            int[] idx = new int[n];
            for (int i = 0; i < n; i++) idx[i] = i;
            train = train.subset(train.name(), idx);
            split = new Split(train, split.validation(), split.test());
        }
        Trainer.requireLabels(split.train());
        Trainer.requireLabels(split.validation());
        int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        var options = Trainer.Options.fp32(epochs, batchSize, lr, minLr, warmupEpochs, patience, decay, energyWeight,
                forceWeight, weightDecay, seed, workers, maxMinutes);
        Path runDir = out != null ? out : Path.of("runs", source.spec().replaceAll("[^A-Za-z0-9._-]", "_"));
        Trainer trainer;
        if (resume != null) {
            trainer = Trainer.resume(resume, split, options, runDir, System.out);
        } else {
            var config = new ModelConfig(features, layers, heads, 32, 5.0, !plainAttention, 18);
            trainer = Trainer.start(new EquivariantTransformer(config, seed), split, options, runDir, System.out);
        }
        System.out.printf("training on %d frames (%d validation), %d parameters, %d threads; run folder %s%n",
                split.train().size(), split.validation().size(), trainer.model().parameterCount(), workers, runDir);
        trainer.cpuBudget(cpuBudget).run();
        System.out.println("best model: " + runDir.resolve("best.safetensors"));
        return 0;
    }
}
