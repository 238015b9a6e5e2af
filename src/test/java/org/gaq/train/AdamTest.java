package org.gaq.train;

import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Adam's log-scale parameters (the quantizers' steps): relative updates, always positive. */
class AdamTest {

    @Test
    void logScaleParameterMovesByAFractionOfItselfAndStaysPositive() {
        Tensor step = Tensor.leaf(new float[]{1e-3f}, 1);
        Tensor plain = Tensor.leaf(new float[]{1e-3f}, 1);
        Adam adam = new Adam(List.of(step, plain), 0.9f, 0.999f, 1e-8f, 0f);
        adam.setLogScale(0, 100f);
        // A constant positive gradient pushes both down: the plain parameter falls by lr per update and
        // goes negative after 10 updates; the log-scale one shrinks by e^(−lr·k) per update.
        for (int i = 0; i < 20; i++) adam.step(new float[][]{{1f}, {1f}}, 1e-4f);
        assertTrue(plain.data()[0] < 0, "plain Adam crosses zero: " + plain.data()[0]);
        // θ·exp(−Σ lr·k·m̂/√v̂) with m̂/√v̂ ≈ 1 (slightly less: the log-space gradient θ·g shrinks with θ).
        assertEquals(1e-3 * Math.exp(-20 * 1e-4 * 100), step.data()[0], 1e-3 * 0.01);
        assertTrue(step.data()[0] > 0);
    }

    @Test
    void logScaleNeedsPositiveValuesAndRate() {
        Tensor negative = Tensor.leaf(new float[]{-1f}, 1);
        Adam adam = new Adam(List.of(negative), 0.9f, 0.999f, 1e-8f, 0f);
        assertThrows(IllegalArgumentException.class, () -> adam.setLogScale(0, 10f));
        Tensor ok = Tensor.leaf(new float[]{1f}, 1);
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(ok), 0.9f, 0.999f, 1e-8f, 0f).setLogScale(0, 0f));
    }
}
