package org.gaq.quant;

import org.gaq.tensor.Tensor;

/** Mean of |x|; LSQ's initialisation (Esser et al. 2019): s = 2·mean|x| / √Qp. */
public final class MeanAbsObserver implements Observer {
    private final Signedness signedness;
    private double sumAbs;
    private long count;

    public MeanAbsObserver(Signedness signedness) {
        this.signedness = signedness;
    }

    @Override
    public void observe(Tensor x) {
        for (float v : x.data()) sumAbs += Math.abs(v);
        count += x.size();
    }

    @Override
    public long count() {
        return count;
    }

    public double meanAbs() {
        if (count == 0) throw new IllegalStateException("MeanAbsObserver: nothing observed");
        return sumAbs / count;
    }

    @Override
    public double suggestedStep(int bits) {
        return Observer.floorStep(2 * meanAbs() / Math.sqrt(signedness.qp(bits)));
    }

    @Override
    public Signedness signedness() {
        return signedness;
    }
}
