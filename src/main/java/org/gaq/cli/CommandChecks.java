package org.gaq.cli;

import org.gaq.report.Records;
import picocli.CommandLine.Model.CommandSpec;

/** Checks of option values that picocli's types cannot express, with one-line messages naming the option. */
final class CommandChecks {
    private CommandChecks() {}

    /** Throws unless {@code value} ≥ 1 (counts: threads, batch sizes, frames). */
    static void positive(String option, int value) {
        if (value < 1) throw new IllegalArgumentException(option + " must be at least 1, got " + value);
    }

    /** The worker threads of {@code --threads} (checked), or all cores if it was not given. */
    static int threads(Integer threads) {
        if (threads == null) return Runtime.getRuntime().availableProcessors();
        positive("--threads", threads);
        return threads;
    }

    /** "gaq CMD ARGS..." as typed (shell-quoted where needed), for run records. */
    static String commandLine(CommandSpec spec) {
        return "gaq " + Records.shellWords(spec.commandLine().getParseResult().originalArgs());
    }
}
