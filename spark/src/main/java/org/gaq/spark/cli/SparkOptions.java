package org.gaq.spark.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options every job shares: where it runs when not under spark-submit, and where rmd17:/qm9 data lives. */
public final class SparkOptions {
    @Option(names = "--master", defaultValue = "local[2]", paramLabel = "MASTER",
            description = "Spark master when not run by spark-submit (which sets its own): local[N] (default: ${DEFAULT-VALUE})")
    String master;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "folder holding rmd17/ (default: $GAQ_DATA_DIR, else ../shared/data)")
    Path dataDir;
}
