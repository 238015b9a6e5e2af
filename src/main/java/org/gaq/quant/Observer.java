package org.gaq.quant;

import org.gaq.tensor.Tensor;

/**
 * Collects statistics of a tensor during calibration (values only: no graph, no gradient) and
 * suggests the step size of a symmetric signed (or, for magnitudes, unsigned) b-bit quantizer.
 */
public interface Observer {
    /** Adds the values of {@code x} to the statistics. */
    void observe(Tensor x);

    /** Number of values observed so far. */
    long count();

    /**
     * The suggested step size s for {@code bits} bits, always &gt; 0 (a floor of {@link #MIN_STEP}
     * guards all-zero data, which would otherwise give s = 0 and a division by zero).
     *
     * @throws IllegalStateException if nothing was observed
     */
    double suggestedStep(int bits);

    /** Whether the step is meant for a signed or an unsigned (magnitude) quantizer. */
    Signedness signedness();

    double MIN_STEP = 1e-8;

    static double floorStep(double step) {
        return Math.max(step, MIN_STEP);
    }
}
