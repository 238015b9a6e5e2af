package org.gaq.train.compiled;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.gaq.model.LocalFrames;
import org.gaq.model.QuantizationSites.Activation;
import org.gaq.tensor.kernels.Normalization;

import java.util.Arrays;

/**
 * One interaction layer in the four passes of {@link CompiledLossGradient} (docs/training.md gives every equation in
 * the order of the code); a fake-quantized model's sites give their values in the forward pass ({@link SiteValues}) and
 * the identity everywhere else:
 * <ol>
 *   <li>{@link #forward}: the layer of docs/model.md, keeping what the later passes read;</li>
 *   <li>{@link #reverse}: ∂E/∂(inputs) for the forces, keeping the adjoints g (the "real" adjoints);</li>
 *   <li>{@link #tangent}: the derivative ẋ of every value along the positions' direction t = ∂L/∂(∇E);</li>
 *   <li>{@link #epsilonReverse}: the ε-parts γ of the adjoints when the reverse pass runs in dual numbers
 *       x + εẋ with the seed 1 + ε·∂L/∂E, and with them ∂L/∂θ of this layer's parameters.</li>
 * </ol>
 * Naming: x a value, dx its tangent, gx its real adjoint (pass 2), ex the ε-part of its adjoint (pass 4).
 * Layouts as the compiled engine's: atoms [N, F], vectors [N, 3, F], three thirds [N, 3F], edges [E, ·].
 */
final class LayerGradient {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int LANES = S.length();

    private final int layer;
    private final boolean first, cosine;
    private final int f, heads, headDim, basis;
    private LayerParameters p;     // the model's values, read again on every call (the optimiser updates them)
    private LayerParameters pt;    // the transposed weights of p (W_qᵀ, …; the vectors null), made by refresh()

    // ---- pass 1: forward values (qt, kt after their sites; qtPre, ktPre before them)
    private float[] qtPre, ktPre, vIn, xhat, rstd, s, q, k, qn, kn, qt, kt, p0, alpha, a, pre, filter, slope, dh, dv, o, u, w;
    // ---- pass 2: real adjoints
    private float[] gHOut, gVOut, gO, gU, gDh, gA, gF, gPre, gAlpha, gCentred, gL, gQt, gKt, gQ, gK, gS;
    // ---- pass 3: tangents (and σ of the radial filters' pre-activation, from pass 1)
    private float[] sigma, curvedDpre, dvIn, dxhat, xhatDotDh, ds, dq, dk, dqt, dkt, dAlpha, da, dpre, dfilter, ddh, ddv, dO, du, dw;
    // ---- scratch
    private float[] alphaF, dAlphaF, preByD, biasByD, gAlphaF, eO, eU, eDh, eA, eF, ePre, eAlpha, eL, eQt, eKt, eQ, eK, eS, eVIn;
    private final float[] lanes = new float[3 * LANES];
    private final float[] scales;
    private final HeadDots dots;
    private float[] qtH, ktH, dqtH, dktH, headScratchA, headScratchB;      // q̃, k̃ and their tangents heads-last [N, d, H]
    private float[] scratch = new float[0];     // transposed inputs of the weight gradients
    private int atomCapacity = -1, edgeCapacity = -1;

    LayerGradient(int layer, boolean cosine, int features, int heads, int basis) {
        this.layer = layer;
        this.first = layer == 0;
        this.cosine = cosine;
        this.f = features;
        this.heads = heads;
        this.headDim = features / heads;
        this.basis = basis;
        this.scales = new float[heads];
        this.dots = new HeadDots(features, heads);
    }

    /** The parameter values of this call, and their transposes for the reverse products. */
    void refresh(LayerParameters values) {
        p = values;
        pt = p.transposed(f, basis, heads, pt);
    }

    void ensure(int n, int e) {
        int f3 = 3 * f;
        if (scratch.length < Math.max(basis * e, f * 3 * n)) scratch = new float[Math.max(basis * e, f * 3 * n)];
        if (n > atomCapacity) {
            atomCapacity = n;
            vIn = new float[n * f3]; xhat = new float[n * f]; rstd = new float[n]; s = new float[n * f];
            q = new float[n * f]; k = new float[n * f]; qn = new float[n * heads]; kn = new float[n * heads];
            qt = new float[n * f]; kt = new float[n * f]; qtPre = new float[n * f]; ktPre = new float[n * f]; a = new float[n * f3]; dh = new float[n * f];
            dv = new float[n * f3]; o = new float[n * f3]; u = new float[n * 3 * f3]; w = new float[n * f];
            gHOut = new float[n * f]; gVOut = new float[n * f3]; gO = new float[n * f3]; gU = new float[n * 3 * f3];
            gDh = new float[n * f]; gA = new float[n * f3]; gQt = new float[n * f]; gKt = new float[n * f];
            gQ = new float[n * f]; gK = new float[n * f]; gS = new float[n * f];
            dvIn = new float[n * f3]; dxhat = new float[n * f]; xhatDotDh = new float[n]; ds = new float[n * f];
            dq = new float[n * f]; dk = new float[n * f]; dqt = new float[n * f]; dkt = new float[n * f];
            da = new float[n * f3]; ddh = new float[n * f]; ddv = new float[n * f3]; dO = new float[n * f3];
            du = new float[n * 3 * f3]; dw = new float[n * f];
            eO = new float[n * f3]; eU = new float[n * 3 * f3]; eDh = new float[n * f]; eA = new float[n * f3];
            eQt = new float[n * f]; eKt = new float[n * f]; eQ = new float[n * f]; eK = new float[n * f];
            eS = new float[n * f]; eVIn = new float[n * f3];
            qtH = new float[n * f]; ktH = new float[n * f]; dqtH = new float[n * f]; dktH = new float[n * f];
            headScratchA = new float[n * f]; headScratchB = new float[n * f];
        }
        if (e > edgeCapacity) {
            edgeCapacity = e;
            p0 = new float[e * heads]; alpha = new float[e * heads]; pre = new float[e * f3]; filter = new float[e * f3];
            slope = new float[e * f3]; gF = new float[e * f3]; gPre = new float[e * f3]; gAlpha = new float[e * heads];
            gCentred = new float[e * heads]; gL = new float[e * heads]; dAlpha = new float[e * heads];
            dpre = new float[e * f3]; curvedDpre = new float[e * f3]; sigma = new float[e * f3]; dfilter = new float[e * f3]; preByD = new float[e * f3]; biasByD = new float[e * heads]; alphaF = new float[e * f]; dAlphaF = new float[e * f]; gAlphaF = new float[e * f];
            eF = new float[e * f3]; ePre = new float[e * f3]; eAlpha = new float[e * heads]; eL = new float[e * heads];
        }
    }

