package org.gaq.train.compiled;

import org.gaq.model.EquivariantTransformer;

/**
 * The cutoff-weighted attention of each centre i and head, α_e = φ_e e^{l_e} / (S + Σ_{e' of i} φ_e' e^{l_e'})
 * (S the attention sink), in the four passes; p_e = e^{l_e}/(S + Σ φ e^l) is kept so that α = φ p.
 */
final class Softmax {
    private static final float SINK = EquivariantTransformer.ATTENTION_SINK;

    private Softmax() {}

    /** logit [E, H] becomes p; alpha = φ p. */
    static void forward(EdgeState g, float[] logitThenP, float[] alpha, int n, int heads) {
        for (int i = 0; i < n; i++) {
            int e0 = g.segmentStart[i], e1 = g.segmentStart[i + 1];
            for (int hh = 0; hh < heads; hh++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int e = e0; e < e1; e++) max = Math.max(max, logitThenP[e * heads + hh]);
                float denominator = 0f;
                for (int e = e0; e < e1; e++) {
                    int at = e * heads + hh;
                    logitThenP[at] = (float) Math.exp(logitThenP[at] - max);
                    denominator += logitThenP[at] * g.cutoff[e];
                }
                denominator += SINK * (float) Math.exp(-max);
                for (int e = e0; e < e1; e++) {
                    int at = e * heads + hh;
                    float pe = logitThenP[at] / denominator;
                    logitThenP[at] = pe;
                    alpha[at] = pe * g.cutoff[e];
                }
            }
        }
    }

    /** c_e = ḡ_α,e − Σ_e' α_e' ḡ_α,e' (kept), ḡ_l = α c, and ∂E/∂φ_e += Σ_h p_e c_e into the edge state. */
    static void reverse(EdgeState g, float[] alpha, float[] p, float[] gAlpha, float[] centred, float[] gLogit, int n, int heads) {
        for (int i = 0; i < n; i++) {
            int e0 = g.segmentStart[i], e1 = g.segmentStart[i + 1];
            for (int hh = 0; hh < heads; hh++) {
                float weighted = 0f;
                for (int e = e0; e < e1; e++) weighted += alpha[e * heads + hh] * gAlpha[e * heads + hh];
                for (int e = e0; e < e1; e++) {
                    int at = e * heads + hh;
                    float c = gAlpha[at] - weighted;
                    centred[at] = c;
                    gLogit[at] = alpha[at] * c;
                    g.gCutoff[e] += p[at] * c;
                }
            }
        }
    }

    /** α̇_e = p_e φ̇_e + α_e l̇_e − α_e Σ_e' (p_e' φ̇_e' + α_e' l̇_e'); dAlpha may be dLogit. */
    static void tangent(EdgeState g, float[] alpha, float[] p, float[] dLogit, float[] dAlpha, int n, int heads) {
        for (int i = 0; i < n; i++) {
            int e0 = g.segmentStart[i], e1 = g.segmentStart[i + 1];
            for (int hh = 0; hh < heads; hh++) {
                float sum = 0f;
                for (int e = e0; e < e1; e++) {
                    int at = e * heads + hh;
                    sum += p[at] * g.dCutoff[e] + alpha[at] * dLogit[at];
                }
                for (int e = e0; e < e1; e++) {
                    int at = e * heads + hh;
                    dAlpha[at] = p[at] * g.dCutoff[e] + alpha[at] * (dLogit[at] - sum);
                }
            }
        }
    }

    /** ε-part of ḡ_l = α c: ε_l = α (ε_α − Σ_e' (α ε_α + α̇ ḡ_α)_e') + α̇ c. */
    static void epsilonReverse(EdgeState g, float[] alpha, float[] dAlpha, float[] gAlpha, float[] centred, float[] eAlpha,
                               float[] eLogit, int n, int heads) {
        for (int i = 0; i < n; i++) {
            int e0 = g.segmentStart[i], e1 = g.segmentStart[i + 1];
            for (int hh = 0; hh < heads; hh++) {
                float weighted = 0f;
                for (int e = e0; e < e1; e++) {
                    int at = e * heads + hh;
                    weighted += alpha[at] * eAlpha[at] + dAlpha[at] * gAlpha[at];
                }
                for (int e = e0; e < e1; e++) {
                    int at = e * heads + hh;
                    eLogit[at] = alpha[at] * (eAlpha[at] - weighted) + dAlpha[at] * centred[at];
                }
            }
        }
    }
}
