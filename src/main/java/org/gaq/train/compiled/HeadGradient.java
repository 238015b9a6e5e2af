package org.gaq.train.compiled;

import org.gaq.tensor.kernels.Matmul;

import java.util.Arrays;
import java.util.Map;

/**
 * The energy head a_i = w_out · SiLU(W_h LN(h_i) + b_h) + b_out (before the element scale σ_Z) in the four passes
 * of {@link CompiledLossGradient}; naming as in {@link LayerGradient}.
 */
final class HeadGradient {
    /** The head's parameters (or their gradients): LN γ, β; W_h [F × F], b_h; w_out [F], b_out [1]. */
    record Parameters(float[] gain, float[] beta, float[] hidden, float[] hiddenBias, float[] out, float[] outBias) {
        static final String[] NAMES = {"head.norm.gamma", "head.norm.beta", "head.hidden.weight", "head.hidden.bias",
                "head.out.weight", "head.out.bias"};

        static Parameters of(Map<String, float[]> arrays) {
            float[][] a = new float[NAMES.length][];
            for (int i = 0; i < a.length; i++) {
                a[i] = arrays.get(NAMES[i]);
                if (a[i] == null) throw new IllegalArgumentException("the model has no parameter " + NAMES[i]);
            }
            return new Parameters(a[0], a[1], a[2], a[3], a[4], a[5]);
        }
    }

    private final int f;
    private Parameters p;          // the model's values, read again on every call
    private final float[] hiddenT;
    private float[] sigma, curvedDpre, xhat, rstd, s, pre, hidden, slope, atomic, gHidden, gPre, gS, dxhat, xhatDotDh, ds, dpre, dhidden, eHidden, ePre, eS;
    private float[] scratch;
    private int capacity = -1;

    HeadGradient(int features) {
        this.f = features;
        this.hiddenT = new float[f * f];
    }

    void ensure(int n) {
        if (n <= capacity) return;
        capacity = n;
        scratch = new float[n * f];
        xhat = new float[n * f]; rstd = new float[n]; s = new float[n * f]; pre = new float[n * f]; hidden = new float[n * f];
        slope = new float[n * f]; atomic = new float[n]; gHidden = new float[n * f]; gPre = new float[n * f]; gS = new float[n * f];
        dxhat = new float[n * f]; xhatDotDh = new float[n]; ds = new float[n * f]; dpre = new float[n * f]; curvedDpre = new float[n * f]; sigma = new float[n * f];
        dhidden = new float[n * f]; eHidden = new float[n * f]; ePre = new float[n * f]; eS = new float[n * f];
    }

    void refresh(Parameters values) {
        p = values;
        Matmul.transpose(p.hidden(), f, f, hiddenT);
    }

    /** The per-atom outputs a_i (before σ_Z). */
    float[] forward(float[] h, int n) {
        LayerNorms.forward(h, p.gain(), p.beta(), xhat, rstd, s, n, f);
        Products.forwardWithBias(s, p.hidden(), p.hiddenBias(), pre, n, f, f);
        Silu.forward(pre, sigma, hidden, slope, n * f);
        Flush.tiny(hidden, n * f);
        Flush.tiny(slope, n * f);
        for (int i = 0; i < n; i++) {
            float sum = p.outBias()[0];
            for (int c = 0; c < f; c++) sum += hidden[i * f + c] * p.out()[c];
            atomic[i] = sum;
        }
        return atomic;
    }

    /** gH = ∂E/∂h from gAtomic = ∂E/∂a (the element scales). */
    void reverse(float[] gAtomic, float[] gH, int n) {
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < f; c++) {
                gHidden[i * f + c] = gAtomic[i] * p.out()[c];
                gPre[i * f + c] = gHidden[i * f + c] * slope[i * f + c];
            }
        }
        Arrays.fill(gS, 0, n * f, 0f);
        Products.backwardAdd(gPre, hiddenT, gS, n, f, f);
        Arrays.fill(gH, 0, n * f, 0f);
        LayerNorms.reverseAdd(gS, xhat, rstd, p.gain(), gH, n, f);
    }

    void tangent(float[] dh, int n) {
        LayerNorms.tangent(dh, xhat, rstd, p.gain(), dxhat, xhatDotDh, ds, n, f);
        Products.forward(ds, p.hidden(), dpre, n, f, f);
        for (int k = 0; k < n * f; k++) dhidden[k] = slope[k] * dpre[k];
        Silu.curvatureTimes(pre, sigma, dpre, curvedDpre, n * f);
    }

    /** eH = the ε-part of ∂/∂h from eAtomic (σ_Z ∂L/∂E_m), gAtomic as in {@link #reverse}; adds ∂L/∂θ to grads. */
    void epsilonReverse(float[] eAtomic, float[] gAtomic, float[] eH, int n, Parameters grads) {
        for (int i = 0; i < n; i++) {
            grads.outBias()[0] += eAtomic[i];
            for (int c = 0; c < f; c++) {
                int k = i * f + c;
                grads.out()[c] += hidden[k] * eAtomic[i] + dhidden[k] * gAtomic[i];
                eHidden[k] = eAtomic[i] * p.out()[c];
                ePre[k] = eHidden[k] * slope[k] + gHidden[k] * curvedDpre[k];
            }
        }
        Products.weightGradient(s, ePre, ds, gPre, grads.hidden(), n, f, f, scratch);
        Products.biasGradient(ePre, grads.hiddenBias(), n, f);
        Arrays.fill(eS, 0, n * f, 0f);
        Products.backwardAdd(ePre, hiddenT, eS, n, f, f);
        Arrays.fill(eH, 0, n * f, 0f);
        LayerNorms.epsilonReverseAdd(eS, gS, xhat, dxhat, rstd, xhatDotDh, p.gain(), grads.gain(), grads.beta(), eH, n, f);
    }
}
