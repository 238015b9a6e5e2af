package org.gaq.quant;

import org.gaq.tensor.Tensor;

/**
 * max|x| per channel (the last axis), for per-channel activation steps s_c = max|x_c| / Qp.
 *
 * <p>Why per channel: in the trained ethanol model most channels of some activations are tiny next to a
 * few large ones (layer 0's attention output Δh), so one step per tensor rounds most channels to zero. A
 * per-channel step costs nothing in integer execution
 * when the activation feeds a weight: y = Σ_c (s_c a_c) W_cj = Σ_c a_c (s_c W_cj), so s folds into the
 * weight's rows before the weight is quantized (docs/quantization.md, "Per-channel steps").
 *
 * <p>A channel never seen non-zero during calibration gets the tensor's step / {@link #MAX_RATIO}, not 0, so
 * that later non-zero values still pass (clipped) instead of dividing by a vanishing step.
 */
public final class ChannelMaxObserver implements Observer {
    /** Largest ratio of the tensor's step to a channel's step. */
    public static final double MAX_RATIO = 4096;
    private final Signedness signedness;
    private double[] maxAbs;
    private long count;

    public ChannelMaxObserver(Signedness signedness) {
        this.signedness = signedness;
    }

    @Override
    public void observe(Tensor x) {
        int f = x.dim(-1);
        if (maxAbs == null) maxAbs = new double[f];
        if (maxAbs.length != f) throw new IllegalArgumentException("observed " + f + " channels, before " + maxAbs.length);
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            int c = i % f;
            maxAbs[c] = Math.max(maxAbs[c], Math.abs(d[i]));
        }
        count += d.length;
    }

    @Override
    public long count() {
        return count;
    }

    /** The whole tensor's step max|x| / Qp (what a per-tensor quantizer would use). */
    @Override
    public double suggestedStep(int bits) {
        requireData();
        double m = 0;
        for (double v : maxAbs) m = Math.max(m, v);
        return Observer.floorStep(m / signedness.qp(bits));
    }

    /** One step per channel, max|x_c| / Qp, at least the tensor's step / {@link #MAX_RATIO}. */
    public double[] suggestedSteps(int bits) {
        double floor = suggestedStep(bits) / MAX_RATIO;
        double[] s = new double[maxAbs.length];
        for (int c = 0; c < s.length; c++) s[c] = Math.max(Observer.floorStep(maxAbs[c] / signedness.qp(bits)), floor);
        return s;
    }

    @Override
    public Signedness signedness() {
        return signedness;
    }

    private void requireData() {
        if (count == 0) throw new IllegalStateException("ChannelMaxObserver: nothing observed");
    }
}
