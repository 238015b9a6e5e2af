package org.gaq.train.compiled;

import org.gaq.tensor.kernels.Activations;

import java.util.Arrays;

/**
 * One interaction layer of the FP32 model in the four passes of {@link CompiledLossGradient} (docs/training.md gives
 * every equation in the order of the code):
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
    private final boolean first, cosine;
    private final int f, heads, headDim, basis;
    private LayerParameters p;     // the model's values, read again on every call (the optimiser updates them)
    private LayerParameters pt;    // the transposed weights of p (W_qᵀ, …; the vectors null), made by refresh()

    // ---- pass 1: forward values
    private float[] vIn, xhat, rstd, s, q, k, qn, kn, qt, kt, p0, alpha, a, pre, filter, slope, dh, dv, o, u, w;
    // ---- pass 2: real adjoints
    private float[] gHOut, gVOut, gO, gU, gDh, gA, gF, gPre, gAlpha, gCentred, gL, gQt, gKt, gQ, gK, gS;
    // ---- pass 3: tangents
    private float[] curvedDpre, dvIn, dxhat, xhatDotDh, ds, dq, dk, dqt, dkt, dAlpha, da, dpre, dfilter, ddh, ddv, dO, du, dw;
    // ---- scratch
    private float[] preByD, biasByD, gAlphaF, eO, eU, eDh, eA, eF, ePre, eAlpha, eL, eQt, eKt, eQ, eK, eS, eVIn;
    private float[] scratch = new float[0];     // transposed inputs of the weight gradients
    private int atomCapacity = -1, edgeCapacity = -1;

    LayerGradient(boolean first, boolean cosine, int features, int heads, int basis) {
        this.first = first;
        this.cosine = cosine;
        this.f = features;
        this.heads = heads;
        this.headDim = features / heads;
        this.basis = basis;
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
            qt = new float[n * f]; kt = new float[n * f]; a = new float[n * f3]; dh = new float[n * f];
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
        }
        if (e > edgeCapacity) {
            edgeCapacity = e;
            p0 = new float[e * heads]; alpha = new float[e * heads]; pre = new float[e * f3]; filter = new float[e * f3];
            slope = new float[e * f3]; gF = new float[e * f3]; gPre = new float[e * f3]; gAlpha = new float[e * heads];
            gCentred = new float[e * heads]; gL = new float[e * heads]; dAlpha = new float[e * heads];
            dpre = new float[e * f3]; curvedDpre = new float[e * f3]; dfilter = new float[e * f3]; preByD = new float[e * f3]; biasByD = new float[e * heads]; gAlphaF = new float[e * f];
            eF = new float[e * f3]; ePre = new float[e * f3]; eAlpha = new float[e * heads]; eL = new float[e * heads];
        }
    }

    // ================================================================== pass 1: forward

    /** h, v (the state entering the layer) become the state after it. */
    void forward(EdgeState g, float[] h, float[] v, int n) {
        int e = g.edges, f3 = 3 * f;
        if (!first) System.arraycopy(v, 0, vIn, 0, n * f3);
        LayerNorms.forward(h, p.gain(), p.beta(), xhat, rstd, s, n, f);
        Products.forward(s, p.query(), q, n, f, f);
        Products.forward(s, p.key(), k, n, f, f);
        normalizeHeads(q, qn, qt, n);
        normalizeHeads(k, kn, kt, n);

        // l = τ q̃_i·k̃_j + W_b rbf, then α = φ e^l / (1 + Σ φ e^l)
        float[] logit = p0;
        Products.forwardNarrow(g.rbf, pt.radialBias(), logit, e, basis, heads);
        for (int edge = 0; edge < e; edge++) {
            int qi = g.center[edge] * f, kj = g.neighbor[edge] * f;
            for (int hh = 0; hh < heads; hh++) logit[edge * heads + hh] += scale(hh) * headDot(qt, qi, kt, kj, hh);
        }
        Softmax.forward(g, logit, alpha, n, heads);
        Flush.tiny(logit, e * heads);
        Flush.tiny(alpha, e * heads);

        Products.forwardWithBias(s, p.value(), p.valueBias(), a, n, f, f3);
        Products.forwardWithBias(g.rbf, p.radialFilter(), p.radialFilterBias(), pre, e, basis, f3);
        Activations.siluWithSlope(pre, filter, slope, e * f3);
        Flush.tiny(filter, e * f3);
        Flush.tiny(slope, e * f3);

        // Δh_i = Σ_j m1,  Δv_i = Σ_j m3 ⊗ r̂ + m2 ⊙ v_j,  m_c = a_c,j ⊙ f_c ⊙ α
        Arrays.fill(dh, 0, n * f, 0f);
        Arrays.fill(dv, 0, n * f3, 0f);
        for (int edge = 0; edge < e; edge++) {
            int i = g.center[edge], j = g.neighbor[edge];
            float ux = g.unit[3 * edge], uy = g.unit[3 * edge + 1], uz = g.unit[3 * edge + 2];
            for (int c = 0; c < f; c++) {
                float al = alpha[edge * heads + c / headDim];
                int aj = j * f3 + c, fe = edge * f3 + c;
                float m1 = a[aj] * filter[fe] * al, m3 = a[aj + 2 * f] * filter[fe + 2 * f] * al;
                dh[i * f + c] += m1;
                float sx = m3 * ux, sy = m3 * uy, sz = m3 * uz;
                if (!first) {
                    float m2 = a[aj + f] * filter[fe + f] * al;
                    sx += m2 * vIn[j * f3 + c];
                    sy += m2 * vIn[j * f3 + f + c];
                    sz += m2 * vIn[j * f3 + 2 * f + c];
                }
                dv[i * f3 + c] += sx;
                dv[i * f3 + f + c] += sy;
                dv[i * f3 + 2 * f + c] += sz;
            }
        }

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

    private float scale(int head) {
        return cosine ? p.temperature()[head] : (float) (1.0 / Math.sqrt(headDim));
    }

    private float headDot(float[] x, int xi, float[] y, int yj, int head) {
        float dot = 0f;
        for (int d = head * headDim; d < (head + 1) * headDim; d++) dot += x[xi + d] * y[yj + d];
        return dot;
    }

    /** x̃ = x/‖x‖ per head, ‖x‖ = √(Σx² + ε²) (cosine attention), or x itself. */
    private void normalizeHeads(float[] x, float[] norms, float[] out, int n) {
        if (!cosine) {
            System.arraycopy(x, 0, out, 0, n * f);
            return;
        }
        for (int i = 0; i < n; i++) {
            for (int hh = 0; hh < heads; hh++) {
                int o0 = i * f + hh * headDim;
                float sq = 0f;
                for (int d = 0; d < headDim; d++) sq += x[o0 + d] * x[o0 + d];
                float norm = (float) Math.sqrt(sq + LayerParameters.ATTENTION_NORM_EPS_SQUARED);
                norms[i * heads + hh] = norm;
                for (int d = 0; d < headDim; d++) out[o0 + d] = x[o0 + d] / norm;
            }
        }
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
        Arrays.fill(gA, 0, n * f3, 0f);
        Arrays.fill(gF, 0, e * f3, 0f);
        for (int edge = 0; edge < e; edge++) {
            int i = g.center[edge], j = g.neighbor[edge];
            float ux = g.unit[3 * edge], uy = g.unit[3 * edge + 1], uz = g.unit[3 * edge + 2];
            float gux = 0f, guy = 0f, guz = 0f;
            for (int c = 0; c < f; c++) {
                float al = alpha[edge * heads + c / headDim];
                int aj = j * f3 + c, fe = edge * f3 + c, vi = i * f3 + c;
                float gx = gVOut[vi], gy = gVOut[vi + f], gz = gVOut[vi + 2 * f];
                float gm1 = gDh[i * f + c], gm3 = gx * ux + gy * uy + gz * uz;
                float a1 = a[aj], a3 = a[aj + 2 * f], f1 = filter[fe], f3v = filter[fe + 2 * f];
                float m3 = a3 * f3v * al;
                gux += gx * m3;
                guy += gy * m3;
                guz += gz * m3;
                gA[aj] += gm1 * f1 * al;
                gA[aj + 2 * f] += gm3 * f3v * al;
                gF[fe] = gm1 * a1 * al;
                gF[fe + 2 * f] = gm3 * a3 * al;
                float gal = gm1 * a1 * f1 + gm3 * a3 * f3v;
                if (!first) {
                    int vj = j * f3 + c;
                    float a2 = a[aj + f], f2 = filter[fe + f];
                    float gm2 = gx * vIn[vj] + gy * vIn[vj + f] + gz * vIn[vj + 2 * f];
                    float m2 = a2 * f2 * al;
                    gV[vj] += gx * m2;
                    gV[vj + f] += gy * m2;
                    gV[vj + 2 * f] += gz * m2;
                    gA[aj + f] += gm2 * f2 * al;
                    gF[fe + f] = gm2 * a2 * al;
                    gal += gm2 * a2 * f2;
                }
                gAlphaF[edge * f + c] = gal;
            }
            g.gUnit[3 * edge] += gux;
            g.gUnit[3 * edge + 1] += guy;
            g.gUnit[3 * edge + 2] += guz;
        }
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
        Arrays.fill(gQt, 0, n * f, 0f);
        Arrays.fill(gKt, 0, n * f, 0f);
        for (int edge = 0; edge < e; edge++) {
            int qi = g.center[edge] * f, kj = g.neighbor[edge] * f;
            for (int hh = 0; hh < heads; hh++) {
                float gl = gL[edge * heads + hh] * scale(hh);
                for (int d = hh * headDim; d < (hh + 1) * headDim; d++) {
                    gQt[qi + d] += gl * kt[kj + d];
                    gKt[kj + d] += gl * qt[qi + d];
                }
            }
        }
        normalizeHeadsReverse(gQt, qt, qn, gQ, n);
        normalizeHeadsReverse(gKt, kt, kn, gK, n);

        Arrays.fill(gS, 0, n * f, 0f);
        Products.backwardAdd(gQ, pt.query(), gS, n, f, f);
        Products.backwardAdd(gK, pt.key(), gS, n, f, f);
        Products.backwardAdd(gA, pt.value(), gS, n, f, f3);
        LayerNorms.reverseAdd(gS, xhat, rstd, p.gain(), gH, n, f);
    }

    /** ∂E/∂x = (ḡ − x̃ (x̃·ḡ)) / ‖x‖ per head, or ḡ. */
    private void normalizeHeadsReverse(float[] gt, float[] xt, float[] norms, float[] out, int n) {
        if (!cosine) {
            System.arraycopy(gt, 0, out, 0, n * f);
            return;
        }
        for (int i = 0; i < n; i++) {
            for (int hh = 0; hh < heads; hh++) {
                int o0 = i * f + hh * headDim;
                float radial = headDot(xt, i * f, gt, i * f, hh);
                float inv = 1f / norms[i * heads + hh];
                for (int d = 0; d < headDim; d++) out[o0 + d] = (gt[o0 + d] - xt[o0 + d] * radial) * inv;
            }
        }
    }

    // ================================================================== pass 3: tangents

    /** dh, dv (tangents entering the layer) become the tangents after it. */
    void tangent(EdgeState g, float[] dhIn, float[] dvState, int n) {
        int e = g.edges, f3 = 3 * f;
        if (!first) System.arraycopy(dvState, 0, dvIn, 0, n * f3);
        LayerNorms.tangent(dhIn, xhat, rstd, p.gain(), dxhat, xhatDotDh, ds, n, f);
        Products.forward(ds, p.query(), dq, n, f, f);
        Products.forward(ds, p.key(), dk, n, f, f);
        normalizeHeadsTangent(dq, qt, qn, dqt, n);
        normalizeHeadsTangent(dk, kt, kn, dkt, n);

        // l̇ = τ (q̃̇_i·k̃_j + q̃_i·k̃̇_j) + W_b ṙbf, then α̇ (in dAlpha, through a logit tangent kept there first)
        float[] dl = dAlpha;
        for (int edge = 0; edge < e; edge++) {
            int qi = g.center[edge] * f, kj = g.neighbor[edge] * f;
            float dd = g.dDistance[edge];
            for (int hh = 0; hh < heads; hh++) {
                dl[edge * heads + hh] = biasByD[edge * heads + hh] * dd
                        + scale(hh) * (headDot(dqt, qi, kt, kj, hh) + headDot(qt, qi, dkt, kj, hh));
            }
        }
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
        Activations.apply(Activations.Kind.SILU_SECOND, pre, curvedDpre, e * f3);
        for (int x = 0; x < e * f3; x++) curvedDpre[x] *= dpre[x];
        Flush.tiny(curvedDpre, e * f3);
        Flush.tiny(dfilter, e * f3);

        Arrays.fill(ddh, 0, n * f, 0f);
        Arrays.fill(ddv, 0, n * f3, 0f);
        for (int edge = 0; edge < e; edge++) {
            int i = g.center[edge], j = g.neighbor[edge];
            float ux = g.unit[3 * edge], uy = g.unit[3 * edge + 1], uz = g.unit[3 * edge + 2];
            float dux = g.dUnit[3 * edge], duy = g.dUnit[3 * edge + 1], duz = g.dUnit[3 * edge + 2];
            for (int c = 0; c < f; c++) {
                int at = edge * heads + c / headDim;
                float al = alpha[at], dal = dAlpha[at];
                int aj = j * f3 + c, fe = edge * f3 + c;
                float a1 = a[aj], f1 = filter[fe], a3 = a[aj + 2 * f], f3v = filter[fe + 2 * f];
                float dm1 = (da[aj] * f1 + a1 * dfilter[fe]) * al + a1 * f1 * dal;
                float m3 = a3 * f3v * al;
                float dm3 = (da[aj + 2 * f] * f3v + a3 * dfilter[fe + 2 * f]) * al + a3 * f3v * dal;
                ddh[i * f + c] += dm1;
                float sx = dm3 * ux + m3 * dux, sy = dm3 * uy + m3 * duy, sz = dm3 * uz + m3 * duz;
                if (!first) {
                    int vj = j * f3 + c;
                    float a2 = a[aj + f], f2 = filter[fe + f];
                    float m2 = a2 * f2 * al;
                    float dm2 = (da[aj + f] * f2 + a2 * dfilter[fe + f]) * al + a2 * f2 * dal;
                    sx += dm2 * vIn[vj] + m2 * dvIn[vj];
                    sy += dm2 * vIn[vj + f] + m2 * dvIn[vj + f];
                    sz += dm2 * vIn[vj + 2 * f] + m2 * dvIn[vj + 2 * f];
                }
                ddv[i * f3 + c] += sx;
                ddv[i * f3 + f + c] += sy;
                ddv[i * f3 + 2 * f + c] += sz;
            }
        }

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
        Arrays.fill(eA, 0, n * f3, 0f);
        Arrays.fill(gAlphaF, 0, e * f, 0f);   // now: the ε-adjoint of α per channel
        for (int edge = 0; edge < e; edge++) {
            int i = g.center[edge], j = g.neighbor[edge];
            float ux = g.unit[3 * edge], uy = g.unit[3 * edge + 1], uz = g.unit[3 * edge + 2];
            float dux = g.dUnit[3 * edge], duy = g.dUnit[3 * edge + 1], duz = g.dUnit[3 * edge + 2];
            for (int c = 0; c < f; c++) {
                int at = edge * heads + c / headDim;
                float al = alpha[at], dal = dAlpha[at];
                int aj = j * f3 + c, fe = edge * f3 + c, vi = i * f3 + c;
                float gx = gVOut[vi], gy = gVOut[vi + f], gz = gVOut[vi + 2 * f];
                float ex = eV[vi], ey = eV[vi + f], ez = eV[vi + 2 * f];
                float gm1 = gDh[i * f + c], em1 = eDh[i * f + c];
                float gm3 = gx * ux + gy * uy + gz * uz;
                float em3 = ex * ux + ey * uy + ez * uz + gx * dux + gy * duy + gz * duz;
                float a1 = a[aj], f1 = filter[fe], da1 = da[aj], df1 = dfilter[fe];
                float a3 = a[aj + 2 * f], f3v = filter[fe + 2 * f], da3 = da[aj + 2 * f], df3 = dfilter[fe + 2 * f];
                eA[aj] += em1 * f1 * al + gm1 * (df1 * al + f1 * dal);
                eA[aj + 2 * f] += em3 * f3v * al + gm3 * (df3 * al + f3v * dal);
                eF[fe] = em1 * a1 * al + gm1 * (da1 * al + a1 * dal);
                eF[fe + 2 * f] = em3 * a3 * al + gm3 * (da3 * al + a3 * dal);
                float eal = em1 * a1 * f1 + gm1 * (da1 * f1 + a1 * df1) + em3 * a3 * f3v + gm3 * (da3 * f3v + a3 * df3);
                if (!first) {
                    int vj = j * f3 + c;
                    float v0 = vIn[vj], v1 = vIn[vj + f], v2 = vIn[vj + 2 * f];
                    float gm2 = gx * v0 + gy * v1 + gz * v2;
                    float em2 = ex * v0 + ey * v1 + ez * v2 + gx * dvIn[vj] + gy * dvIn[vj + f] + gz * dvIn[vj + 2 * f];
                    float a2 = a[aj + f], f2 = filter[fe + f], da2 = da[aj + f], df2 = dfilter[fe + f];
                    float m2 = a2 * f2 * al, dm2 = (da2 * f2 + a2 * df2) * al + a2 * f2 * dal;
                    eVIn[vj] += ex * m2 + gx * dm2;
                    eVIn[vj + f] += ey * m2 + gy * dm2;
                    eVIn[vj + 2 * f] += ez * m2 + gz * dm2;
                    eA[aj + f] += em2 * f2 * al + gm2 * (df2 * al + f2 * dal);
                    eF[fe + f] = em2 * a2 * al + gm2 * (da2 * al + a2 * dal);
                    eal += em2 * a2 * f2 + gm2 * (da2 * f2 + a2 * df2);
                } else {
                    eF[fe + f] = 0f;
                }
                gAlphaF[edge * f + c] = eal;
            }
        }
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
        Products.weightGradient(g.rbf, ePre, g.dRbf, gPre, grads.radialFilter(), e, basis, f3, scratch);
        Products.biasGradient(ePre, grads.radialFilterBias(), e, f3);
        Products.weightGradient(g.rbf, eL, g.dRbf, gL, grads.radialBias(), e, basis, heads, scratch);

        // attention: l = τ q̃_i·k̃_j
        Arrays.fill(eQt, 0, n * f, 0f);
        Arrays.fill(eKt, 0, n * f, 0f);
        float[] temperatureGrad = grads.temperature();
        for (int edge = 0; edge < e; edge++) {
            int qi = g.center[edge] * f, kj = g.neighbor[edge] * f;
            for (int hh = 0; hh < heads; hh++) {
                int at = edge * heads + hh;
                float el = eL[at], gl = gL[at], sc = scale(hh);
                if (cosine) {
                    float dot = headDot(qt, qi, kt, kj, hh);
                    float ddot = headDot(dqt, qi, kt, kj, hh) + headDot(qt, qi, dkt, kj, hh);
                    temperatureGrad[hh] += el * dot + gl * ddot;
                }
                for (int d = hh * headDim; d < (hh + 1) * headDim; d++) {
                    eQt[qi + d] += sc * (el * kt[kj + d] + gl * dkt[kj + d]);
                    eKt[kj + d] += sc * (el * qt[qi + d] + gl * dqt[qi + d]);
                }
            }
        }
        normalizeHeadsEpsilon(eQt, gQt, qt, dqt, dq, qn, eQ, n);
        normalizeHeadsEpsilon(eKt, gKt, kt, dkt, dk, kn, eK, n);

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
}
