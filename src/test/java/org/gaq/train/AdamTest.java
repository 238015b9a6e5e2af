package org.gaq.train;

import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

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
    @Test
    void frozenElementsKeepTheirValueAndMomentsWhileTheOthersMove() {
        int n = 37;   // two 16-lane vectors and a tail
        float[] start = new float[n];
        for (int i = 0; i < n; i++) start[i] = 0.1f * i - 1;
        Tensor frozenOnes = Tensor.leaf(start.clone(), n), free = Tensor.leaf(start.clone(), n);
        Adam adam = new Adam(List.of(frozenOnes, free), 0.9f, 0.999f, 1e-8f, 0f);
        boolean[] mask = new boolean[n];
        for (int i = 0; i < n; i += 3) mask[i] = true;
        adam.setFrozenElements(0, mask);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (float) Math.sin(i + 1.0);
        for (int step = 0; step < 5; step++) adam.step(new float[][]{g.clone(), g.clone()}, 1e-2f);
        Map<String, float[]> state = adam.state();
        for (int i = 0; i < n; i++) {
            if (mask[i]) {
                assertEquals(start[i], frozenOnes.data()[i], 0f, "frozen element " + i);
                assertEquals(0f, state.get("adam.m.0")[i], 0f);
                assertEquals(0f, state.get("adam.v.0")[i], 0f);
            } else {
                assertEquals(free.data()[i], frozenOnes.data()[i], 0f, "a free element moves as without a mask: " + i);
                assertNotEquals(start[i], frozenOnes.data()[i]);
            }
        }
    }
}
