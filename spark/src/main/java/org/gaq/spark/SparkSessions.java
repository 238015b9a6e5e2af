package org.gaq.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.gaq.util.Progress;

/**
 * The session of a job: under {@code spark-submit} the master and every setting come from it; run directly
 * ({@code ./gaq spark}, tests) the master is the one given (local[N]), the web UI is off and
 * Spark's own task progress line is on in a terminal.
 */
public final class SparkSessions {
    private SparkSessions() {}

    /** @param localMaster the master when none is set by spark-submit (e.g. "local[2]") */
    public static SparkSession start(String appName, String localMaster) {
        SparkConf conf = new SparkConf();           // reads the spark.* system properties spark-submit sets
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        if (!conf.contains("spark.master")) {
            builder.master(localMaster)
                    .config("spark.ui.enabled", "false")
                    // Spark's "[Stage 1:=====>  (12 + 2) / 64]" line is the progress of a job run from a terminal.
                    .config("spark.ui.showConsoleProgress", String.valueOf(Progress.isInteractive()))
                    .config("spark.sql.shuffle.partitions", "4");
        }
        return builder.getOrCreate();
    }
}
