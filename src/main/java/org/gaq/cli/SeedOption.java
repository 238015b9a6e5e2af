package org.gaq.cli;

import picocli.CommandLine.Option;

/** {@code --seed}: the data split's seed, and the run's randomness after it (shared by train, qat, ptq, eval and demo). */
public final class SeedOption {
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S",
            description = "seed of the data split and of the run's random choices (default: ${DEFAULT-VALUE})")
    long seed = 1;
}
