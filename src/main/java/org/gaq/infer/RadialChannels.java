package org.gaq.infer;

/**
 * What one interaction layer takes from an edge's length alone (docs/engine.md, "Radial channels"): the radial
 * filter f(d) = SiLU(W_r rbf(d) + b_r) ∈ R^{3F} and the attention bias b(d) = W_b rbf(d) ∈ R^H, with their
 * reverse pass ∂E/∂d. Two kinds: {@link RadialTable}, the two functions of d tabulated once with their
 * derivatives (an FP32 radial basis: the FP32 models and gaq's recommended quantized ones), and
 * {@link RadialProjection}, the two products over the basis on every call (a quantized radial basis, whose
 * rounding a smooth table cannot follow).
 */
sealed interface RadialChannels permits RadialTable, RadialProjection {

    /** Whether {@link #forward} reads the radial basis (ws.rbf, ws.rbfDerivative), which the geometry then fills. */
    boolean readsRadialBasis();

    /**
     * st.filter [E × 3F] = f(d) and logit [E × H] = b(d) (overwritten) for the edges of ws, and, when ws computes
     * forces, what {@link #reverseAdd} reads.
     */
    void forward(Workspace ws, Workspace.LayerState st, float[] logit);

    /**
     * ws.gDistance[e] += Σ_c gFilter[e, c] ∂f_c/∂d + Σ_h gLogit[e, h] ∂b_h/∂d for every edge; gFilter may be
     * overwritten.
     */
    void reverseAdd(Workspace ws, Workspace.LayerState st, float[] gFilter, float[] gLogit);

    /** Bytes of weights or table this layer keeps. */
    long residentBytes();
}
