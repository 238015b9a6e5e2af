package org.gaq.md;

import org.gaq.run.RunStoppedException;

/** The run left the physical regime ({@link PhysicsGuard}); the last good state is on disk. */
public final class MdBlowUpException extends RunStoppedException {
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