    // ================================================================== pass 1: forward

    /** h, v (the state entering the layer) become the state after it. */
    void forward(EdgeState g, float[] h, float[] v, int n, SiteValues sites, LocalFrames frames) {
        int e = g.edges, f3 = 3 * f;
        // ṽ = Q(v), s = Q(LN(h)), q̃ = Q(q/‖q‖), k̃ = Q(k/‖k‖): the quantized values wherever they are consumed; the
        // normalisations' own rules keep q/‖q‖ (qtPre), and every site's derivative is the identity
        if (!first) {
            System.arraycopy(v, 0, vIn, 0, n * f3);
            sites.vector(Activation.VECTOR_IN.in(layer), vIn, n, f, frames);
        }
        LayerNorms.forward(h, p.gain(), p.beta(), xhat, rstd, s, n, f);
        sites.scalar(Activation.SCALAR_IN.in(layer), s, n, f);
        Products.forward(s, p.query(), q, n, f, f);
        Products.forward(s, p.key(), k, n, f, f);
        normalizeHeads(q, qn, qtPre, n);
        normalizeHeads(k, kn, ktPre, n);
        System.arraycopy(qtPre, 0, qt, 0, n * f);
        System.arraycopy(ktPre, 0, kt, 0, n * f);
        sites.scalar(Activation.ATTENTION_QUERY.in(layer), qt, n, heads, headDim);
        sites.scalar(Activation.ATTENTION_KEY.in(layer), kt, n, heads, headDim);

        // l = τ q̃_i·k̃_j + W_b rbf, then α = φ e^l / (1 + Σ φ e^l)
        float[] logit = p0;
        Products.forwardNarrow(g.rbf, pt.radialBias(), logit, e, basis, heads);
        scales();
        dots.headsLast(qt, qtH, n);
        dots.headsLast(kt, ktH, n);
        dots.add(g, qtH, ktH, null, null, scales, logit);
        Softmax.forward(g, logit, alpha, n, heads);
        Flush.tiny(logit, e * heads);
        Flush.tiny(alpha, e * heads);

        Products.forwardWithBias(s, p.value(), p.valueBias(), a, n, f, f3);
        Products.forwardWithBias(g.rbf, p.radialFilter(), p.radialFilterBias(), pre, e, basis, f3);
        Silu.forward(pre, sigma, filter, slope, e * f3);
        Flush.tiny(filter, e * f3);
        Flush.tiny(slope, e * f3);

        // Δh_i = Σ_j m1,  Δv_i = Σ_j m3 ⊗ r̂ + m2 ⊙ v_j,  m_c = a_c,j ⊙ f_c ⊙ α; per centre, the sums in registers
        messagesForward(g, n);
        sites.scalar(Activation.SCALAR_MESSAGE.in(layer), dh, n, f);
        sites.vector(Activation.VECTOR_MESSAGE.in(layer), dv, n, f, frames);

        // [o1 o2 o3] = W_o Δh + b_o;  h ← h + o3 + o2 ⊙ Σ_x u1 u2;  v ← v + o1 ⊙ u3 + Δv,  [u1 u2 u3] = U v
        Products.forwardWithBias(dh, p.output(), p.outputBias(), o, n, f, f3);
        if (first) {
            for (int i = 0; i < n; i++) for (int c = 0; c < f; c++) h[i * f + c] += o[i * f3 + 2 * f + c];
            System.arraycopy(dv, 0, v, 0, n * f3);
            return;
        }
        Products.forward(vIn, p.vectorMix(), u, 3 * n, f, f3);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < f; c++) {
                float dot = 0f;
                for (int x = 0; x < 3; x++) {
                    int row = (i * 3 + x) * f3 + c;
                    dot += u[row] * u[row + f];
                }
                w[i * f + c] = dot;
                h[i * f + c] += o[i * f3 + 2 * f + c] + o[i * f3 + f + c] * dot;
                for (int x = 0; x < 3; x++) {
                    int vr = (i * 3 + x) * f + c;
                    v[vr] = vIn[vr] + o[i * f3 + c] * u[(i * 3 + x) * f3 + 2 * f + c] + dv[vr];
                }
            }
        }
    }

    private static float sumInOrder(float[] x, int from) {
        float sum = 0f;
        for (int k = from; k < from + LANES; k++) sum += x[k];
        return sum;
    }

    /** x [E, H] → out [E, F]: each head's value on its channels. */
    private void perChannel(float[] x, float[] out, int e) {
        for (int edge = 0; edge < e; edge++) {
            int o = edge * f;
            for (int hh = 0; hh < heads; hh++) {
                float value = x[edge * heads + hh];
                for (int d = 0; d < headDim; d++) out[o++] = value;
            }
        }
    }

    /** The logits' factor per head into {@link #scales}: τ_h (cosine attention) or 1/√d. */
    private void scales() {
        for (int hh = 0; hh < heads; hh++) scales[hh] = cosine ? p.temperature()[hh] : (float) (1.0 / Math.sqrt(headDim));
    }

    private float headDot(float[] x, int xi, float[] y, int yj, int head) {
        float dot = 0f;
        for (int d = head * headDim; d < (head + 1) * headDim; d++) dot += x[xi + d] * y[yj + d];
        return dot;
    }

    // ================================================================== pass 2: reverse (forces)

    /**
     * gH, gV = ∂E/∂h, ∂E/∂v after the layer become the same before it; adds the layer's share of ∂E/∂d, ∂E/∂φ
     * and ∂E/∂r̂ to the edge state. Keeps every adjoint pass 4 reads.
     */
    void reverse(EdgeState g, float[] gH, float[] gV, int n) {
        int e = g.edges, f3 = 3 * f;
        System.arraycopy(gH, 0, gHOut, 0, n * f);
        System.arraycopy(gV, 0, gVOut, 0, n * f3);
        if (first) {
            for (int i = 0; i < n; i++) {
                Arrays.fill(gO, i * f3, i * f3 + 2 * f, 0f);
                System.arraycopy(gH, i * f, gO, i * f3 + 2 * f, f);
            }
        } else {
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < f; c++) {
                    float gh = gH[i * f + c], gw = gh * o[i * f3 + f + c], go1 = 0f;
                    for (int x = 0; x < 3; x++) {
                        int row = (i * 3 + x) * f3 + c;
                        float gv = gV[(i * 3 + x) * f + c];
                        go1 += gv * u[row + 2 * f];
                        gU[row] = gw * u[row + f];
                        gU[row + f] = gw * u[row];
                        gU[row + 2 * f] = gv * o[i * f3 + c];
                    }
                    gO[i * f3 + c] = go1;
                    gO[i * f3 + f + c] = gh * w[i * f + c];
                    gO[i * f3 + 2 * f + c] = gh;
                }
            }
            // the residual v, and v through U (gV becomes ∂E/∂v before the layer after the messages add theirs)
            Products.backwardAdd(gU, pt.vectorMix(), gV, 3 * n, f, f3);
        }
        Arrays.fill(gDh, 0, n * f, 0f);
        Products.backwardAdd(gO, pt.output(), gDh, n, f, f3);

        // messages: ∂E/∂a_j, ∂E/∂f, ∂E/∂α (per channel), ∂E/∂v_j, ∂E/∂r̂ from ∂E/∂Δh_i and ∂E/∂Δv_i (= gVOut)
        messagesReverse(g, gV, n);
        for (int edge = 0; edge < e; edge++) {
            for (int hh = 0; hh < heads; hh++) {
                float sum = 0f;
                for (int d = hh * headDim; d < (hh + 1) * headDim; d++) sum += gAlphaF[edge * f + d];
                gAlpha[edge * heads + hh] = sum;
            }
        }
        Softmax.reverse(g, alpha, p0, gAlpha, gCentred, gL, n, heads);
        Flush.tiny(gL, e * heads);

        // radial channels: ∂E/∂d = ḡ_pre · ∂pre/∂d + ḡ_l · ∂b/∂d, with ∂pre/∂d = W_r rbf'(d) and ∂b/∂d = W_b rbf'(d)
        // (kept: the tangents along t are these times ḋ)
        Flush.tiny(gF, e * f3);
        for (int x = 0; x < e * f3; x++) gPre[x] = gF[x] * slope[x];
        Flush.tiny(gPre, e * f3);
        Products.forward(g.rbfDerivative, p.radialFilter(), preByD, e, basis, f3);
        Products.forwardNarrow(g.rbfDerivative, pt.radialBias(), biasByD, e, basis, heads);
        for (int edge = 0; edge < e; edge++) {
            float gd = 0f;
            for (int x = edge * f3; x < (edge + 1) * f3; x++) gd += gPre[x] * preByD[x];
            for (int hh = edge * heads; hh < (edge + 1) * heads; hh++) gd += gL[hh] * biasByD[hh];
            g.gDistance[edge] += gd;
        }

        // attention: l = τ q̃_i·k̃_j
        dots.reverse(g, gL, qtH, ktH, null, null, null, scales, headScratchA, headScratchB, n);
        dots.headsFirst(headScratchA, gQt, n);
        dots.headsFirst(headScratchB, gKt, n);
        normalizeHeadsReverse(gQt, qtPre, qn, gQ, n);
        normalizeHeadsReverse(gKt, ktPre, kn, gK, n);

        Arrays.fill(gS, 0, n * f, 0f);
        Products.backwardAdd(gQ, pt.query(), gS, n, f, f);
        Products.backwardAdd(gK, pt.key(), gS, n, f, f);
        Products.backwardAdd(gA, pt.value(), gS, n, f, f3);
        LayerNorms.reverseAdd(gS, xhat, rstd, p.gain(), gH, n, f);
    }

    // ================================================================== pass 3: tangents

    /** dh, dv (tangents entering the layer) become the tangents after it. */
    void tangent(EdgeState g, float[] dhIn, float[] dvState, int n) {
        int e = g.edges, f3 = 3 * f;
        if (!first) System.arraycopy(dvState, 0, dvIn, 0, n * f3);
        LayerNorms.tangent(dhIn, xhat, rstd, p.gain(), dxhat, xhatDotDh, ds, n, f);
        Products.forward(ds, p.query(), dq, n, f, f);
        Products.forward(ds, p.key(), dk, n, f, f);
        normalizeHeadsTangent(dq, qtPre, qn, dqt, n);
        normalizeHeadsTangent(dk, ktPre, kn, dkt, n);

        // l̇ = τ (q̃̇_i·k̃_j + q̃_i·k̃̇_j) + W_b ṙbf, then α̇ (in dAlpha, through a logit tangent kept there first)
        float[] dl = dAlpha;
        for (int edge = 0; edge < e; edge++) {
            float dd = g.dDistance[edge];
            for (int hh = 0; hh < heads; hh++) dl[edge * heads + hh] = biasByD[edge * heads + hh] * dd;
        }
        dots.headsLast(dqt, dqtH, n);
        dots.headsLast(dkt, dktH, n);
        dots.add(g, dqtH, ktH, qtH, dktH, scales, dl);
        Softmax.tangent(g, alpha, p0, dl, dAlpha, n, heads);
        Flush.tiny(dAlpha, e * heads);

        Products.forward(ds, p.value(), da, n, f, f3);
        for (int edge = 0; edge < e; edge++) {
            float dd = g.dDistance[edge];
            for (int x = edge * f3; x < (edge + 1) * f3; x++) {
                dpre[x] = preByD[x] * dd;
                dfilter[x] = slope[x] * dpre[x];
            }
        }
        // SiLU''(pre) ṗre: what the ε-pass adds to ∂/∂pre (vectorised here: an exponential per element)
        Silu.curvatureTimes(pre, sigma, dpre, curvedDpre, e * f3);
        Flush.tiny(curvedDpre, e * f3);
        Flush.tiny(dfilter, e * f3);

        messagesTangent(g, n);

        Products.forward(ddh, p.output(), dO, n, f, f3);
        if (first) {
            for (int i = 0; i < n; i++) for (int c = 0; c < f; c++) dhIn[i * f + c] += dO[i * f3 + 2 * f + c];
            System.arraycopy(ddv, 0, dvState, 0, n * f3);
            return;
        }
        Products.forward(dvIn, p.vectorMix(), du, 3 * n, f, f3);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < f; c++) {
                float dot = 0f;
                for (int x = 0; x < 3; x++) {
                    int row = (i * 3 + x) * f3 + c;
                    dot += du[row] * u[row + f] + u[row] * du[row + f];
                }
                dw[i * f + c] = dot;
                int oi = i * f3;
                dhIn[i * f + c] += dO[oi + 2 * f + c] + dO[oi + f + c] * w[i * f + c] + o[oi + f + c] * dot;
                for (int x = 0; x < 3; x++) {
                    int vr = (i * 3 + x) * f + c, row = (i * 3 + x) * f3 + 2 * f + c;
                    dvState[vr] = dvIn[vr] + dO[oi + c] * u[row] + o[oi + c] * du[row] + ddv[vr];
                }
            }
        }
    }

    /** x̃ = x/‖x‖ per head, ‖x‖ = √(Σx² + ε²) (cosine attention), or x itself. */
    private void normalizeHeads(float[] x, float[] norms, float[] out, int n) {
        if (cosine) Normalization.unitHeads(x, norms, out, n, f, heads, LayerParameters.ATTENTION_NORM_EPS_SQUARED);
        else System.arraycopy(x, 0, out, 0, n * f);
    }

    /** ∂E/∂x = (ḡ − x̃ (x̃·ḡ)) / ‖x‖ per head, or ḡ. */
    private void normalizeHeadsReverse(float[] gt, float[] xt, float[] norms, float[] out, int n) {
        if (cosine) Normalization.unitHeadsReverse(gt, xt, norms, out, n, f, heads);
        else System.arraycopy(gt, 0, out, 0, n * f);
    }

    /** x̃̇ = (ẋ − x̃ (x̃·ẋ)) / ‖x‖ per head, or ẋ. */
    private void normalizeHeadsTangent(float[] dx, float[] xt, float[] norms, float[] out, int n) {
        if (!cosine) {
            System.arraycopy(dx, 0, out, 0, n * f);
            return;
        }
        normalizeHeadsReverse(dx, xt, norms, out, n);    // the same linear map: (I − x̃x̃ᵀ)/‖x‖ is symmetric
    }

    // ================================================================== pass 4: ε-parts and parameter gradients

    /**
     * eH, eV = ε-parts of the adjoints of h, v after the layer become those before it; adds ∂L/∂θ of this layer's
     * parameters to {@code grads}.
     */
    void epsilonReverse(EdgeState g, float[] eH, float[] eV, int n, LayerParameters grads) {
        int e = g.edges, f3 = 3 * f;
        // update: h' = h + o3 + o2 ⊙ w;  v' = v + o1 ⊙ u3 + Δv;  w = Σ_x u1 u2
        if (first) {
            for (int i = 0; i < n; i++) {
                Arrays.fill(eO, i * f3, i * f3 + 2 * f, 0f);
                System.arraycopy(eH, i * f, eO, i * f3 + 2 * f, f);
            }
        } else {
            for (int i = 0; i < n; i++) {
                int oi = i * f3;
                for (int c = 0; c < f; c++) {
                    int hi = i * f + c;
                    float eh = eH[hi], gh = gHOut[hi];
                    float ew = eh * o[oi + f + c] + gh * dO[oi + f + c], gw = gh * o[oi + f + c];
                    float eo1 = 0f;
                    for (int x = 0; x < 3; x++) {
                        int row = (i * 3 + x) * f3 + c, vr = (i * 3 + x) * f + c;
                        float ev = eV[vr], gv = gVOut[vr];
                        eo1 += ev * u[row + 2 * f] + gv * du[row + 2 * f];
                        eU[row] = ew * u[row + f] + gw * du[row + f];
                        eU[row + f] = ew * u[row] + gw * du[row];
                        eU[row + 2 * f] = ev * o[oi + c] + gv * dO[oi + c];
                    }
                    eO[oi + c] = eo1;
                    eO[oi + f + c] = eh * w[hi] + gh * dw[hi];
                    eO[oi + 2 * f + c] = eh;
                }
            }
            Products.weightGradient(vIn, eU, dvIn, gU, grads.vectorMix(), 3 * n, f, f3, scratch);
            System.arraycopy(eV, 0, eVIn, 0, n * f3);
            Products.backwardAdd(eU, pt.vectorMix(), eVIn, 3 * n, f, f3);
        }
        Products.weightGradient(dh, eO, ddh, gO, grads.output(), n, f, f3, scratch);
        Products.biasGradient(eO, grads.outputBias(), n, f3);
        Arrays.fill(eDh, 0, n * f, 0f);
        Products.backwardAdd(eO, pt.output(), eDh, n, f, f3);

        // messages (eV is the ε-adjoint of Δv)
        messagesEpsilon(g, eV, n);
        for (int edge = 0; edge < e; edge++) {
            for (int hh = 0; hh < heads; hh++) {
                float sum = 0f;
                for (int d = hh * headDim; d < (hh + 1) * headDim; d++) sum += gAlphaF[edge * f + d];
                eAlpha[edge * heads + hh] = sum;
            }
        }
        Softmax.epsilonReverse(g, alpha, dAlpha, gAlpha, gCentred, eAlpha, eL, n, heads);
        Flush.tiny(eL, e * heads);
        Flush.tiny(eF, e * f3);

        // radial channels: ε of ∂/∂pre = ∂/∂f ⊙ SiLU'(pre), then W_r, b_r, W_b
        for (int x = 0; x < e * f3; x++) {
            ePre[x] = eF[x] * slope[x] + gF[x] * curvedDpre[x];
        }
        Flush.tiny(ePre, e * f3);
        Products.weightGradientTransposed(g.rbfT, ePre, g.dRbfT, gPre, grads.radialFilter(), e, basis, f3, scratch);
        Products.biasGradient(ePre, grads.radialFilterBias(), e, f3);
        Products.weightGradientTransposed(g.rbfT, eL, g.dRbfT, gL, grads.radialBias(), e, basis, heads, scratch);

        // attention: l = τ q̃_i·k̃_j
        // ε_q̃_i += s (ε_l k̃_j + ḡ_l k̃̇_j),  ε_k̃_j += s (ε_l q̃_i + ḡ_l q̃̇_i),  τ̄ += Σ ε_l q̃·k̃ + ḡ_l (q̃·k̃)˙
        if (cosine) dots.scaleGradient(g, eL, gL, qtH, ktH, dqtH, dktH, grads.temperature());
        dots.reverse(g, eL, qtH, ktH, gL, dqtH, dktH, scales, headScratchA, headScratchB, n);
        dots.headsFirst(headScratchA, eQt, n);
        dots.headsFirst(headScratchB, eKt, n);
        normalizeHeadsEpsilon(eQt, gQt, qtPre, dqt, dq, qn, eQ, n);
        normalizeHeadsEpsilon(eKt, gKt, ktPre, dkt, dk, kn, eK, n);

        Products.weightGradient(s, eQ, ds, gQ, grads.query(), n, f, f, scratch);
        Products.weightGradient(s, eK, ds, gK, grads.key(), n, f, f, scratch);
        Products.weightGradient(s, eA, ds, gA, grads.value(), n, f, f3, scratch);
        Products.biasGradient(eA, grads.valueBias(), n, f3);
        Arrays.fill(eS, 0, n * f, 0f);
        Products.backwardAdd(eQ, pt.query(), eS, n, f, f);
        Products.backwardAdd(eK, pt.key(), eS, n, f, f);
        Products.backwardAdd(eA, pt.value(), eS, n, f, f3);
        LayerNorms.epsilonReverseAdd(eS, gS, xhat, dxhat, rstd, xhatDotDh, p.gain(), grads.gain(), grads.beta(), eH, n, f);
        if (!first) System.arraycopy(eVIn, 0, eV, 0, n * f3);
    }

    /**
     * ε-part of ∂/∂x = (ḡ − x̃(x̃·ḡ))/n in dual numbers (x̃ + εx̃̇, n + εṅ with ṅ = x̃·ẋ, ḡ + εγ):
     * (γ − x̃(x̃·γ) − x̃̇(x̃·ḡ) − x̃(x̃̇·ḡ))/n − (ḡ − x̃(x̃·ḡ)) ṅ/n².
     */
    private void normalizeHeadsEpsilon(float[] eT, float[] gT, float[] xt, float[] dxt, float[] dx, float[] norms, float[] out, int n) {
        if (!cosine) {
            System.arraycopy(eT, 0, out, 0, n * f);
            return;
        }
        for (int i = 0; i < n; i++) {
            for (int hh = 0; hh < heads; hh++) {
                int o0 = i * f + hh * headDim, row = i * f;
                float xe = headDot(xt, row, eT, row, hh), xg = headDot(xt, row, gT, row, hh);
                float dxg = headDot(dxt, row, gT, row, hh), nDot = headDot(xt, row, dx, row, hh);
                float inv = 1f / norms[i * heads + hh];
                for (int d = 0; d < headDim; d++) {
                    int at = o0 + d;
                    out[at] = (eT[at] - xt[at] * xe - dxt[at] * xg - xt[at] * dxg) * inv
                            - (gT[at] - xt[at] * xg) * nDot * inv * inv;
                }
            }
        }
    }

    /** Δh_i = Σ_j m1, Δv_i = Σ_j m3 ⊗ r̂ + m2 ⊙ v_j, m_c = a_c,j ⊙ f_c ⊙ α: per centre, the sums in registers. */
    private void messagesForward(EdgeState g, int n) {
        int e = g.edges, f3 = 3 * f;
        perChannel(alpha, alphaF, e);
        for (int i = 0; i < n; i++) {
            int e0 = g.segmentStart[i], e1 = g.segmentStart[i + 1];
            for (int c = 0; c < f; c += LANES) {
                FloatVector sh = FloatVector.zero(S), sx = sh, sy = sh, sz = sh;
                for (int edge = e0; edge < e1; edge++) {
                    int aj = g.neighbor[edge] * f3 + c, fe = edge * f3 + c;
                    FloatVector al = FloatVector.fromArray(S, alphaF, edge * f + c);
                    FloatVector m1 = FloatVector.fromArray(S, a, aj).mul(FloatVector.fromArray(S, filter, fe)).mul(al);
                    FloatVector m3 = FloatVector.fromArray(S, a, aj + 2 * f).mul(FloatVector.fromArray(S, filter, fe + 2 * f)).mul(al);
                    sh = sh.add(m1);
                    sx = m3.mul(g.unit[3 * edge]).add(sx);
                    sy = m3.mul(g.unit[3 * edge + 1]).add(sy);
                    sz = m3.mul(g.unit[3 * edge + 2]).add(sz);
                    if (first) continue;
                    FloatVector m2 = FloatVector.fromArray(S, a, aj + f).mul(FloatVector.fromArray(S, filter, fe + f)).mul(al);
                    sx = m2.fma(FloatVector.fromArray(S, vIn, aj), sx);
                    sy = m2.fma(FloatVector.fromArray(S, vIn, aj + f), sy);
                    sz = m2.fma(FloatVector.fromArray(S, vIn, aj + 2 * f), sz);
                }
                sh.intoArray(dh, i * f + c);
                sx.intoArray(dv, i * f3 + c);
                sy.intoArray(dv, i * f3 + f + c);
                sz.intoArray(dv, i * f3 + 2 * f + c);
            }
        }
    }

    /** ∂E/∂a_j, ∂E/∂f, ∂E/∂α (per channel), ∂E/∂v_j (into gV) and ∂E/∂r̂ from ∂E/∂Δh_i and ∂E/∂Δv_i. */
    private void messagesReverse(EdgeState g, float[] gV, int n) {
        int e = g.edges, f3 = 3 * f;
        Arrays.fill(gA, 0, n * f3, 0f);
        for (int edge = 0; edge < e; edge++) {
            int i = g.center[edge], aj = g.neighbor[edge] * f3;
            float ux = g.unit[3 * edge], uy = g.unit[3 * edge + 1], uz = g.unit[3 * edge + 2];
            FloatVector gux = FloatVector.zero(S), guy = gux, guz = gux;
            for (int c = 0; c < f; c += LANES) {
                int aC = aj + c, fe = edge * f3 + c, vi = i * f3 + c;
                FloatVector al = FloatVector.fromArray(S, alphaF, edge * f + c);
                FloatVector gx = FloatVector.fromArray(S, gVOut, vi), gy = FloatVector.fromArray(S, gVOut, vi + f);
                FloatVector gz = FloatVector.fromArray(S, gVOut, vi + 2 * f);
                FloatVector gm1 = FloatVector.fromArray(S, gDh, i * f + c), gm3 = gx.mul(ux).add(gy.mul(uy)).add(gz.mul(uz));
                FloatVector a1 = FloatVector.fromArray(S, a, aC), a3 = FloatVector.fromArray(S, a, aC + 2 * f);
                FloatVector f1 = FloatVector.fromArray(S, filter, fe), f3v = FloatVector.fromArray(S, filter, fe + 2 * f);
                FloatVector m3 = a3.mul(f3v).mul(al);
                gux = gx.fma(m3, gux);
                guy = gy.fma(m3, guy);
                guz = gz.fma(m3, guz);
                gm1.mul(f1).mul(al).add(FloatVector.fromArray(S, gA, aC)).intoArray(gA, aC);
                gm3.mul(f3v).mul(al).add(FloatVector.fromArray(S, gA, aC + 2 * f)).intoArray(gA, aC + 2 * f);
                gm1.mul(a1).mul(al).intoArray(gF, fe);
                gm3.mul(a3).mul(al).intoArray(gF, fe + 2 * f);
                FloatVector gal = gm1.mul(a1).mul(f1).add(gm3.mul(a3).mul(f3v));
                if (first) {
                    FloatVector.zero(S).intoArray(gF, fe + f);
                } else {
                    FloatVector a2 = FloatVector.fromArray(S, a, aC + f), f2 = FloatVector.fromArray(S, filter, fe + f);
                    FloatVector v0 = FloatVector.fromArray(S, vIn, aC), v1 = FloatVector.fromArray(S, vIn, aC + f);
                    FloatVector v2 = FloatVector.fromArray(S, vIn, aC + 2 * f);
                    FloatVector gm2 = gx.mul(v0).add(gy.mul(v1)).add(gz.mul(v2));
                    FloatVector m2 = a2.mul(f2).mul(al);
                    gx.fma(m2, FloatVector.fromArray(S, gV, aC)).intoArray(gV, aC);
                    gy.fma(m2, FloatVector.fromArray(S, gV, aC + f)).intoArray(gV, aC + f);
                    gz.fma(m2, FloatVector.fromArray(S, gV, aC + 2 * f)).intoArray(gV, aC + 2 * f);
                    gm2.mul(f2).mul(al).add(FloatVector.fromArray(S, gA, aC + f)).intoArray(gA, aC + f);
                    gm2.mul(a2).mul(al).intoArray(gF, fe + f);
                    gal = gal.add(gm2.mul(a2).mul(f2));
                }
                gal.intoArray(gAlphaF, edge * f + c);
            }
            // lanes summed in a fixed order: the Vector API's reduction changes its order once C2 compiles it
            gux.intoArray(lanes, 0);
            guy.intoArray(lanes, LANES);
            guz.intoArray(lanes, 2 * LANES);
            g.gUnit[3 * edge] += sumInOrder(lanes, 0);
            g.gUnit[3 * edge + 1] += sumInOrder(lanes, LANES);
            g.gUnit[3 * edge + 2] += sumInOrder(lanes, 2 * LANES);
        }
    }

    /** Δḣ and Δv̇ from the tangents of a, f, α, v and r̂. */
    private void messagesTangent(EdgeState g, int n) {
        int e = g.edges, f3 = 3 * f;
        perChannel(dAlpha, dAlphaF, e);
        for (int i = 0; i < n; i++) {
            int e0 = g.segmentStart[i], e1 = g.segmentStart[i + 1];
            for (int c = 0; c < f; c += LANES) {
                FloatVector sh = FloatVector.zero(S), sx = sh, sy = sh, sz = sh;
                for (int edge = e0; edge < e1; edge++) {
                    int aj = g.neighbor[edge] * f3 + c, fe = edge * f3 + c, ae = edge * f + c;
                    FloatVector al = FloatVector.fromArray(S, alphaF, ae), dal = FloatVector.fromArray(S, dAlphaF, ae);
                    FloatVector a1 = FloatVector.fromArray(S, a, aj), f1 = FloatVector.fromArray(S, filter, fe);
                    FloatVector a3 = FloatVector.fromArray(S, a, aj + 2 * f), f3v = FloatVector.fromArray(S, filter, fe + 2 * f);
                    FloatVector dm1 = FloatVector.fromArray(S, da, aj).mul(f1).add(a1.mul(FloatVector.fromArray(S, dfilter, fe))).mul(al)
                            .add(a1.mul(f1).mul(dal));
                    FloatVector m3 = a3.mul(f3v).mul(al);
                    FloatVector dm3 = FloatVector.fromArray(S, da, aj + 2 * f).mul(f3v).add(a3.mul(FloatVector.fromArray(S, dfilter, fe + 2 * f)))
                            .mul(al).add(a3.mul(f3v).mul(dal));
                    sh = sh.add(dm1);
                    sx = dm3.mul(g.unit[3 * edge]).add(sx).add(m3.mul(g.dUnit[3 * edge]));
                    sy = dm3.mul(g.unit[3 * edge + 1]).add(sy).add(m3.mul(g.dUnit[3 * edge + 1]));
                    sz = dm3.mul(g.unit[3 * edge + 2]).add(sz).add(m3.mul(g.dUnit[3 * edge + 2]));
                    if (first) continue;
                    FloatVector a2 = FloatVector.fromArray(S, a, aj + f), f2 = FloatVector.fromArray(S, filter, fe + f);
                    FloatVector m2 = a2.mul(f2).mul(al);
                    FloatVector dm2 = FloatVector.fromArray(S, da, aj + f).mul(f2).add(a2.mul(FloatVector.fromArray(S, dfilter, fe + f)))
                            .mul(al).add(a2.mul(f2).mul(dal));
                    sx = dm2.fma(FloatVector.fromArray(S, vIn, aj), sx).add(m2.mul(FloatVector.fromArray(S, dvIn, aj)));
                    sy = dm2.fma(FloatVector.fromArray(S, vIn, aj + f), sy).add(m2.mul(FloatVector.fromArray(S, dvIn, aj + f)));
                    sz = dm2.fma(FloatVector.fromArray(S, vIn, aj + 2 * f), sz).add(m2.mul(FloatVector.fromArray(S, dvIn, aj + 2 * f)));
                }
                sh.intoArray(ddh, i * f + c);
                sx.intoArray(ddv, i * f3 + c);
                sy.intoArray(ddv, i * f3 + f + c);
                sz.intoArray(ddv, i * f3 + 2 * f + c);
            }
        }
    }

    /** The ε-parts of the adjoints of a, f, α (per channel, into gAlphaF) and v_j (into eVIn), from those of Δh and Δv (eV). */
    private void messagesEpsilon(EdgeState g, float[] eV, int n) {
        int e = g.edges, f3 = 3 * f;
        Arrays.fill(eA, 0, n * f3, 0f);
        // gAlphaF now: the ε-adjoint of α per channel
        for (int edge = 0; edge < e; edge++) {
            int i = g.center[edge], aj = g.neighbor[edge] * f3;
            float ux = g.unit[3 * edge], uy = g.unit[3 * edge + 1], uz = g.unit[3 * edge + 2];
            float dux = g.dUnit[3 * edge], duy = g.dUnit[3 * edge + 1], duz = g.dUnit[3 * edge + 2];
            for (int c = 0; c < f; c += LANES) {
                int aC = aj + c, fe = edge * f3 + c, vi = i * f3 + c, ae = edge * f + c;
                FloatVector al = FloatVector.fromArray(S, alphaF, ae), dal = FloatVector.fromArray(S, dAlphaF, ae);
                FloatVector gx = FloatVector.fromArray(S, gVOut, vi), gy = FloatVector.fromArray(S, gVOut, vi + f);
                FloatVector gz = FloatVector.fromArray(S, gVOut, vi + 2 * f);
                FloatVector ex = FloatVector.fromArray(S, eV, vi), ey = FloatVector.fromArray(S, eV, vi + f);
                FloatVector ez = FloatVector.fromArray(S, eV, vi + 2 * f);
                FloatVector gm1 = FloatVector.fromArray(S, gDh, i * f + c), em1 = FloatVector.fromArray(S, eDh, i * f + c);
                FloatVector gm3 = gx.mul(ux).add(gy.mul(uy)).add(gz.mul(uz));
                FloatVector em3 = ex.mul(ux).add(ey.mul(uy)).add(ez.mul(uz)).add(gx.mul(dux)).add(gy.mul(duy)).add(gz.mul(duz));
                FloatVector a1 = FloatVector.fromArray(S, a, aC), f1 = FloatVector.fromArray(S, filter, fe);
                FloatVector da1 = FloatVector.fromArray(S, da, aC), df1 = FloatVector.fromArray(S, dfilter, fe);
                FloatVector a3 = FloatVector.fromArray(S, a, aC + 2 * f), f3v = FloatVector.fromArray(S, filter, fe + 2 * f);
                FloatVector da3 = FloatVector.fromArray(S, da, aC + 2 * f), df3 = FloatVector.fromArray(S, dfilter, fe + 2 * f);
                em1.mul(f1).mul(al).add(gm1.mul(df1.mul(al).add(f1.mul(dal)))).add(FloatVector.fromArray(S, eA, aC)).intoArray(eA, aC);
                em3.mul(f3v).mul(al).add(gm3.mul(df3.mul(al).add(f3v.mul(dal)))).add(FloatVector.fromArray(S, eA, aC + 2 * f)).intoArray(eA, aC + 2 * f);
                em1.mul(a1).mul(al).add(gm1.mul(da1.mul(al).add(a1.mul(dal)))).intoArray(eF, fe);
                em3.mul(a3).mul(al).add(gm3.mul(da3.mul(al).add(a3.mul(dal)))).intoArray(eF, fe + 2 * f);
                FloatVector eal = em1.mul(a1).mul(f1).add(gm1.mul(da1.mul(f1).add(a1.mul(df1))))
                        .add(em3.mul(a3).mul(f3v)).add(gm3.mul(da3.mul(f3v).add(a3.mul(df3))));
                if (first) {
                    FloatVector.zero(S).intoArray(eF, fe + f);
                } else {
                    FloatVector v0 = FloatVector.fromArray(S, vIn, aC), v1 = FloatVector.fromArray(S, vIn, aC + f);
                    FloatVector v2 = FloatVector.fromArray(S, vIn, aC + 2 * f);
                    FloatVector gm2 = gx.mul(v0).add(gy.mul(v1)).add(gz.mul(v2));
                    FloatVector em2 = ex.mul(v0).add(ey.mul(v1)).add(ez.mul(v2)).add(gx.mul(FloatVector.fromArray(S, dvIn, aC)))
                            .add(gy.mul(FloatVector.fromArray(S, dvIn, aC + f))).add(gz.mul(FloatVector.fromArray(S, dvIn, aC + 2 * f)));
                    FloatVector a2 = FloatVector.fromArray(S, a, aC + f), f2 = FloatVector.fromArray(S, filter, fe + f);
                    FloatVector da2 = FloatVector.fromArray(S, da, aC + f), df2 = FloatVector.fromArray(S, dfilter, fe + f);
                    FloatVector m2 = a2.mul(f2).mul(al), dm2 = da2.mul(f2).add(a2.mul(df2)).mul(al).add(a2.mul(f2).mul(dal));
                    ex.mul(m2).add(gx.mul(dm2)).add(FloatVector.fromArray(S, eVIn, aC)).intoArray(eVIn, aC);
                    ey.mul(m2).add(gy.mul(dm2)).add(FloatVector.fromArray(S, eVIn, aC + f)).intoArray(eVIn, aC + f);
                    ez.mul(m2).add(gz.mul(dm2)).add(FloatVector.fromArray(S, eVIn, aC + 2 * f)).intoArray(eVIn, aC + 2 * f);
                    em2.mul(f2).mul(al).add(gm2.mul(df2.mul(al).add(f2.mul(dal)))).add(FloatVector.fromArray(S, eA, aC + f)).intoArray(eA, aC + f);
                    em2.mul(a2).mul(al).add(gm2.mul(da2.mul(al).add(a2.mul(dal)))).intoArray(eF, fe + f);
                    eal = eal.add(em2.mul(a2).mul(f2)).add(gm2.mul(da2.mul(f2).add(a2.mul(df2))));
                }
                eal.intoArray(gAlphaF, ae);
            }
        }
    }
}
