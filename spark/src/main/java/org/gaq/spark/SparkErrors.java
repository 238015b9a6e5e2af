package org.gaq.spark;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Spark reports a task's exception wrapped in a job failure several lines long; what the user needs is the
 * task's own message (it names the file and record), so the launcher prints the innermost gaq error.
 */
public final class SparkErrors {
    private SparkErrors() {}

    /** The message of the innermost {@link IllegalArgumentException} or I/O error in the cause chain, else of {@code e}. */
    public static String message(Throwable e) {
        String best = null;
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof IllegalArgumentException || t instanceof IOException || t instanceof UncheckedIOException) {
                best = t.getMessage();
            }
        }
        if (best != null) return best;
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }
}
