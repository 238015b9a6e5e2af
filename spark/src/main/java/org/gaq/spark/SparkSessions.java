package org.gaq.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The session of a job: under {@code spark-submit} the master and every setting come from it; run directly
 * ({@code ./gaq spark}, tests) the master is the one given (local[N]) and the web UI is off.
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
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.sql.shuffle.partitions", "4");
        }
        return builder.getOrCreate();
    }
}
