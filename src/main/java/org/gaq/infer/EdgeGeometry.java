package org.gaq.infer;

import org.gaq.model.Radial;
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
 * basis values below 10⁻²⁰ are set to 0.
 */
final class EdgeGeometry {
    private final double cutoffRadius;
    private final float[] mu;
    private final float beta;

    EdgeGeometry(double cutoffRadius, int radialBasis) {
        this.cutoffRadius = cutoffRadius;
        this.mu = Radial.centres(radialBasis, cutoffRadius);
        this.beta = Radial.width(radialBasis, cutoffRadius);
    }

    /** Fills unit, distance, e^{−d}, φ and φ' of every edge, and rbf and rbf' with {@code basis}. */
    void forward(Workspace ws, double[] positions, int[] center, int[] neighbor, boolean basis) {
        int kk = mu.length;
        float piOverRc = (float) (Math.PI / cutoffRadius);
        for (int e = 0; e < ws.edges; e++) {
            int i = center[e], j = neighbor[e];
            float x = (float) (positions[3 * j] - positions[3 * i]);
            float y = (float) (positions[3 * j + 1] - positions[3 * i + 1]);
            float z = (float) (positions[3 * j + 2] - positions[3 * i + 2]);
            float d = (float) Math.sqrt(x * x + y * y + z * z);
            ws.distance[e] = d;
            ws.unit[3 * e] = x / d;
            ws.unit[3 * e + 1] = y / d;
            ws.unit[3 * e + 2] = z / d;
            boolean inside = d < cutoffRadius;
            float angle = d * piOverRc;
            ws.cutoff[e] = inside ? ((float) Math.cos(angle) + 1f) * 0.5f : 0f;
            ws.cutoffDerivative[e] = inside ? -0.5f * piOverRc * (float) Math.sin(angle) : 0f;
            float expD = (float) Math.exp(-d);
            ws.expDistance[e] = expD;
            if (!basis) continue;
            for (int k = 0; k < kk; k++) {
                float diff = expD - mu[k];
                ws.rbf[e * kk + k] = -beta * diff * diff;
            }
        }
        if (!basis) return;
        // rbf_k = exp(−β (e^{−d} − μ_k)²): all E·K exponentials in one vectorised pass, then the derivatives
        Activations.apply(Activations.Kind.EXP, ws.rbf, ws.rbf, ws.edges * kk);
        for (int e = 0; e < ws.edges; e++) {
            float expD = ws.expDistance[e];
            for (int k = 0; k < kk; k++) {
                float r = ws.rbf[e * kk + k];
                // Far tails of the Gaussians are tiny, and products with them are subnormal floats, which take a
                // slow microcode path (docs/engine.md, "Reverse"); below 1e-20 a value changes no float sum of the
                // O(1e-3..1) terms it joins.
                if (r < Radial.NEGLIGIBLE) r = 0f;
                ws.rbf[e * kk + k] = r;
                ws.rbfDerivative[e * kk + k] = 2f * beta * r * (expD - mu[k]) * expD;
            }
        }
    }

    /** forces = −∂E/∂R from ws.gDistance, ws.gCutoff and ws.gUnit (the gradients reaching the edge geometry). */
    void reverse(Workspace ws, int[] center, int[] neighbor) {
        float[] forces = ws.forces;
        Arrays.fill(forces, 0, 3 * ws.atoms, 0f);
        for (int e = 0; e < ws.edges; e++) {
            float gd = ws.gCutoff[e] * ws.cutoffDerivative[e] + ws.gDistance[e];
            float ux = ws.unit[3 * e], uy = ws.unit[3 * e + 1], uz = ws.unit[3 * e + 2];
            float gx = ws.gUnit[3 * e], gy = ws.gUnit[3 * e + 1], gz = ws.gUnit[3 * e + 2];
            float radial = ux * gx + uy * gy + uz * gz;
            float invD = 1f / ws.distance[e];
            float rx = (gx - ux * radial) * invD + gd * ux;
            float ry = (gy - uy * radial) * invD + gd * uy;
            float rz = (gz - uz * radial) * invD + gd * uz;
            int i = center[e], j = neighbor[e];
            forces[3 * j] -= rx;
            forces[3 * j + 1] -= ry;
            forces[3 * j + 2] -= rz;
            forces[3 * i] += rx;
            forces[3 * i + 1] += ry;
            forces[3 * i + 2] += rz;
        }
    }
}
