package org.gaq.cli;

import picocli.CommandLine.Option;

/** {@code --threads}: worker threads (shared by train, qat, eval and demo). */
public final class ThreadsOption {
    @Option(names = "--threads", paramLabel = "T", description = "worker threads (default: all cores)")
    Integer threads;

    /** The threads asked for (checked), or all cores. */
    int workers() {
        return CommandChecks.threads(threads);
    }
}
