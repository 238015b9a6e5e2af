package org.gaq.cli;

import org.gaq.train.Trainer;
import picocli.CommandLine.Option;

import java.util.Locale;

/**
 * {@code --epochs}, {@code --batch-size}, {@code --lr}, {@code --lr-schedule}, {@code --patience} and {@code --energy-weight}: the optimiser
 * and loss options that train and qat share, each declared once; the commands supply their own defaults.
 */
public final class OptimiserOptions {
    @Option(names = "--epochs", paramLabel = "N", description = "epochs at most (default: 1000 for train, 30 for qat's main stage)")
    Integer epochs;
    @Option(names = "--batch-size", paramLabel = "B", description = "molecules per optimisation step (default: 8)")
    Integer batchSize;
    @Option(names = "--lr", paramLabel = "RATE", description = "Adam's learning rate after the linear warm-up (default: 1e-3 for train; "
            + "for qat 1e-5, where the FP32 run ended, and with --recommended 1e-4 for w4a8)")
    Float lr;
    @Option(names = "--lr-schedule", paramLabel = "plateau|cosine", description = "how the learning rate comes down after the "
            + "warm-up: plateau (×--decay after --patience epochs without a validation improvement; the run stops at such a "
            + "plateau at --min-lr) or cosine (from --lr to --min-lr over the run, whose end is --max-minutes or --epochs, "
            + "whichever comes first; no early stop; docs/training.md) (default: plateau)")
    String lrSchedule;
    @Option(names = "--patience", paramLabel = "N", description = "epochs without a validation improvement before the learning rate "
            + "decays (default: 8 for train, 3 for qat)")
    Integer patience;
    @Option(names = "--energy-weight", paramLabel = "W", description = "the energy's weight in the loss on data with forces "
            + "(default: 0.01; qat gives the forces the rest, train --force-weight)")
    Float energyWeight;

    int epochs(int commandDefault) {
        int v = epochs != null ? epochs : commandDefault;
        if (v < 0) throw new IllegalArgumentException("--epochs must be ≥ 0, got " + v);
        return v;
    }

    int batchSize() {
        int v = batchSize != null ? batchSize : 8;
        CommandChecks.positive("--batch-size", v);
        return v;
    }

    float lr(float commandDefault) {
        float v = lr != null ? lr : commandDefault;
        if (!(v > 0) || Float.isInfinite(v)) throw new IllegalArgumentException("--lr must be positive, got " + v);
        return v;
    }

    Trainer.Options.Decay decay() {
        if (lrSchedule == null) return Trainer.Options.Decay.PLATEAU;
        return switch (lrSchedule.toLowerCase(Locale.ROOT)) {
            case "plateau" -> Trainer.Options.Decay.PLATEAU;
            case "cosine" -> Trainer.Options.Decay.COSINE;
            default -> throw new IllegalArgumentException("--lr-schedule must be plateau or cosine, got '" + lrSchedule + "'");
        };
    }

    int patience(int commandDefault) {
        int v = patience != null ? patience : commandDefault;
        if (v < 0) throw new IllegalArgumentException("--patience must be ≥ 0, got " + v);
        return v;
    }

    /** The energy's weight in the loss (its range is checked where it is used). */
    float energyWeight() {
        return energyWeight != null ? energyWeight : 0.01f;
    }
}
