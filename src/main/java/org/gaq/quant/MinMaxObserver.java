package org.gaq.quant;

import org.gaq.tensor.Tensor;

/**
 * Running min and max; for symmetric quantization the range is max|x|, so s = max|x| / Qp
 * (nothing clips; rare outliers stretch the step — the naive post-training baseline).
 */
public final class MinMaxObserver implements Observer {
    private final Signedness signedness;
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;
    private long count;

    public MinMaxObserver(Signedness signedness) {
        this.signedness = signedness;
    }

    @Override
    public void observe(Tensor x) {
        for (float v : x.data()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        count += x.size();
    }

    @Override
    public long count() {
        return count;
    }

    public double min() {
        return min;
    }

    public double max() {
        return max;
    }

    /** max|x| over everything observed. */
    public double maxAbs() {
        requireData();
        return Math.max(Math.abs(min), Math.abs(max));
    }

    @Override
    public double suggestedStep(int bits) {
        return Observer.floorStep(maxAbs() / signedness.qp(bits));
    }

    @Override
    public Signedness signedness() {
        return signedness;
    }

    private void requireData() {
        if (count == 0) throw new IllegalStateException("MinMaxObserver: nothing observed");
    }
}
