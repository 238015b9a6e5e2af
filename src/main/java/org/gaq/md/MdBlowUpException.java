package org.gaq.md;

/** The run left the physical regime (non-finite or absurd forces); the last good state is on disk. */
public final class MdBlowUpException extends RuntimeException {
    private final long step;

    public MdBlowUpException(long step, String message) {
        super(message);
        this.step = step;
    }

    /** The step whose forces were bad. */
    public long step() {
        return step;
    }
}
