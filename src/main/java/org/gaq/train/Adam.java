package org.gaq.train;

import org.gaq.tensor.Tensor;
import org.gaq.tensor.kernels.ElementwiseKernels;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma & Ba 2015) with optional decoupled weight decay (AdamW, Loshchilov & Hutter 2019):
 * m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  θ ← θ − lr (m̂ / (√v̂ + ε) + wd θ).
 * Updates the parameters' leaf arrays in place.
 *
 * <p>Parameters marked {@link #setLogScale log-scale} (the quantizers' step sizes) are optimised as
 * u = log θ with their own rate: g_u = θ·g, u ← u − lr·k·m̂/(√v̂ + ε), θ = e^u. A step size then changes
 * by a bounded <i>fraction</i> of itself per update and stays positive; in plain Adam every parameter
 * moves by about lr per update whatever its size, which for a step of 0.007 at lr 1e-5 is 0.15% a
 * step, coherent over hundreds of steps, and drove fine-tuning unstable (docs/quantization.md).
 */
public final class Adam {
    private final List<Tensor> parameters;
    private final float beta1, beta2, eps, weightDecay;
    private final float[][] m, v;
    private final float[] logScaleRate;   // 0: plain parameter; k > 0: optimised in log space at lr·k
    private final boolean[] frozen;       // left unchanged by step(), moments included
    private final boolean[][] frozenElements;   // per element of a parameter (null: none), likewise
    private long step;

    public Adam(List<Tensor> parameters, float beta1, float beta2, float eps, float weightDecay) {
        this.parameters = parameters;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        logScaleRate = new float[parameters.size()];
        frozen = new boolean[parameters.size()];
        frozenElements = new boolean[parameters.size()][];
        m = new float[parameters.size()][];
        v = new float[parameters.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = new float[parameters.get(i).size()];
            v[i] = new float[parameters.get(i).size()];
        }
    }

    /** Optimise parameter {@code index} (all entries must be positive) in log space at {@code rateFactor}·lr. */
    public void setLogScale(int index, float rateFactor) {
        if (!(rateFactor > 0)) throw new IllegalArgumentException("log-scale rate factor must be positive, got " + rateFactor);
        for (float x : parameters.get(index).data()) {
            if (!(x > 0)) throw new IllegalArgumentException("a log-scale parameter must be positive, got " + x);
        }
        logScaleRate[index] = rateFactor;
    }

    /** Leave parameter {@code index} (and its moments) unchanged by {@link #step} while {@code on}. */
    public void setFrozen(int index, boolean on) {
        frozen[index] = on;
    }

    /**
     * Leave the elements of parameter {@code index} where {@code mask} is true (and their moments) unchanged by
     * {@link #step}. The array is kept, not copied: its owner may freeze more elements later (null: none frozen).
     */
    public void setFrozenElements(int index, boolean[] mask) {
        if (mask != null && mask.length != parameters.get(index).size()) {
            throw new IllegalArgumentException("mask of " + mask.length + " for a parameter of " + parameters.get(index).size());
        }
        frozenElements[index] = mask;
    }

    public void step(float[][] grads, float lr) {
        step++;
        double c1 = 1 - Math.pow(beta1, step), c2 = 1 - Math.pow(beta2, step);
        var coefficients = new ElementwiseKernels.AdamStep(beta1, beta2, (float) c1, (float) c2, eps, weightDecay, lr);
        for (int p = 0; p < m.length; p++) {
            if (frozen[p]) continue;
            float[] theta = parameters.get(p).leafData(), g = grads[p], mp = m[p], vp = v[p];
            if (logScaleRate[p] > 0) {
                for (int i = 0; i < theta.length; i++) {
                    float gu = g[i] * theta[i];                           // ∂L/∂log θ
                    mp[i] = beta1 * mp[i] + (1 - beta1) * gu;
                    vp[i] = beta2 * vp[i] + (1 - beta2) * gu * gu;
                    double du = lr * logScaleRate[p] * (mp[i] / c1) / (Math.sqrt(vp[i] / c2) + eps);
                    theta[i] = (float) (theta[i] * Math.exp(-du));
                }
                continue;
            }
            boolean[] skip = frozenElements[p];
            if (skip == null) {
                ElementwiseKernels.adam(coefficients, theta, g, mp, vp, theta.length);
                continue;
            }
            // frozen elements: the whole parameter is updated (one formula, one kernel), then they are put back
            float[] keep = frozenValues(skip, theta, mp, vp);
            ElementwiseKernels.adam(coefficients, theta, g, mp, vp, theta.length);
            restoreFrozen(skip, keep, theta, mp, vp);
        }
    }

    /** θ, m and v of the frozen elements, in that order per element. */
    private static float[] frozenValues(boolean[] frozen, float[] theta, float[] m, float[] v) {
        int count = 0;
        for (boolean f : frozen) if (f) count++;
        float[] keep = new float[3 * count];
        for (int i = 0, j = 0; i < frozen.length; i++) {
            if (!frozen[i]) continue;
            keep[j++] = theta[i];
            keep[j++] = m[i];
            keep[j++] = v[i];
        }
        return keep;
    }

    private static void restoreFrozen(boolean[] frozen, float[] keep, float[] theta, float[] m, float[] v) {
        for (int i = 0, j = 0; i < frozen.length; i++) {
            if (!frozen[i]) continue;
            theta[i] = keep[j++];
            m[i] = keep[j++];
            v[i] = keep[j++];
        }
    }

    public long steps() {
        return step;
    }

    /** Moment estimates keyed "adam.m.<i>" / "adam.v.<i>" plus the step, for checkpoints. */
    public Map<String, float[]> state() {
        Map<String, float[]> s = new LinkedHashMap<>();
        for (int p = 0; p < m.length; p++) {
            s.put("adam.m." + p, m[p]);
            s.put("adam.v." + p, v[p]);
        }
        s.put("adam.step", new float[]{step});
        return s;
    }

    /** Restores {@link #state()}; throws if the state does not fit these parameters. */
    public void restore(Map<String, float[]> s) {
        for (int p = 0; p < m.length; p++) {
            float[] ms = s.get("adam.m." + p), vs = s.get("adam.v." + p);
            if (ms == null || vs == null || ms.length != m[p].length || vs.length != v[p].length) {
                throw new IllegalArgumentException("optimizer state does not match the model's parameter " + p);
            }
            System.arraycopy(ms, 0, m[p], 0, ms.length);
            System.arraycopy(vs, 0, v[p], 0, vs.length);
        }
        float[] st = s.get("adam.step");
        step = st == null ? 0 : (long) st[0];
    }
}
