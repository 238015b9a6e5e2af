package org.gaq.infer;

import org.gaq.tensor.kernels.Activations;

import java.util.Arrays;

/**
 * The radial channels as products over the radial basis, on every call, with the basis through its rbf_in
 * site first (docs/engine.md, "Radial channels"):
 * <pre>
 *   r̃ = Q(rbf(d));  f = SiLU(W_r r̃ + b_r);  b = W_b r̃
 *   ∂E/∂d = Σ_k (ḡ_f ⊙ SiLU'(·) W_rᵀ + ḡ_b W_bᵀ)_k Q'(rbf_k) rbf_k'(d)
 * </pre>
 * Used when the site quantizes the basis: the filter is then a step function of d, which {@link RadialTable}
 * cannot interpolate, and its straight-through derivative is not the derivative of that function.
 */
final class RadialProjection implements RadialChannels {
    private final Projection filter, bias;
    private final float[] filterBias;
    private final ScalarQuantization site;
    private final int radialBasis;

    RadialProjection(Projection filter, float[] filterBias, Projection bias, ScalarQuantization site) {
        this.filter = filter;
        this.filterBias = filterBias;
        this.bias = bias;
        this.site = site;
        this.radialBasis = filter.in();
    }

    @Override
    public boolean readsRadialBasis() {
        return true;
    }

    @Override
    public void forward(Workspace ws, Workspace.LayerState st, float[] logit) {
        int e = ws.edges;
        float[] rbf = InteractionLayer.quantizeScalar(site, ws.rbf, st.rbfSite, e * radialBasis);
        bias.forward(rbf, e, logit);
        filter.forwardWithBias(rbf, e, filterBias, st.filterPre);
        Activations.siluWithSlope(st.filterPre, st.filter, st.filterSlope, e * filter.out());
    }

    @Override
    public void reverseAdd(Workspace ws, Workspace.LayerState st, float[] gFilter, float[] gLogit) {
        int e = ws.edges, kk = radialBasis;
        float[] slope = st.filterSlope, gRbf = ws.gRbfSite;
        for (int k = 0; k < e * filter.out(); k++) gFilter[k] *= slope[k];
        Arrays.fill(gRbf, 0, e * kk, 0f);
        filter.backwardAdd(gFilter, e, gRbf);
        bias.backwardAdd(gLogit, e, gRbf);
        site.backward(gRbf, ws.rbf, e * kk);
        for (int edge = 0; edge < e; edge++) {
            float gd = 0f;
            for (int k = edge * kk; k < (edge + 1) * kk; k++) gd += gRbf[k] * ws.rbfDerivative[k];
            ws.gDistance[edge] += gd;
        }
    }

    @Override
    public long residentBytes() {
        return filter.residentBytes() + bias.residentBytes() + 4L * filterBias.length;
    }
}
