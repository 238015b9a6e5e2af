package org.gaq.infer;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.kernels.Activations;
import org.gaq.tensor.kernels.Normalization;

import java.util.Arrays;

/**
 * One interaction layer of the equivariant transformer (docs/model.md) as a forward pass and a hand-written
 * reverse pass for ∂E/∂(inputs), over a {@link Workspace}. The equations of the reverse pass are in
 * docs/engine.md, in the order of {@link #reverse}.
 *
 * <p>Forward (i ← j over the edges of centre i, which are contiguous):
 * <pre>
 *   s = Q_s(LN(h));  ṽ = Q_v(v);  q = W_q s;  k = W_k s;  a = W_v s + b_v
 *   l_ij = τ_h q̃_i·k̃_j + (W_b rbf_ij)_h,   q̃ = Q(q/‖q‖_h), k̃ = Q(k/‖k‖_h)
 *   α_ij = φ_ij e^{l_ij} / (1 + Σ_k φ_ik e^{l_ik})
 *   [m1 m2 m3]_ij = a_j ⊙ SiLU(W_r rbf_ij + b_r) ⊙ α_ij
 *   Δh_i = Q(Σ_j m1_ij);   Δv_i = Q(Σ_j m3_ij ⊗ r̂_ij + m2_ij ⊙ ṽ_j)
 *   [o1 o2 o3] = W_o Δh + b_o;  [u1 u2 u3] = U ṽ
 *   h ← h + o3 + o2 ⊙ ⟨u1, u2⟩;   v ← ṽ + o1 ⊙ u3 + Δv
 * </pre>
 * In the first layer v = 0, so ṽ, m2, u and o1, o2 drop out: h ← h + o3, v ← Δv.
 */
final class InteractionLayer {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = S.length();
    /**
     * The per-edge values of all heads (logits, the attention bias) as one vector when there are 8 heads (the paper
     * model), scalar loops otherwise: masked vectors of the preferred width spend their time in lane-by-lane bounds
     * checks, and a species that is not a constant is not compiled to vector code (docs/performance.md).
     */
    static final VectorSpecies<Float> HEADS = FloatVector.SPECIES_256;
    static final int HEAD_LANES = HEADS.length();
    private static final float LAYER_NORM_EPS = EquivariantTransformer.LAYER_NORM_EPS;
    private static final float ATTENTION_NORM_EPS_SQUARED = EquivariantTransformer.ATTENTION_NORM_EPS * EquivariantTransformer.ATTENTION_NORM_EPS;
    private static final float ATTENTION_SINK = EquivariantTransformer.ATTENTION_SINK;

    private final boolean first;
    private final int f, heads, headDim;
    private final boolean cosineAttention;
    private final LayerWeights w;
    private final RadialChannels radial;
    private final LayerSites q;
    private final float[] headScales;

    InteractionLayer(boolean first, int features, int heads, boolean cosineAttention, LayerWeights weights, RadialChannels radial, LayerSites sites) {
        this.first = first;
        this.f = features;
        this.heads = heads;
        this.headDim = features / heads;
        this.cosineAttention = cosineAttention;
        this.w = weights;
        this.radial = radial;
        this.q = sites;
        // the logits' factor per head: τ_h (cosine attention) or 1/√d
        this.headScales = new float[heads];
        for (int hh = 0; hh < heads; hh++) headScales[hh] = cosineAttention ? weights.temperature()[hh] : (float) (1.0 / Math.sqrt(headDim));
    }

    LayerWeights weights() {
        return w;
    }

    RadialChannels radial() {
        return radial;
    }

    // ------------------------------------------------------------------ forward

