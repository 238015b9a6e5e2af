package org.gaq.tensor.kernels;

/**
 * The model's row normalisations on raw arrays, shared by the compiled engine and the compiled training step
 * (docs/model.md): LayerNorm y = γ ⊙ (x − mean)/√(var + ε) + β and the attention's per-head unit vectors
 * x̃ = x/√(Σx² + ε²), each with its reverse; and the two layouts of per-head features, heads-first [N, H, d] (the
 * features' own) and heads-last [N, d, H] (one vector of all heads per d).
 */
public final class Normalization {
    private Normalization() {}

    /** y = γ ⊙ x̂ + β per row of f, keeping x̂ = (x − mean)·r and r = 1/√(var + ε). */
    public static void layerNorm(float[] x, float[] gamma, float[] beta, float eps, float[] xhat, float[] rstd, float[] y, int rows, int f) {
        for (int r = 0; r < rows; r++) {
            int o = r * f;
            float sum = 0f;
            for (int c = 0; c < f; c++) sum += x[o + c];
            float mean = sum / f;
            float sq = 0f;
            for (int c = 0; c < f; c++) {
                float d = x[o + c] - mean;
                sq += d * d;
            }
            float inv = 1f / (float) Math.sqrt(sq / f + eps);
            rstd[r] = inv;
            for (int c = 0; c < f; c++) {
                float xn = (x[o + c] - mean) * inv;
                xhat[o + c] = xn;
                y[o + c] = xn * gamma[c] + beta[c];
            }
        }
    }

    /** gx += (ĝ − mean(ĝ) − x̂ mean(ĝ ⊙ x̂)) · r with ĝ = gy ⊙ γ. */
    public static void layerNormReverseAdd(float[] gy, float[] xhat, float[] rstd, float[] gamma, float[] gx, int rows, int f) {
        for (int r = 0; r < rows; r++) {
            int o = r * f;
            float sumG = 0f, sumGx = 0f;
            for (int c = 0; c < f; c++) {
                float g = gy[o + c] * gamma[c];
                sumG += g;
                sumGx += g * xhat[o + c];
            }
            float meanG = sumG / f, meanGx = sumGx / f, inv = rstd[r];
            for (int c = 0; c < f; c++) {
                float g = gy[o + c] * gamma[c];
                gx[o + c] += (g - meanG - xhat[o + c] * meanGx) * inv;
            }
        }
    }

    /** out = x/‖x‖ per head of each row ([rows, heads, f/heads]), ‖x‖ = √(Σx² + ε²) kept in norms [rows, heads]. */
    public static void unitHeads(float[] x, float[] norms, float[] out, int rows, int f, int heads, float epsSquared) {
        int headDim = f / heads;
        for (int i = 0; i < rows; i++) {
            for (int hh = 0; hh < heads; hh++) {
                int o0 = i * f + hh * headDim;
                float sq = 0f;
                for (int d = 0; d < headDim; d++) sq += x[o0 + d] * x[o0 + d];
                float norm = (float) Math.sqrt(sq + epsSquared);
                norms[i * heads + hh] = norm;
                for (int d = 0; d < headDim; d++) out[o0 + d] = x[o0 + d] / norm;
            }
        }
    }

    /** out = (g − x̃ (x̃·g)) / ‖x‖ per head: the reverse of {@link #unitHeads} (and, the map being symmetric, its tangent). */
    public static void unitHeadsReverse(float[] g, float[] unit, float[] norms, float[] out, int rows, int f, int heads) {
        int headDim = f / heads;
        for (int i = 0; i < rows; i++) {
            for (int hh = 0; hh < heads; hh++) {
                int o0 = i * f + hh * headDim;
                float radial = 0f;
                for (int d = 0; d < headDim; d++) radial += unit[o0 + d] * g[o0 + d];
                float inv = 1f / norms[i * heads + hh];
                for (int d = 0; d < headDim; d++) out[o0 + d] = (g[o0 + d] - unit[o0 + d] * radial) * inv;
            }
        }
    }

    /** x [rows, H, d] → out [rows, d, H]. */
    public static void headsLast(float[] x, float[] out, int rows, int f, int heads) {
        int headDim = f / heads;
        for (int i = 0; i < rows; i++) {
            int o = i * f;
            for (int hh = 0; hh < heads; hh++) {
                for (int d = 0; d < headDim; d++) out[o + d * heads + hh] = x[o + hh * headDim + d];
            }
        }
    }

    /** x [rows, d, H] → out [rows, H, d]. */
    public static void headsFirst(float[] x, float[] out, int rows, int f, int heads) {
        int headDim = f / heads;
        for (int i = 0; i < rows; i++) {
            int o = i * f;
            for (int hh = 0; hh < heads; hh++) {
                for (int d = 0; d < headDim; d++) out[o + hh * headDim + d] = x[o + d * heads + hh];
            }
        }
    }
}
