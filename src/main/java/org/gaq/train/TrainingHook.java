package org.gaq.train;

import org.gaq.data.GraphBatch;
import org.gaq.tensor.Tensor;

import java.io.PrintStream;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * What a kind of training adds to the trainer's loop, called at fixed points of it. FP32 training adds nothing
 * ({@link #NONE}); quantization-aware training is {@link QatSchedule}.
 */
interface TrainingHook {
    /** Tensors trained besides the model's parameters, in a fixed order (they follow the parameters in the optimizer). */
    default List<Tensor> extraTrainedTensors() {
        return List.of();
    }

    /** Once the optimizer exists: per-tensor settings for the extra tensors, which start at index {@code first}. */
    default void configure(Adam adam, int first) {}

    /** Before epoch {@code epoch} (counted from 0). */
    default void beforeEpoch(int epoch, PrintStream log) {}

    /** Runs one worker's forward and backward pass on {@code g} (e.g. with a random mask drawn from {@code random}). */
    default <T> T duringBatch(GraphBatch g, SplittableRandom random, Supplier<T> work) {
        return work.get();
    }

    /** After each optimizer step in epoch {@code epoch}. */
    default void afterStep(int epoch) {}

    /** After the epoch's last step, before the model is validated and saved. */
    default void beforeValidation() {}

    /** Whether the model after epoch {@code epoch} (from 0) may become the run's best model. */
    default boolean isCandidate(int epoch) {
        return true;
    }

    /** A note for the epoch's log line ("" for none). */
    default String epochNote() {
        return "";
    }

    TrainingHook NONE = new TrainingHook() {};
}
