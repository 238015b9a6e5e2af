package org.gaq.cli;

import picocli.CommandLine.Option;

/** {@code --max-minutes} and {@code --cpu-budget}: how long a training run may take (shared by train and qat). */
public final class TrainingBudget {
    @Option(names = "--max-minutes", paramLabel = "M", description = "stop after the epoch that passes this many minutes; "
            + "a resumed training run counts the minutes of its earlier sessions (default: 120 for train; 60 per stage for qat)")
    Double maxMinutes;
    @Option(names = "--cpu-budget", description = "count --max-minutes in CPU time of this process, not wall time "
            + "(equal compute for every run on a shared machine)")
    boolean cpuBudget;

    /** --max-minutes (checked positive), or the command's default. */
    double maxMinutes(double commandDefault) {
        if (maxMinutes == null) return commandDefault;
        if (!(maxMinutes > 0)) throw new IllegalArgumentException("--max-minutes must be positive, got " + maxMinutes);
        return maxMinutes;
    }
}
