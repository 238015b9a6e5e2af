package org.gaq.spark;

import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** One local[2] session for all tests of this module (starting Spark costs seconds), and the shared test inputs. */
final class SparkTestSession {
    private SparkTestSession() {}

    private static SparkSession session;

    static synchronized SparkSession get() {
        if (session == null) {
            session = SparkSessions.start("gaq-spark tests", "local[2]");
            Runtime.getRuntime().addShutdownHook(new Thread(session::stop));
        }
        return session;
    }

    /** The repository root (the module's tests run in spark/). */
    static Path repo() {
        Path here = Path.of("").toAbsolutePath();
        return here.getFileName().toString().equals("spark") ? here.getParent() : here;
    }

    static Path model(String name) {
        return repo().resolve("models").resolve(name);
    }

    /** A file of the shared data folder beside the repository (../shared/data), or skip the test if it is not there. */
    static Path requireShared(String relative) {
        Path p = repo().resolveSibling("shared").resolve("data").resolve(relative);
        assumeTrue(Files.isRegularFile(p), "reference data not available: " + p);
        return p;
    }
}