    void forward(Workspace ws, Workspace.LayerState st, int[] center, int[] neighbor) {
        int n = ws.atoms, e = ws.edges, f3 = 3 * f;

        // ṽ = Q_v(v), s = Q_s(LN(h))
        float[] vq = null;
        if (!first) {
            System.arraycopy(ws.v, 0, st.vIn, 0, n * f3);
            vq = quantizeVector(q.vectorIn(), ws, st.vIn, st.vq, n);
        }
        Normalization.layerNorm(ws.h, w.normGamma(), w.normBeta(), LAYER_NORM_EPS, st.normalized, st.rstd, st.sPre, n, f);
        float[] s = quantizeScalar(q.scalarIn(), st.sPre, st.s, n * f);

        // attention logits and weights
        w.query().forward(s, n, st.q);
        w.key().forward(s, n, st.k);
        normalizeHeads(st.q, st.qNorm, st.qtPre, n);
        normalizeHeads(st.k, st.kNorm, st.ktPre, n);
        float[] qt = quantizeScalar(q.attentionQuery(), st.qtPre, st.qt, n * f);
        float[] kt = quantizeScalar(q.attentionKey(), st.ktPre, st.kt, n * f);
        float[] logit = st.p;                                   // logits first, then overwritten by e^{l−m}/Z
        radial.forward(ws, st, logit);                         // the attention bias b(d), and the filters f(d)
        // q̃_i·k̃_j for all heads at once: q̃, k̃ with the heads as the last axis ([N, d, H]), one vector of heads
        Normalization.headsLast(qt, st.qtByHead, n, f, heads);
        Normalization.headsLast(kt, st.ktByHead, n, f, heads);
        float[] qh = st.qtByHead, kh = st.ktByHead, scale = headScales;
        for (int edge = 0; edge < e; edge++) {
            int qi = center[edge] * f, kj = neighbor[edge] * f, at = edge * heads;
            if (heads == HEAD_LANES) {
                FloatVector dot = FloatVector.zero(HEADS);
                for (int d = 0; d < headDim; d++) {
                    dot = dot.add(FloatVector.fromArray(HEADS, qh, qi + d * heads).mul(FloatVector.fromArray(HEADS, kh, kj + d * heads)));
                }
                FloatVector.fromArray(HEADS, logit, at).add(dot.mul(FloatVector.fromArray(HEADS, scale, 0))).intoArray(logit, at);
                continue;
            }
            for (int hh = 0; hh < heads; hh++) {
                float dot = 0f;
                for (int d = 0; d < headDim; d++) dot += qh[qi + d * heads + hh] * kh[kj + d * heads + hh];
                logit[at + hh] += dot * scale[hh];
            }
        }
        softmax(ws, st, logit, n);

        // values, messages
        w.value().forwardWithBias(s, n, w.valueBias(), st.a);
        for (int edge = 0; edge < e; edge++) {
            for (int hh = 0; hh < heads; hh++) {
                Arrays.fill(st.alphaF, edge * f + hh * headDim, edge * f + (hh + 1) * headDim, st.alpha[edge * heads + hh]);
            }
        }
        aggregateMessages(ws, st, vq, neighbor);
        float[] dh = quantizeScalar(q.scalarMessage(), st.dhPre, st.dh, n * f);
        float[] dv = quantizeVector(q.vectorMessage(), ws, st.dvPre, st.dv, n);

        // update
        w.output().forwardWithBias(dh, n, w.outputBias(), st.o);
        float[] h = ws.h, v = ws.v, o = st.o;
        if (first) {
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < f; c++) h[i * f + c] += o[i * f3 + 2 * f + c];
            }
            System.arraycopy(dv, 0, v, 0, n * f3);
            return;
        }
        w.vectorMix().forward(vq, 3 * n, st.u);
        float[] u = st.u;
        for (int i = 0; i < n; i++) {
            int oi = i * f3, hi = i * f;
            for (int c = 0; c < f; c += LANES) {
                FloatVector dot = FloatVector.zero(S);
                for (int x = 0; x < 3; x++) {
                    int row = (i * 3 + x) * f3 + c;
                    dot = dot.add(FloatVector.fromArray(S, u, row).mul(FloatVector.fromArray(S, u, row + f)));
                }
                FloatVector.fromArray(S, h, hi + c).add(FloatVector.fromArray(S, o, oi + 2 * f + c))
                        .add(FloatVector.fromArray(S, o, oi + f + c).mul(dot)).intoArray(h, hi + c);
                FloatVector o1 = FloatVector.fromArray(S, o, oi + c);
                for (int x = 0; x < 3; x++) {
                    int row = (i * 3 + x), vr = row * f + c;
                    FloatVector.fromArray(S, vq, vr).add(o1.mul(FloatVector.fromArray(S, u, row * f3 + 2 * f + c)))
                            .add(FloatVector.fromArray(S, dv, vr)).intoArray(v, vr);
                }
            }
        }
    }

    /**
     * α_e = φ_e e^{l_e − m} / (ε e^{−m} + Σ_{e' of i} φ_e' e^{l_e' − m}) per centre i and head, m the row maximum.
     * Keeps p_e = e^{l_e − m}/Z (so α = φ p) in place of the logits, for ∂α/∂φ in the reverse pass.
     */
    private void softmax(Workspace ws, Workspace.LayerState st, float[] logitThenP, int n) {
        float[] alpha = st.alpha, phi = ws.cutoff, max = ws.segmentMax;
        // shift by the row maximum, then all exponentials in one vectorised pass
        for (int i = 0; i < n; i++) {
            int e0 = ws.segmentStart[i], e1 = ws.segmentStart[i + 1];
            for (int hh = 0; hh < heads; hh++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int edge = e0; edge < e1; edge++) m = Math.max(m, logitThenP[edge * heads + hh]);
                max[i * heads + hh] = m;
                for (int edge = e0; edge < e1; edge++) logitThenP[edge * heads + hh] -= m;
            }
        }
        Activations.apply(Activations.Kind.EXP, logitThenP, logitThenP, ws.edges * heads);
        for (int i = 0; i < n; i++) {
            int e0 = ws.segmentStart[i], e1 = ws.segmentStart[i + 1];
            if (e0 == e1) continue;
            for (int hh = 0; hh < heads; hh++) {
                float denominator = 0f;
                for (int edge = e0; edge < e1; edge++) denominator += logitThenP[edge * heads + hh] * phi[edge];
                denominator += ATTENTION_SINK * (float) Math.exp(-max[i * heads + hh]);
                for (int edge = e0; edge < e1; edge++) {
                    int at = edge * heads + hh;
                    float p = logitThenP[at] / denominator;
                    logitThenP[at] = p;
                    alpha[at] = p * phi[edge];
                }
            }
        }
    }

    /**
     * Δh_i = Σ_j m1_ij, Δv_i = Σ_j m3_ij r̂_ij + m2_ij ṽ_j with m_c = a_c,j ⊙ filter_c,ij ⊙ α_ij (before their sites).
     * Per centre and per vector of channels, the sums stay in registers over the centre's edges.
     */
    private void aggregateMessages(Workspace ws, Workspace.LayerState st, float[] vq, int[] neighbor) {
        int n = ws.atoms, f3 = 3 * f;
        float[] dh = st.dhPre, dv = st.dvPre, a = st.a, filter = st.filter, alphaF = st.alphaF, unit = ws.unit;
        for (int i = 0; i < n; i++) {
            int hi = i * f, vi = i * f3, e0 = ws.segmentStart[i], e1 = ws.segmentStart[i + 1];
            for (int c = 0; c < f; c += LANES) {
                FloatVector sh = FloatVector.zero(S), sx = sh, sy = sh, sz = sh;
                for (int edge = e0; edge < e1; edge++) {
                    int aj = neighbor[edge] * f3 + c, fe = edge * f3 + c;
                    FloatVector al = FloatVector.fromArray(S, alphaF, edge * f + c);
                    FloatVector m1 = FloatVector.fromArray(S, a, aj).mul(FloatVector.fromArray(S, filter, fe)).mul(al);
                    FloatVector m3 = FloatVector.fromArray(S, a, aj + 2 * f).mul(FloatVector.fromArray(S, filter, fe + 2 * f)).mul(al);
                    sh = sh.add(m1);
                    sx = m3.mul(unit[3 * edge]).add(sx);
                    sy = m3.mul(unit[3 * edge + 1]).add(sy);
                    sz = m3.mul(unit[3 * edge + 2]).add(sz);
                    if (first) continue;
                    int vj = neighbor[edge] * f3 + c;
                    FloatVector m2 = FloatVector.fromArray(S, a, aj + f).mul(FloatVector.fromArray(S, filter, fe + f)).mul(al);
                    sx = m2.fma(FloatVector.fromArray(S, vq, vj), sx);
                    sy = m2.fma(FloatVector.fromArray(S, vq, vj + f), sy);
                    sz = m2.fma(FloatVector.fromArray(S, vq, vj + 2 * f), sz);
                }
                sh.intoArray(dh, hi + c);
                sx.intoArray(dv, vi + c);
                sy.intoArray(dv, vi + f + c);
                sz.intoArray(dv, vi + 2 * f + c);
            }
        }
    }

    // ------------------------------------------------------------------ reverse

    /**
     * Given ws.gH = ∂E/∂h and ws.gV = ∂E/∂v after this layer, leaves there ∂E/∂h and ∂E/∂v before it, and adds
     * this layer's share of ∂E/∂rbf, ∂E/∂φ and ∂E/∂r̂ to ws.gRbf, ws.gCutoff and ws.gUnit.
     */
    void reverse(Workspace ws, Workspace.LayerState st, int[] center, int[] neighbor) {
        int n = ws.atoms, e = ws.edges, f3 = 3 * f;
        float[] gH = ws.gH, gV = ws.gV, gO = ws.gO, o = st.o, u = st.u;
        float[] vq = first ? null : (q.vectorIn().isIdentity() ? st.vIn : st.vq);

        // update: h' = h + o3 + o2 ⊙ w with w = Σ_x u1·u2;  v' = ṽ + o1 ⊙ u3 + Δv
        if (first) {
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < f; c++) {
                    gO[i * f3 + c] = 0f;
                    gO[i * f3 + f + c] = 0f;
                    gO[i * f3 + 2 * f + c] = gH[i * f + c];
                }
            }
        } else {
            float[] gU = ws.gU, gVq = ws.gVq;
            for (int i = 0; i < n; i++) {
                int oi = i * f3;
                for (int c = 0; c < f; c += LANES) {
                    FloatVector g = FloatVector.fromArray(S, gH, i * f + c);
                    FloatVector dot = FloatVector.zero(S), gO1 = dot;
                    for (int x = 0; x < 3; x++) {
                        int row = (i * 3 + x) * f3 + c;
                        dot = dot.add(FloatVector.fromArray(S, u, row).mul(FloatVector.fromArray(S, u, row + f)));
                        gO1 = gO1.add(FloatVector.fromArray(S, gV, (i * 3 + x) * f + c).mul(FloatVector.fromArray(S, u, row + 2 * f)));
                    }
                    FloatVector gW = g.mul(FloatVector.fromArray(S, o, oi + f + c));
                    gO1.intoArray(gO, oi + c);
                    g.mul(dot).intoArray(gO, oi + f + c);
                    g.intoArray(gO, oi + 2 * f + c);
                    FloatVector o1 = FloatVector.fromArray(S, o, oi + c);
                    for (int x = 0; x < 3; x++) {
                        int row = (i * 3 + x) * f3 + c;
                        gW.mul(FloatVector.fromArray(S, u, row + f)).intoArray(gU, row);
                        gW.mul(FloatVector.fromArray(S, u, row)).intoArray(gU, row + f);
                        FloatVector.fromArray(S, gV, (i * 3 + x) * f + c).mul(o1).intoArray(gU, row + 2 * f);
                    }
                }
            }
            System.arraycopy(gV, 0, gVq, 0, n * f3);                 // the residual ṽ
            w.vectorMix().backwardAdd(gU, 3 * n, gVq);
        }
        // Δh and Δv: through W_o and the message sites
        Arrays.fill(ws.gDh, 0, n * f, 0f);
        w.output().backwardAdd(gO, n, ws.gDh);
        float[] dhPre = st.dhPre;
        q.scalarMessage().backward(ws.gDh, dhPre, n * f);
        q.vectorMessage().backward(gV, st.dvPre, ws.gDvPre, n, f, ws);

        // messages, back to a_j, the filters, α, ṽ_j and r̂
        messagesReverse(ws, st, vq, neighbor);

        // softmax: ∂E/∂l_e = α_e (ḡ_α,e − Σ_e' α_e' ḡ_α,e'),  ∂E/∂φ_e = Σ_h p_e (ḡ_α,e − Σ_e' α_e' ḡ_α,e')
        float[] gAlpha = ws.gAlpha, gLogit = ws.gLogit, alpha = st.alpha, p = st.p, gCutoff = ws.gCutoff;
        for (int edge = 0; edge < e; edge++) {
            for (int hh = 0; hh < heads; hh++) {
                float sum = 0f;
                for (int d = hh * headDim; d < (hh + 1) * headDim; d++) sum += ws.gAlphaF[edge * f + d];
                gAlpha[edge * heads + hh] = sum;
            }
        }
        for (int i = 0; i < n; i++) {
            int e0 = ws.segmentStart[i], e1 = ws.segmentStart[i + 1];
            for (int hh = 0; hh < heads; hh++) {
                float weighted = 0f;
                for (int edge = e0; edge < e1; edge++) weighted += alpha[edge * heads + hh] * gAlpha[edge * heads + hh];
                for (int edge = e0; edge < e1; edge++) {
                    int at = edge * heads + hh;
                    float centred = gAlpha[at] - weighted;
                    gLogit[at] = alpha[at] * centred;
                    gCutoff[edge] += p[at] * centred;
                }
            }
        }

        // the edge lengths, through the filters f(d) and the attention bias b(d)
        radial.reverseAdd(ws, st, ws.gFilter, gLogit);

        // attention: l = τ q̃_i·k̃_j
        // in the heads-last layout of the forward, then back
        float[] qh = st.qtByHead, kh = st.ktByHead, gQh = ws.gQtByHead, gKh = ws.gKtByHead, scale = headScales;
        Arrays.fill(gQh, 0, n * f, 0f);
        Arrays.fill(gKh, 0, n * f, 0f);
        for (int edge = 0; edge < e; edge++) {
            int qi = center[edge] * f, kj = neighbor[edge] * f, at = edge * heads;
            if (heads == HEAD_LANES) {
                FloatVector g = FloatVector.fromArray(HEADS, gLogit, at).mul(FloatVector.fromArray(HEADS, scale, 0));
                for (int d = 0; d < headDim; d++) {
                    int row = d * heads;
                    g.mul(FloatVector.fromArray(HEADS, kh, kj + row)).add(FloatVector.fromArray(HEADS, gQh, qi + row)).intoArray(gQh, qi + row);
                    g.mul(FloatVector.fromArray(HEADS, qh, qi + row)).add(FloatVector.fromArray(HEADS, gKh, kj + row)).intoArray(gKh, kj + row);
                }
                continue;
            }
            for (int hh = 0; hh < heads; hh++) {
                float g = gLogit[at + hh] * scale[hh];
                for (int d = 0; d < headDim; d++) {
                    int row = d * heads + hh;
                    gQh[qi + row] += g * kh[kj + row];
                    gKh[kj + row] += g * qh[qi + row];
                }
            }
        }
        float[] gQt = ws.gQt, gKt = ws.gKt;
        Normalization.headsFirst(gQh, gQt, n, f, heads);
        Normalization.headsFirst(gKh, gKt, n, f, heads);
        q.attentionQuery().backward(gQt, st.qtPre, n * f);
        q.attentionKey().backward(gKt, st.ktPre, n * f);
        normalizeHeadsReverse(gQt, st.qtPre, st.qNorm, ws.gQ, n);
        normalizeHeadsReverse(gKt, st.ktPre, st.kNorm, ws.gK, n);

        // s: from q, k and the values; then the scalar_in site and LayerNorm, added to the residual ∂E/∂h
        float[] gS = ws.gS;
        Arrays.fill(gS, 0, n * f, 0f);
        w.query().backwardAdd(ws.gQ, n, gS);
        w.key().backwardAdd(ws.gK, n, gS);
        w.value().backwardAdd(ws.gA, n, gS);
        q.scalarIn().backward(gS, st.sPre, n * f);
        Normalization.layerNormReverseAdd(gS, st.normalized, st.rstd, w.normGamma(), gH, n, f);

        // ṽ: back through the vector_in site
        if (!first) q.vectorIn().backward(ws.gVq, st.vIn, gV, n, f, ws);
    }

    /** q̃ = q/‖q‖ per head (cosine attention) or q itself (plain q·k/√d). */
    private void normalizeHeads(float[] x, float[] norms, float[] out, int n) {
        if (cosineAttention) Normalization.unitHeads(x, norms, out, n, f, heads, ATTENTION_NORM_EPS_SQUARED);
        else System.arraycopy(x, 0, out, 0, n * f);
    }

    /** ∂E/∂q = (ḡ − q̃ (q̃·ḡ)) / ‖q‖ per head (cosine attention), or ḡ itself. */
    private void normalizeHeadsReverse(float[] g, float[] normalized, float[] norms, float[] out, int n) {
        if (cosineAttention) Normalization.unitHeadsReverse(g, normalized, norms, out, n, f, heads);
        else System.arraycopy(g, 0, out, 0, n * f);
    }

    /** lanes[from] + … + lanes[from + LANES − 1], left to right: the same in every JIT tier. */
    static float sumInOrder(float[] lanes, int from) {
        float sum = 0f;
        for (int l = from; l < from + LANES; l++) sum += lanes[l];
        return sum;
    }

    /**
     * For every edge: ∂E/∂a_j, ∂E/∂filter (into gFilter), ∂E/∂α per channel, ∂E/∂ṽ_j
     * and ∂E/∂r̂, from ∂E/∂Δh_i and ∂E/∂Δv_i:
     * <pre>
     *   ḡ_m1 = ḡ_Δh,i;  ḡ_m3 = Σ_x ḡ_Δv,i,x r̂_x;  ḡ_m2 = Σ_x ḡ_Δv,i,x ṽ_j,x;  ḡ_r̂,x = Σ_c ḡ_Δv,i,x,c m3_c
     *   ḡ_a_c,j += ḡ_mc filter_c α;  ḡ_filter_c = ḡ_mc a_c,j α;  ḡ_α = Σ_c ḡ_mc a_c,j filter_c;  ḡ_ṽ_j,x += ḡ_Δv,i,x m2
     * </pre>
     */
    private void messagesReverse(Workspace ws, Workspace.LayerState st, float[] vq, int[] neighbor) {
        int n = ws.atoms, f3 = 3 * f;
        float[] gDh = ws.gDh, gDv = ws.gDvPre, gA = ws.gA, gFilter = ws.gFilter, gAlphaF = ws.gAlphaF, gUnit = ws.gUnit;
        float[] gVq = ws.gVq, a = st.a, filter = st.filter, alphaF = st.alphaF, unit = ws.unit;
        Arrays.fill(gA, 0, n * f3, 0f);
        for (int i = 0; i < n; i++) {
            int hi = i * f, vi = i * f3;
            for (int edge = ws.segmentStart[i]; edge < ws.segmentStart[i + 1]; edge++) {
                int j = neighbor[edge], aj = j * f3, vj = j * f3, fe = edge * f3, ae = edge * f;
                float ux = unit[3 * edge], uy = unit[3 * edge + 1], uz = unit[3 * edge + 2];
                FloatVector gux = FloatVector.zero(S), guy = gux, guz = gux;
                for (int c = 0; c < f; c += LANES) {
                    FloatVector al = FloatVector.fromArray(S, alphaF, ae + c);
                    FloatVector a1 = FloatVector.fromArray(S, a, aj + c), f1 = FloatVector.fromArray(S, filter, fe + c);
                    FloatVector a3 = FloatVector.fromArray(S, a, aj + 2 * f + c), f3v = FloatVector.fromArray(S, filter, fe + 2 * f + c);
                    FloatVector gx = FloatVector.fromArray(S, gDv, vi + c), gy = FloatVector.fromArray(S, gDv, vi + f + c);
                    FloatVector gz = FloatVector.fromArray(S, gDv, vi + 2 * f + c);
                    FloatVector gm1 = FloatVector.fromArray(S, gDh, hi + c);
                    FloatVector gm3 = gx.mul(ux).add(gy.mul(uy)).add(gz.mul(uz));
                    FloatVector m3 = a3.mul(f3v).mul(al);
                    gux = gx.fma(m3, gux);
                    guy = gy.fma(m3, guy);
                    guz = gz.fma(m3, guz);
                    gm1.mul(f1).mul(al).add(FloatVector.fromArray(S, gA, aj + c)).intoArray(gA, aj + c);
                    gm3.mul(f3v).mul(al).add(FloatVector.fromArray(S, gA, aj + 2 * f + c)).intoArray(gA, aj + 2 * f + c);
                    gm1.mul(a1).mul(al).intoArray(gFilter, fe + c);
                    gm3.mul(a3).mul(al).intoArray(gFilter, fe + 2 * f + c);
                    FloatVector gAl = gm1.mul(a1).mul(f1).add(gm3.mul(a3).mul(f3v));
                    if (first) {
                        gAl.intoArray(gAlphaF, ae + c);
                        FloatVector.zero(S).intoArray(gFilter, fe + f + c);
                        continue;
                    }
                    FloatVector a2 = FloatVector.fromArray(S, a, aj + f + c), f2 = FloatVector.fromArray(S, filter, fe + f + c);
                    FloatVector v0 = FloatVector.fromArray(S, vq, vj + c), v1 = FloatVector.fromArray(S, vq, vj + f + c);
                    FloatVector v2 = FloatVector.fromArray(S, vq, vj + 2 * f + c);
                    FloatVector gm2 = gx.mul(v0).add(gy.mul(v1)).add(gz.mul(v2));
                    FloatVector m2 = a2.mul(f2).mul(al);
                    gx.fma(m2, FloatVector.fromArray(S, gVq, vj + c)).intoArray(gVq, vj + c);
                    gy.fma(m2, FloatVector.fromArray(S, gVq, vj + f + c)).intoArray(gVq, vj + f + c);
                    gz.fma(m2, FloatVector.fromArray(S, gVq, vj + 2 * f + c)).intoArray(gVq, vj + 2 * f + c);
                    gm2.mul(f2).mul(al).add(FloatVector.fromArray(S, gA, aj + f + c)).intoArray(gA, aj + f + c);
                    gm2.mul(a2).mul(al).intoArray(gFilter, fe + f + c);
                    gAl.add(gm2.mul(a2).mul(f2)).intoArray(gAlphaF, ae + c);
                }
                float[] lanes = ws.laneScratch;
                gux.intoArray(lanes, 0);
                guy.intoArray(lanes, LANES);
                guz.intoArray(lanes, 2 * LANES);
                gUnit[3 * edge] += sumInOrder(lanes, 0);
                gUnit[3 * edge + 1] += sumInOrder(lanes, LANES);
                gUnit[3 * edge + 2] += sumInOrder(lanes, 2 * LANES);
            }
        }
    }

    // ------------------------------------------------------------------ shared pieces

    /** out = Q(x) at a scalar site; returns the array holding the site's output (x itself for an FP32 site). */
    static float[] quantizeScalar(ScalarQuantization site, float[] x, float[] out, int count) {
        if (site.isIdentity()) return x;
        site.forward(x, out, count);
        return out;
    }

    private float[] quantizeVector(VectorQuantization site, Workspace ws, float[] v, float[] out, int n) {
        if (site.isIdentity()) return v;
        site.forward(v, out, n, f, ws);
        return out;
    }

}
