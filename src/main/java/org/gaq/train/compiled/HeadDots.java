package org.gaq.train.compiled;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.gaq.tensor.kernels.Normalization;

import java.util.Arrays;

/**
 * The attention logits' dot products l_e,h = s_h q̃_i,h·k̃_j,h of every edge (i ← j) and head, with their tangents,
 * reverse and ε-parts, on q̃ and k̃ stored heads-last ([N, d, H]): with 8 heads (the paper model) one 256-bit vector
 * holds an edge's heads, as in the compiled engine; other head counts take scalar loops.
 */
final class HeadDots {
    private static final VectorSpecies<Float> HEADS = FloatVector.SPECIES_256;

    private final int f, heads, headDim;
    private final boolean vector;

    HeadDots(int features, int heads) {
        this.f = features;
        this.heads = heads;
        this.headDim = features / heads;
        this.vector = heads == HEADS.length();
    }

    void headsLast(float[] x, float[] out, int n) {
        Normalization.headsLast(x, out, n, f, heads);
    }

    void headsFirst(float[] x, float[] out, int n) {
        Normalization.headsFirst(x, out, n, f, heads);
    }

    /** out[e, h] += s_h (a_i·b_j + c_i·d_j)_h (c, d null: the first product alone). */
    void add(EdgeState g, float[] a, float[] b, float[] c, float[] d, float[] scale, float[] out) {
        for (int edge = 0; edge < g.edges; edge++) {
            int qi = g.center[edge] * f, kj = g.neighbor[edge] * f, at = edge * heads;
            if (vector) {
                FloatVector dot = FloatVector.zero(HEADS);
                for (int k = 0; k < f; k += heads) {
                    dot = FloatVector.fromArray(HEADS, a, qi + k).fma(FloatVector.fromArray(HEADS, b, kj + k), dot);
                    if (c != null) dot = FloatVector.fromArray(HEADS, c, qi + k).fma(FloatVector.fromArray(HEADS, d, kj + k), dot);
                }
                dot.fma(FloatVector.fromArray(HEADS, scale, 0), FloatVector.fromArray(HEADS, out, at)).intoArray(out, at);
                continue;
            }
            for (int hh = 0; hh < heads; hh++) {
                float dot = 0f;
                for (int k = hh; k < f; k += heads) {
                    dot += a[qi + k] * b[kj + k];
                    if (c != null) dot += c[qi + k] * d[kj + k];
                }
                out[at + hh] += scale[hh] * dot;
            }
        }
    }

    /**
     * The reverse of {@link #add} for adjoints w [E, H] (and v with the second pair): ga_i += s w b_j + s v d_j,
     * gb_j += s w a_i + s v c_i (v, c, d null: the first terms alone); ga, gb are overwritten first.
     */
    void reverse(EdgeState g, float[] w, float[] a, float[] b, float[] v, float[] c, float[] d, float[] scale, float[] ga, float[] gb, int n) {
        Arrays.fill(ga, 0, n * f, 0f);
        Arrays.fill(gb, 0, n * f, 0f);
        for (int edge = 0; edge < g.edges; edge++) {
            int qi = g.center[edge] * f, kj = g.neighbor[edge] * f, at = edge * heads;
            if (vector) {
                FloatVector s = FloatVector.fromArray(HEADS, scale, 0);
                FloatVector sw = FloatVector.fromArray(HEADS, w, at).mul(s);
                FloatVector sv = v != null ? FloatVector.fromArray(HEADS, v, at).mul(s) : null;
                for (int k = 0; k < f; k += heads) {
                    FloatVector toA = sw.mul(FloatVector.fromArray(HEADS, b, kj + k)), toB = sw.mul(FloatVector.fromArray(HEADS, a, qi + k));
                    if (sv != null) {
                        toA = sv.fma(FloatVector.fromArray(HEADS, d, kj + k), toA);
                        toB = sv.fma(FloatVector.fromArray(HEADS, c, qi + k), toB);
                    }
                    toA.add(FloatVector.fromArray(HEADS, ga, qi + k)).intoArray(ga, qi + k);
                    toB.add(FloatVector.fromArray(HEADS, gb, kj + k)).intoArray(gb, kj + k);
                }
                continue;
            }
            for (int hh = 0; hh < heads; hh++) {
                float sw = scale[hh] * w[at + hh], sv = v != null ? scale[hh] * v[at + hh] : 0f;
                for (int k = hh; k < f; k += heads) {
                    ga[qi + k] += sw * b[kj + k] + (v != null ? sv * d[kj + k] : 0f);
                    gb[kj + k] += sw * a[qi + k] + (v != null ? sv * c[qi + k] : 0f);
                }
            }
        }
    }

    /** grad[h] += Σ_e (w (a_i·b_j) + v (c_i·b_j + a_i·d_j))_h: the ε-part of ∂L/∂s for l = s a_i·b_j. */
    void scaleGradient(EdgeState g, float[] w, float[] v, float[] a, float[] b, float[] c, float[] d, float[] grad) {
        float[] sums = new float[heads];
        for (int edge = 0; edge < g.edges; edge++) {
            int qi = g.center[edge] * f, kj = g.neighbor[edge] * f, at = edge * heads;
            for (int hh = 0; hh < heads; hh++) {
                float dot = 0f, ddot = 0f;
                for (int k = hh; k < f; k += heads) {
                    dot += a[qi + k] * b[kj + k];
                    ddot += c[qi + k] * b[kj + k] + a[qi + k] * d[kj + k];
                }
                sums[hh] += w[at + hh] * dot + v[at + hh] * ddot;
            }
        }
        for (int hh = 0; hh < heads; hh++) grad[hh] += sums[hh];
    }
}
