package org.gaq.cli;

import org.gaq.model.ModelConfig;
import org.gaq.train.Trainer;
import picocli.CommandLine.Model.CommandSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * `gaq train --resume` continues a run with the options and model it was started with: options left out are the
 * run's own (not the defaults), and an option given with another value is refused, except the budget
 * (--epochs, --max-minutes, --cpu-budget, --threads).
 */
final class ResumedOptions {
    private ResumedOptions() {}

    private record Fixed<T>(String option, Function<T, Object> value) {}

    private static final List<Fixed<Trainer.Options>> OPTIONS = List.of(
            new Fixed<>("--batch-size", o -> o.schedule().batchSize()), new Fixed<>("--lr", o -> o.optimiser().learningRate()),
            new Fixed<>("--min-lr", o -> o.optimiser().minLearningRate()), new Fixed<>("--warmup-epochs", o -> o.schedule().warmupEpochs()),
            new Fixed<>("--lr-schedule", o -> o.schedule().decay()), new Fixed<>("--patience", o -> o.schedule().plateauPatience()), new Fixed<>("--decay", o -> o.schedule().plateauFactor()),
            new Fixed<>("--energy-weight", o -> o.loss().energy()), new Fixed<>("--force-weight", o -> o.loss().force()),
            new Fixed<>("--weight-decay", o -> o.optimiser().weightDecay()), new Fixed<>("--weight-average", o -> o.optimiser().weightAverageDecay()),
            new Fixed<>("--seed", Trainer.Options::seed));

    private static final List<Fixed<ModelConfig>> MODEL = List.of(
            new Fixed<>("--features", ModelConfig::features), new Fixed<>("--layers", ModelConfig::layers),
            new Fixed<>("--heads", ModelConfig::heads), new Fixed<>("--plain-attention", c -> !c.cosineAttention()));

    static void requireUnchanged(CommandSpec spec, Trainer.Options given, Trainer.Options recorded) {
        require(spec, OPTIONS, given, recorded, "options");
    }

    static void requireSameModel(CommandSpec spec, ModelConfig given, ModelConfig recorded) {
        require(spec, MODEL, given, recorded, "model");
    }

    private static <T> void require(CommandSpec spec, List<Fixed<T>> fixed, T given, T recorded, String what) {
        List<String> changed = new ArrayList<>();
        for (Fixed<T> f : fixed) {
            Object a = f.value().apply(given), b = f.value().apply(recorded);
            if (spec.commandLine().getParseResult().hasMatchedOption(f.option()) && !Objects.equals(a, b)) {
                changed.add(f.option() + " " + a + " (the run's: " + b + ")");
            }
        }
        if (!changed.isEmpty()) {
            throw new IllegalArgumentException("--resume continues a run with its own " + what + "; this command changes "
                    + String.join(", ", changed) + ". Leave them out, or start a new run with another --out");
        }
    }
}
