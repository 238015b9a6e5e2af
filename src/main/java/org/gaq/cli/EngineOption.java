package org.gaq.cli;

import org.gaq.infer.Potential;
import org.gaq.model.EquivariantTransformer;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.Locale;

/** {@code --engine}: which engine computes energies and forces (shared by eval, md, drive, bench and demo). */
public final class EngineOption {
    @Option(names = "--engine", defaultValue = "auto", paramLabel = "ENGINE",
            description = "auto (default: the compiled engine where the model allows, else the tape), compiled, or tape "
                    + "(the autodiff engine of training: the reference, and for timing both side by side)")
    String engine = "auto";

    /** The model on the chosen engine; with auto, a model the compiled engine cannot run is noted on {@code notes}. */
    Potential potential(EquivariantTransformer model, PrintStream notes) {
        return potential(model, engine, notes);
    }

    /** The model on the engine named {@code engine} (auto, compiled or tape), as {@code --engine} takes it. */
    static Potential potential(EquivariantTransformer model, String engine, PrintStream notes) {
        return Potential.of(model, parse(engine), notes);
    }

    private static Potential.Engine parse(String engine) {
        try {
            return Potential.Engine.valueOf(engine.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--engine must be auto, compiled or tape, got " + engine);
        }
    }
}
