package org.gaq.cli;

import org.gaq.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --engine compiled|tape} of the training commands (train, qat): how each step's gradient is computed. */
public final class TrainingEngineOption {
    @Spec(Spec.Target.MIXEE) CommandSpec spec;

    @Option(names = "--engine", defaultValue = "compiled", paramLabel = "compiled|tape",
            description = "how each step's gradient is computed: compiled (hand-written passes, docs/training.md: FP32 models and "
                    + "the recommended QAT recipe, the LEE term included; others fall back to the tape) or tape (the autodiff tape); "
                    + "the same gradient to float rounding (default: ${DEFAULT-VALUE})")
    String engine = "compiled";

    Trainer.Options.Engine engine() {
        return switch (engine) {
            case "compiled" -> Trainer.Options.Engine.COMPILED;
            case "tape" -> Trainer.Options.Engine.TAPE;
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--engine takes compiled or tape, not '" + engine + "'");
        };
    }
}
