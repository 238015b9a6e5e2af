package org.gaq.train;

import org.gaq.run.RunStoppedException;

/** Training stopped: a loss, gradient, parameter or validation error became NaN or infinite. Nothing non-finite was saved. */
public final class TrainingDivergedException extends RunStoppedException {
    private final int epoch;

    public TrainingDivergedException(int epoch, String message) {
        super(message);
        this.epoch = epoch;
    }

    /** The epoch (counted from 1) in which the run stopped. */
    public int epoch() {
        return epoch;
    }
}
