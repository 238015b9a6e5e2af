package org.gaq.tensor;

/**
 * Composite functions built from differentiable primitives, so their derivatives of every order
 * come from the primitives' rules: linear layers, layer norm, vector norms, segment softmax.
 */
public final class Functional {
    private Functional() {}

    /** x·W + b for x [m×in], W [in×out], b [out] (b may be null). */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        Tensor y = Linalg.matmul(x, w);
        return b == null ? y : y.add(b);
    }

    /**
     * Layer norm over the last axis: (x − mean) / sqrt(var + eps) · gamma + beta (gamma, beta may be null).
     */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        Tensor centred = x.sub(x.mean(-1, true));
        Tensor variance = centred.square().mean(-1, true);
        Tensor y = centred.mul(variance.add(eps).rsqrt());
        if (gamma != null) y = y.mul(gamma);
        if (beta != null) y = y.add(beta);
        return y;
    }

    /** Euclidean norm over {@code axis}: sqrt(Σ x² + eps²); eps keeps the gradient finite at the zero vector. */
    public static Tensor norm(Tensor x, int axis, boolean keepDim, float eps) {
        return x.square().sum(axis, keepDim).add(eps * eps).sqrt();
    }

    /**
     * Softmax of {@code logits} [E×H] within segments (edges grouped by their centre atom), each term
     * weighted by {@code weight} [E×1] (may be null):
     * α_e = w_e exp(l_e) / (eps + Σ_{e' in seg(e)} w_e' exp(l_e')).
     *
     * <p>The per-segment maximum m is subtracted for stability; it is treated as a constant and
     * the eps term is scaled by exp(−m), so the result is exactly the formula above (and smooth).
     */
    public static Tensor segmentSoftmax(Tensor logits, Tensor weight, int[] segment, int numSegments, float eps) {
        Shape.requireRank(logits, 2, "segmentSoftmax");
        Tensor max = Index.segmentMax(logits, segment, numSegments);           // [N×H], constant
        Tensor shifted = logits.sub(max.gatherRows(segment));
        Tensor num = shifted.exp();
        if (weight != null) num = num.mul(weight);
        Tensor denom = num.indexAdd(segment, numSegments);
        if (eps > 0) {
            float[] epsShift = new float[max.data.length];
            for (int i = 0; i < epsShift.length; i++) epsShift[i] = eps * (float) Math.exp(-max.data[i]);
            denom = denom.add(Tensor.of(epsShift, max.shape));
        }
        return num.div(denom.gatherRows(segment));
    }
}
