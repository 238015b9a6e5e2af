package org.gaq.train.compiled;

import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.kernels.Normalization;

/**
 * y = γ ⊙ x̂ + β, x̂ = (x − mean)·r, r = 1/√(var + ε), per row of F, in the four passes (docs/training.md,
 * "LayerNorm").
 */
final class LayerNorms {
    private static final float EPS = EquivariantTransformer.LAYER_NORM_EPS;

    private LayerNorms() {}

    static void forward(float[] x, float[] gamma, float[] beta, float[] xhat, float[] rstd, float[] y, int rows, int f) {
        Normalization.layerNorm(x, gamma, beta, EPS, xhat, rstd, y, rows, f);
    }

    /** gx += r (ĝ − mean ĝ − x̂ mean(ĝ x̂)), ĝ = gy ⊙ γ. */
    static void reverseAdd(float[] gy, float[] xhat, float[] rstd, float[] gamma, float[] gx, int rows, int f) {
        Normalization.layerNormReverseAdd(gy, xhat, rstd, gamma, gx, rows, f);
    }

    /** x̂̇ = r (ẋ − mean ẋ − x̂ mean(x̂ ẋ)), ẏ = γ ⊙ x̂̇; keeps mean(x̂ ẋ) per row (ṙ = −r² mean(x̂ ẋ)). */
    static void tangent(float[] dx, float[] xhat, float[] rstd, float[] gamma, float[] dxhat, float[] xhatDotDx, float[] dy, int rows, int f) {
        for (int r = 0; r < rows; r++) {
            int o = r * f;
            float sum = 0f, dot = 0f;
            for (int c = 0; c < f; c++) {
                sum += dx[o + c];
                dot += xhat[o + c] * dx[o + c];
            }
            float mean = sum / f, meanDot = dot / f, inv = rstd[r];
            xhatDotDx[r] = meanDot;
            for (int c = 0; c < f; c++) {
                float d = (dx[o + c] - mean - xhat[o + c] * meanDot) * inv;
                dxhat[o + c] = d;
                dy[o + c] = gamma[c] * d;
            }
        }
    }

    /**
     * The ε-part of {@link #reverseAdd} in dual numbers (x̂ + εx̂̇, r + εṙ, gy + εey), added to ex, and the
     * parameter gradients γ̄ += ey ⊙ x̂ + gy ⊙ x̂̇, β̄ += ey:
     * ex += r (ê − mean ê − x̂ mean(ê x̂)) + ṙ (ĝ − mean ĝ − x̂ M) − r (x̂̇ M + x̂ mean(ĝ x̂̇)),
     * ê = ey ⊙ γ, ĝ = gy ⊙ γ, M = mean(ĝ x̂).
     */
    static void epsilonReverseAdd(float[] ey, float[] gy, float[] xhat, float[] dxhat, float[] rstd, float[] xhatDotDx,
                                  float[] gamma, float[] gammaGrad, float[] betaGrad, float[] ex, int rows, int f) {
        for (int r = 0; r < rows; r++) {
            int o = r * f;
            float sumE = 0f, sumEx = 0f, sumG = 0f, sumGx = 0f, sumGd = 0f;
            for (int c = 0; c < f; c++) {
                float e = ey[o + c] * gamma[c], g = gy[o + c] * gamma[c];
                sumE += e;
                sumEx += e * xhat[o + c];
                sumG += g;
                sumGx += g * xhat[o + c];
                sumGd += g * dxhat[o + c];
                gammaGrad[c] += ey[o + c] * xhat[o + c] + gy[o + c] * dxhat[o + c];
                betaGrad[c] += ey[o + c];
            }
            float inv = rstd[r], dInv = -inv * inv * xhatDotDx[r];
            float meanE = sumE / f, meanEx = sumEx / f, meanG = sumG / f, m = sumGx / f, meanGd = sumGd / f;
            for (int c = 0; c < f; c++) {
                float x = xhat[o + c];
                float e = ey[o + c] * gamma[c], g = gy[o + c] * gamma[c];
                ex[o + c] += inv * (e - meanE - x * meanEx) + dInv * (g - meanG - x * m) - inv * (dxhat[o + c] * m + x * meanGd);
            }
        }
    }
}
