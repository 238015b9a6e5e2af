package org.gaq.quant;

import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ObserverTest {
    private static Tensor values(float... v) {
        return Tensor.of(v, v.length);
    }

    @Test
    void channelMaxGivesAStepPerChannelWithAFloor() {
        var o = new ChannelMaxObserver(Signedness.SIGNED);
        o.observe(org.gaq.tensor.Tensor.of(new float[]{1f, -0.01f, 0f, -2f, 0.02f, 0f}, 2, 3));
        o.observe(org.gaq.tensor.Tensor.of(new float[]{0.5f, 0.03f, 0f}, 1, 3));
        double[] s = o.suggestedSteps(8);
        assertEquals(2.0 / 127, s[0], 1e-9);
        assertEquals(0.03 / 127, s[1], 1e-9);
        assertEquals(2.0 / 127 / ChannelMaxObserver.MAX_RATIO, s[2], 1e-12, "a channel never seen non-zero gets the floor");
        assertEquals(2.0 / 127, o.suggestedStep(8), 1e-9, "the tensor's step");
        assertThrows(IllegalArgumentException.class, () -> o.observe(org.gaq.tensor.Tensor.of(new float[]{1f, 2f}, 1, 2)));
        assertThrows(IllegalStateException.class, () -> new ChannelMaxObserver(Signedness.SIGNED).suggestedSteps(8));
    }

    @Test
    void minMaxUsesLargestAbsoluteValueOverAllBatches() {
        MinMaxObserver o = new MinMaxObserver(Signedness.SIGNED);
        o.observe(values(0.5f, -2.54f));
        o.observe(values(1f));
        assertEquals(-2.54, o.min(), 1e-6);
        assertEquals(1, o.max(), 1e-6);
        assertEquals(2.54 / 127, o.suggestedStep(8), 1e-8);
        assertEquals(2.54 / 7, o.suggestedStep(4), 1e-7);
        MinMaxObserver u = new MinMaxObserver(Signedness.UNSIGNED);
        u.observe(values(0f, 5.1f));
        assertEquals(5.1 / 255, u.suggestedStep(8), 1e-8);
    }

    @Test
    void meanAbsGivesLsqInitialisation() {
        MeanAbsObserver o = new MeanAbsObserver(Signedness.SIGNED);
        o.observe(values(1f, -1f, 2f, -4f));
        assertEquals(2.0, o.meanAbs(), 1e-9);
        assertEquals(2 * 2.0 / Math.sqrt(127), o.suggestedStep(8), 1e-8);
        MeanAbsObserver u = new MeanAbsObserver(Signedness.UNSIGNED);
        u.observe(values(1f, 3f));
        assertEquals(2 * 2.0 / Math.sqrt(255), u.suggestedStep(8), 1e-8);
    }

    @Test
    void percentileIgnoresRareOutliers() {
        float[] v = new float[1000];
        for (int i = 0; i < v.length; i++) v[i] = (i % 2 == 0 ? 1 : -1) * (i + 1) / 1000f;  // |x| = 0.001 … 1
        v[999] = 1000f;                                                                      // one outlier
        PercentileObserver p = new PercentileObserver(Signedness.SIGNED, 99.0);
        p.observe(Tensor.of(v, v.length));
        assertEquals(0.990, p.percentileAbs(), 1e-6, "nearest rank 990 of 1000");
        assertEquals(0.990 / 127, p.suggestedStep(8), 1e-8);
        MinMaxObserver m = new MinMaxObserver(Signedness.SIGNED);
        m.observe(Tensor.of(v, v.length));
        assertTrue(m.suggestedStep(8) > 1000 * p.suggestedStep(8));
    }

    @Test
    void percentileWithSmallReservoirStaysClose() {
        float[] v = new float[100_000];
        for (int i = 0; i < v.length; i++) v[i] = i / (float) v.length;   // uniform on [0, 1)
        PercentileObserver p = new PercentileObserver(Signedness.UNSIGNED, 90.0, 4096);
        p.observe(Tensor.of(v, v.length));
        assertEquals(100_000, p.count());
        // a 4096-sample estimate of the 0.9 quantile of U(0,1) has standard deviation √(0.09/4096) ≈ 0.005
        assertEquals(0.9, p.percentileAbs(), 0.025);
    }

    @Test
    void emptyObserverRefusesAndZeroDataGivesFloorStep() {
        assertThrows(IllegalStateException.class, () -> new MinMaxObserver(Signedness.SIGNED).suggestedStep(8));
        assertThrows(IllegalStateException.class, () -> new MeanAbsObserver(Signedness.SIGNED).suggestedStep(8));
        assertThrows(IllegalStateException.class, () -> new PercentileObserver(Signedness.SIGNED, 99.9).suggestedStep(8));
        MinMaxObserver z = new MinMaxObserver(Signedness.SIGNED);
        z.observe(values(0f, 0f));
        assertEquals(Observer.MIN_STEP, z.suggestedStep(8));
    }
}
