package org.gaq.quant;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.gaq.tensor.Tensor;

/**
 * The p-th percentile of |x| as the clipping range, s = P_p(|x|) / Qp (Degree-Quant, Tailor et al.
 * 2020, uses such ranges so that rare outliers clip instead of coarsening every other value).
 *
 * <p>Memory is bounded: at most {@code capacity} values are kept, by reservoir sampling (a uniform
 * sample of everything observed, seeded so calibration is reproducible); below the capacity the
 * percentile is exact.
 */
public final class PercentileObserver implements Observer {
    public static final int DEFAULT_CAPACITY = 1 << 20;

    private final Signedness signedness;
    private final double percentile;
    private final float[] reservoir;
    private final SplittableRandom rng = new SplittableRandom(0x5eed);
    private int kept;
    private long count;

    /** @param percentile in (0, 100], e.g. 99.9 */
    public PercentileObserver(Signedness signedness, double percentile) {
        this(signedness, percentile, DEFAULT_CAPACITY);
    }

    public PercentileObserver(Signedness signedness, double percentile, int capacity) {
        if (!(percentile > 0 && percentile <= 100)) throw new IllegalArgumentException("percentile must be in (0, 100], got " + percentile);
        if (capacity < 1) throw new IllegalArgumentException("capacity must be ≥ 1, got " + capacity);
        this.signedness = signedness;
        this.percentile = percentile;
        this.reservoir = new float[capacity];
    }

    @Override
    public void observe(Tensor x) {
        for (float v : x.data()) {
            float a = Math.abs(v);
            if (kept < reservoir.length) {
                reservoir[kept++] = a;
            } else {
                long j = rng.nextLong(count + 1);           // keep each of the count+1 values with equal chance
                if (j < reservoir.length) reservoir[(int) j] = a;
            }
            count++;
        }
    }

    @Override
    public long count() {
        return count;
    }

    /** The percentile of |x| (nearest rank on the kept sample). */
    public double percentileAbs() {
        if (count == 0) throw new IllegalStateException("PercentileObserver: nothing observed");
        float[] sorted = Arrays.copyOf(reservoir, kept);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(percentile / 100.0 * kept);    // nearest-rank definition, 1-based
        return sorted[Math.max(0, rank - 1)];
    }

    @Override
    public double suggestedStep(int bits) {
        return Observer.floorStep(percentileAbs() / signedness.qp(bits));
    }

    @Override
    public Signedness signedness() {
        return signedness;
    }
}
