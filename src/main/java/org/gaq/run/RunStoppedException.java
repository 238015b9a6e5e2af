package org.gaq.run;

/**
 * A run stopped on purpose because going on would write or report nonsense: training whose loss or
 * gradient became non-finite, MD that left the physical regime. The message is one sentence for the
 * user: where it stopped, what was kept on disk, what to try. The command line prints just that and
 * exits with {@link #EXIT_CODE}.
 */
public class RunStoppedException extends RuntimeException {
    /** Exit code of a command whose run stopped this way (1 is any other error, 2 a usage error). */
    public static final int EXIT_CODE = 3;

    public RunStoppedException(String message) {
        super(message);
    }
}
