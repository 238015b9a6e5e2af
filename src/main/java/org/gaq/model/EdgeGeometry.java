package org.gaq.model;

import org.gaq.tensor.kernels.Activations;

import java.util.Arrays;

/**
 * The geometry of the edges (i ← j) and, at the end of the reverse pass, the forces it scatters back to
 * the atoms (docs/engine.md, "Reverse", Geometry):
 * <pre>
 *   r_ij = R_j − R_i,  d = ‖r_ij‖,  r̂ = r_ij / d
 *   φ(d) = ½ (cos(π d / r_c) + 1)                        φ'(d) = −½ (π / r_c) sin(π d / r_c)
 *   rbf_k(d) = exp(−β (e^{−d} − μ_k)²)                   rbf_k'(d) = 2β rbf_k (e^{−d} − μ_k) e^{−d}
 *   ∂E/∂r_ij = (ḡ_r̂ − r̂ (r̂·ḡ_r̂)) / d + (ḡ_d + ḡ_φ φ') r̂     (ḡ_d from the layers' radial channels)
 *   F_j −= ∂E/∂r_ij,  F_i += ∂E/∂r_ij
 * </pre>
 * Differences of positions are taken in double, so forces do not depend on where the molecule sits. Radial
 * basis values below 10⁻²⁰ are set to 0. Arrays, not tensors: the compiled engine ({@code org.gaq.infer.CompiledModel})
 * and the compiled training step ({@code org.gaq.train.compiled.EdgeState}) both compute their geometry here; the basis
 * takes its exponentials as the tape's {@link Radial#physNet} does (one vectorised pass).
 */
public final class EdgeGeometry {
    private final double cutoffRadius;
    private final float[] mu;
    private final float beta;

    public EdgeGeometry(double cutoffRadius, int radialBasis) {
        this.cutoffRadius = cutoffRadius;
        this.mu = Radial.centres(radialBasis, cutoffRadius);
        this.beta = Radial.width(radialBasis, cutoffRadius);
    }

    /** unit [3E], distance, e^{−d}, φ and φ' [E] of the first {@code edges} edges, r = R_j − R_i taken in double. */
    public void edges(double[] positions, int[] center, int[] neighbor, int edges,
                      float[] unit, float[] distance, float[] expDistance, float[] cutoff, float[] cutoffDerivative) {
        float piOverRc = (float) (Math.PI / cutoffRadius);
        for (int e = 0; e < edges; e++) {
            int i = center[e], j = neighbor[e];
            float x = (float) (positions[3 * j] - positions[3 * i]);
            float y = (float) (positions[3 * j + 1] - positions[3 * i + 1]);
            float z = (float) (positions[3 * j + 2] - positions[3 * i + 2]);
            float d = (float) Math.sqrt(x * x + y * y + z * z);
            distance[e] = d;
            unit[3 * e] = x / d;
            unit[3 * e + 1] = y / d;
            unit[3 * e + 2] = z / d;
            boolean inside = d < cutoffRadius;
            float angle = d * piOverRc;
            cutoff[e] = inside ? ((float) Math.cos(angle) + 1f) * 0.5f : 0f;
            cutoffDerivative[e] = inside ? -0.5f * piOverRc * (float) Math.sin(angle) : 0f;
            expDistance[e] = (float) Math.exp(-d);
        }
    }

    /** rbf and rbf' [E × K] from e^{−d}: all E·K exponentials in one vectorised pass (as the tape's), then the derivatives. */
    public void basis(float[] expDistance, int edges, float[] rbf, float[] rbfDerivative) {
        int kk = mu.length;
        for (int e = 0; e < edges; e++) {
            float expD = expDistance[e];
            for (int k = 0; k < kk; k++) {
                float diff = expD - mu[k];
                rbf[e * kk + k] = -beta * diff * diff;
            }
        }
        // rbf_k = exp(−β (e^{−d} − μ_k)²)
        Activations.apply(Activations.Kind.EXP, rbf, rbf, edges * kk);
        for (int e = 0; e < edges; e++) {
            float expD = expDistance[e];
            for (int k = 0; k < kk; k++) {
                float r = rbf[e * kk + k];
                // Far tails of the Gaussians are tiny, and products with them are subnormal floats, which take a
                // slow microcode path (docs/engine.md, "Reverse"); below 1e-20 a value changes no float sum of the
                // O(1e-3..1) terms it joins.
                if (r < Radial.NEGLIGIBLE) r = 0f;
                rbf[e * kk + k] = r;
                rbfDerivative[e * kk + k] = 2f * beta * r * (expD - mu[k]) * expD;
            }
        }
    }

    /**
     * out[3N] = sign · ∂E/∂R from the adjoints of the edges' distances, cutoffs and unit vectors (out overwritten; sign −1
     * gives the forces): ∂E/∂r = (ḡ_r̂ − r̂ (r̂·ḡ_r̂)) / d + (ḡ_d + ḡ_φ φ') r̂, added to atom j and taken from atom i.
     */
    public static void addPositionGradient(int[] center, int[] neighbor, int edges, float[] unit, float[] distance, float[] cutoffDerivative,
                                           float[] gDistance, float[] gCutoff, float[] gUnit, float sign, float[] out, int atoms) {
        Arrays.fill(out, 0, 3 * atoms, 0f);
        for (int e = 0; e < edges; e++) {
            float gd = gCutoff[e] * cutoffDerivative[e] + gDistance[e];
            float ux = unit[3 * e], uy = unit[3 * e + 1], uz = unit[3 * e + 2];
            float gx = gUnit[3 * e], gy = gUnit[3 * e + 1], gz = gUnit[3 * e + 2];
            float radial = ux * gx + uy * gy + uz * gz;
            float invD = 1f / distance[e];
            float rx = sign * ((gx - ux * radial) * invD + gd * ux);
            float ry = sign * ((gy - uy * radial) * invD + gd * uy);
            float rz = sign * ((gz - uz * radial) * invD + gd * uz);
            int i = center[e], j = neighbor[e];
            out[3 * j] += rx;
            out[3 * j + 1] += ry;
            out[3 * j + 2] += rz;
            out[3 * i] -= rx;
            out[3 * i + 1] -= ry;
            out[3 * i + 2] -= rz;
        }
    }

    /**
     * start[i] = the first edge of centre i, start[n] = the number of edges: the edges of each centre are contiguous
     * (GraphBatch sorts them by centre), which the softmax and the per-centre sums rely on. {@code center} holds
     * {@code edges} centres (it may be longer).
     */
    public static void segments(int[] center, int edges, int n, int[] start) {
        int e = 0;
        for (int i = 0; i < n; i++) {
            start[i] = e;
            while (e < edges && center[e] == i) e++;
        }
        start[n] = e;
        if (e != edges) throw new IllegalArgumentException("edges must be sorted by centre atom (edge " + e + " has centre " + center[e] + ")");
    }
}
