package org.gaq.train;

import org.gaq.model.QuantizationSites;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizedWeight;
import org.gaq.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Iterative freezing of oscillating weights during QAT (Nagel et al., "Overcoming oscillations in
 * quantization-aware training", ICML 2022, §4.2). After every optimizer step, for each element of each
 * quantized weight, with c_t its integer code:
 * <pre>
 *   o_t = 1 if c_t ≠ c_{t−1} and the change goes the opposite way to the element's previous change, else 0
 *   f_t = m·o_t + (1 − m)·f_{t−1}          (oscillation frequency, an EMA with momentum m = {@value #MOMENTUM})
 *   c̄_t = m·c_t + (1 − m)·c̄_{t−1}          (EMA of the code)
 *   f_t &gt; threshold  ⇒  W ← round(c̄_t)·scale (the row's input step folded back), and the element is frozen
 * </pre>
 * A frozen element no longer moves (Adam skips it, {@link Adam#setFrozenElements}), so the rest of the weights
 * keep learning around codes that stopped flipping. (The frozen-codes stage, {@link Trainer#freezeQuantizedWeightsFrom},
 * is the limit of this that freezes everything at once.)
 */
final class OscillationFreezer {
    static final float MOMENTUM = 0.01f;

    private final QuantizationPlan plan;
    private final float threshold;
    private final List<String> names = new ArrayList<>();
    private final List<Tensor> weights = new ArrayList<>();
    private final List<byte[]> codes = new ArrayList<>(), lastDirection = new ArrayList<>();
    private final List<float[]> frequency = new ArrayList<>(), codeEma = new ArrayList<>();
    private final List<boolean[]> frozen = new ArrayList<>();
    private long frozenCount, total;

    /** Tracks every quantized weight of {@code parameters} (in Adam's order from index 0) and freezes in {@code adam}. */
    OscillationFreezer(QuantizationPlan plan, Map<String, Tensor> parameters, Adam adam, float threshold) {
        if (!(threshold > 0 && threshold < 1)) throw new IllegalArgumentException("the oscillation threshold must be in (0, 1), got " + threshold);
        this.plan = plan;
        this.threshold = threshold;
        int p = 0;
        for (var e : parameters.entrySet()) {
            if (QuantizationSites.isQuantizedWeight(e.getKey())) {
                byte[] c = plan.quantizedWeight(e.getKey(), e.getValue()).codes();
                float[] ema = new float[c.length];
                for (int i = 0; i < c.length; i++) ema[i] = c[i];
                boolean[] mask = new boolean[c.length];
                names.add(e.getKey());
                weights.add(e.getValue());
                codes.add(c);
                lastDirection.add(new byte[c.length]);
                frequency.add(new float[c.length]);
                codeEma.add(ema);
                frozen.add(mask);
                adam.setFrozenElements(p, mask);     // shared: what this freezes, Adam leaves alone
                total += c.length;
            }
            p++;
        }
        if (names.isEmpty()) throw new IllegalStateException("no quantized weights to track");
    }

    /** Updates the statistics after an optimizer step and freezes the elements past the threshold; returns how many it froze. */
    int afterStep() {
        int newlyFrozen = 0;
        for (int k = 0; k < names.size(); k++) {
            QuantizedWeight q = plan.quantizedWeight(names.get(k), weights.get(k));
            byte[] now = q.codes(), before = codes.get(k), direction = lastDirection.get(k);
            float[] f = frequency.get(k), ema = codeEma.get(k);
            boolean[] mask = frozen.get(k);
            float[] rowSteps = plan.inputSteps(names.get(k));
            float[] w = weights.get(k).leafData();
            int qp = (1 << (q.bits() - 1)) - 1, out = q.out();
            for (int i = 0; i < now.length; i++) {
                if (mask[i]) continue;
                int d = now[i] - before[i];
                boolean oscillated = false;
                if (d != 0) {
                    byte sign = (byte) Integer.signum(d);
                    oscillated = direction[i] != 0 && sign != direction[i];
                    direction[i] = sign;
                    before[i] = now[i];
                }
                f[i] = MOMENTUM * (oscillated ? 1 : 0) + (1 - MOMENTUM) * f[i];
                ema[i] = MOMENTUM * now[i] + (1 - MOMENTUM) * ema[i];
                if (f[i] > threshold) {
                    // the group's largest weight (code ±qp) keeps its code, so that freezing never changes the group's scale
                    int code = Math.abs(now[i]) == qp ? now[i] : Math.max(-qp, Math.min(qp, Math.round(ema[i])));
                    int row = i / out, col = i % out;
                    float value = code * q.scales()[(row / q.groupSize()) * out + col];
                    w[i] = rowSteps == null ? value : value / rowSteps[row];
                    mask[i] = true;
                    newlyFrozen++;
                }
            }
        }
        frozenCount += newlyFrozen;
        return newlyFrozen;
    }

    long frozenCount() {
        return frozenCount;
    }

    long total() {
        return total;
    }
}
