package org.gaq.tensor;

/**
 * Whether new operations are recorded on the autodiff graph, per thread.
 *
 * <p>Recording is on by default. Inference (MD, evaluation) and first-order backward passes run
 * inside {@link #noGrad()} so no graph of the graph is kept. Thread-local because training may
 * build independent graphs on several threads at once.
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[]{true});

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** A scope in which nothing is recorded; restores the previous mode on close. */
    public static Scope noGrad() {
        return set(false);
    }

    /** A scope in which operations are recorded (used for create-graph backward passes). */
    public static Scope enableGrad() {
        return set(true);
    }

    private static Scope set(boolean enabled) {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = enabled;
        return () -> flag[0] = previous;
    }

    /** Restores the previous grad mode; close() throws nothing. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
