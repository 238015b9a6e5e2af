package org.gaq.train;

import org.gaq.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * An exponential moving average of the model's parameters (Polyak averaging, as MACE and NequIP train), updated
 * after every optimiser step t = 1, 2, …:
 * <pre>
 *   θ̄_t = d_t·θ̄_{t−1} + (1 − d_t)·θ_t,    d_t = min(d, (1 + t)/(10 + t)),    θ̄_0 = θ_0
 * </pre>
 * The ramp of d_t lets the average follow the fast changes of the first steps. The trainer validates and saves
 * best.safetensors with θ̄ ({@link #whileApplied}); training itself continues from θ. Decay 0 turns averaging off:
 * θ̄ is θ.
 */
final class WeightAverage {
    static final String PREFIX = "average.";

    private final float decay;
    private final List<Tensor> parameters;
    private final float[][] average;

    /** Starts the average at the parameters' current values (decay 0: no average). */
    WeightAverage(List<Tensor> parameters, float decay) {
        if (!(decay >= 0 && decay < 1)) throw new IllegalArgumentException("the weight-average decay must be 0 (off) or lie in (0, 1), got " + decay);
        this.decay = decay;
        this.parameters = decay == 0 ? List.of() : List.copyOf(parameters);
        this.average = new float[this.parameters.size()][];
        for (int p = 0; p < average.length; p++) average[p] = this.parameters.get(p).data().clone();
    }

    /** Folds the parameters after optimiser step {@code step} (counted from 1) into the average. */
    void update(long step) {
        float d = (float) Math.min(decay, (1.0 + step) / (10.0 + step));
        for (int p = 0; p < average.length; p++) {
            float[] a = average[p], w = parameters.get(p).data();
            for (int i = 0; i < a.length; i++) a[i] = d * a[i] + (1 - d) * w[i];
        }
    }

    /** Runs {@code work} with the averaged values in the parameters, then puts the trained values back. */
    <T> T whileApplied(Callable<T> work) throws Exception {
        float[][] trained = new float[average.length][];
        for (int p = 0; p < average.length; p++) {
            float[] w = parameters.get(p).data();
            trained[p] = w.clone();
            System.arraycopy(average[p], 0, w, 0, w.length);
        }
        try {
            return work.call();
        } finally {
            for (int p = 0; p < average.length; p++) System.arraycopy(trained[p], 0, parameters.get(p).data(), 0, trained[p].length);
        }
    }

    /** The average as checkpoint extras, "average.&lt;parameter name&gt;". */
    Map<String, float[]> state() {
        Map<String, float[]> s = new LinkedHashMap<>();
        for (int p = 0; p < average.length; p++) s.put(PREFIX + parameters.get(p).name(), average[p]);
        return s;
    }

    /**
     * Restores {@link #state()}; returns false (the average stays at the current parameters) if the checkpoint has
     * none, as a checkpoint of a run without averaging; throws if it does not fit these parameters.
     */
    boolean restore(Map<String, float[]> extras) {
        if (extras.keySet().stream().noneMatch(k -> k.startsWith(PREFIX))) return false;
        for (int p = 0; p < average.length; p++) {
            String name = PREFIX + parameters.get(p).name();
            float[] saved = extras.get(name);
            if (saved == null || saved.length != average[p].length) throw new IllegalArgumentException("the checkpoint's weight average does not match " + name);
            System.arraycopy(saved, 0, average[p], 0, saved.length);
        }
        return true;
    }
}
