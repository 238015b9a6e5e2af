package org.gaq.train;

import org.gaq.data.Split;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * One quantization-aware training run of a fake-quantized model, as {@code gaq qat} and {@code gaq demo} run it:
 * <ol>
 *   <li>the main stage: the options' scalar-only warm-up epochs, then every branch quantized, with the LEE penalty
 *       (a run may have none: the model then goes into the next stage as it is);</li>
 *   <li>optionally, the frozen-codes stage ({@link QatRecipe#frozenStage}): the best model of the main stage trained
 *       further with its quantized weights fixed.</li>
 * </ol>
 * The run folder: without a frozen-codes stage the main stage writes into it; with one the main stage writes into
 * {@code stage1/} and the frozen-codes stage into the folder itself, so {@code DIR/best.safetensors} is always the
 * run's final model.
 */
public final class QatRun {
    private final Optional<Trainer.Options> main;
    private Optional<Trainer.Options> frozenCodes = Optional.empty();
    private boolean cpuBudget;
    private Optional<Float> oscillationThreshold = Optional.empty();

    private QatRun(Optional<Trainer.Options> main) {
        this.main = main;
    }

    /** A run whose main stage has {@code options}. */
    public static QatRun mainStage(Trainer.Options options) {
        return new QatRun(Optional.of(options));
    }

    /** A run without a main stage: the model goes into the frozen-codes stage as it is. */
    public static QatRun withoutMainStage() {
        return new QatRun(Optional.empty());
    }

    /** Adds the frozen-codes stage with {@code options}. */
    public QatRun thenFrozenCodes(Trainer.Options options) {
        this.frozenCodes = Optional.of(options);
        return this;
    }

    /** Budgets in CPU time of the process ({@link Trainer#cpuBudget}). */
    public QatRun cpuBudget(boolean on) {
        this.cpuBudget = on;
        return this;
    }

    /** The main stage freezes weight elements whose codes oscillate more often than {@code threshold} ({@link Trainer#freezeOscillatingWeights}). */
    public QatRun freezeOscillatingWeights(float threshold) {
        if (main.isEmpty()) throw new IllegalArgumentException("freezing oscillating weights acts in the main stage, and this run has none");
        this.oscillationThreshold = Optional.of(threshold);
        return this;
    }

    /** Runs the stages on {@code model} (its sites a calibrated {@link QuantizationPlan}); returns the final model's file. */
    public Path run(EquivariantTransformer model, Split split, Path runDir, PrintStream log) throws Exception {
        if (!(model.sites() instanceof QuantizationPlan)) throw new IllegalArgumentException("QAT needs a model with a calibrated quantization plan");
        Path stageDir = frozenCodes.isPresent() ? runDir.resolve("stage1") : runDir;
        if (main.isEmpty() && frozenCodes.isEmpty()) throw new IllegalStateException("a QAT run needs a main stage, a frozen-codes stage or both");
        Path best = main.isPresent() ? mainStage(model, split, main.get(), stageDir, log) : saveAsItIs(model, stageDir);
        if (frozenCodes.isEmpty()) return best;
        Trainer.Options options = frozenCodes.get();
        log.printf("frozen weight codes: up to %d epochs from %s (run folder %s)%n", options.schedule().epochs(), best, runDir);
        QatRecipe.frozenStage(best, split, options, runDir, log).cpuBudget(cpuBudget).run();
        Path frozenBest = runDir.resolve("best.safetensors");
        if (Files.exists(frozenBest)) return frozenBest;
        log.printf("the budget ended before a frozen-codes epoch: keeping %s%n", best);
        return best;
    }

    private Path mainStage(EquivariantTransformer model, Split split, Trainer.Options main, Path stageDir, PrintStream log) throws Exception {
        Trainer trainer = Trainer.startQat(model, split, main, stageDir, log).cpuBudget(cpuBudget);
        oscillationThreshold.ifPresent(trainer::freezeOscillatingWeights);
        trainer.run();
        Path best = stageDir.resolve("best.safetensors");
        if (!Files.exists(best)) {
            // Warm-up epochs are no candidates: if the budget ended inside them, one epoch with every branch quantized follows.
            log.printf("the budget ended inside the scalar-only warm-up: one more epoch with the vector branch quantized too%n");
            var more = main.withBudget(main.qat().vectorWarmupEpochs() + 1, main.budget().threads(), 1e5);
            Path last = stageDir.resolve("last.safetensors");
            (Files.exists(last) ? Trainer.resume(last, split, more, stageDir, log) : Trainer.startQat(model, split, more, stageDir, log)).run();
        }
        if (!Files.exists(best)) throw new IllegalStateException("QAT wrote no " + best);
        return best;
    }

    /** No main stage: the calibrated model itself starts the frozen-codes stage. */
    private static Path saveAsItIs(EquivariantTransformer model, Path stageDir) throws Exception {
        Path file = stageDir.resolve("start.safetensors");
        Files.createDirectories(stageDir);
        ModelFiles.save(file, model, Map.of(), Map.of());
        return file;
    }
}
