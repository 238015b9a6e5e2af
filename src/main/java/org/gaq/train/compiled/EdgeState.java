package org.gaq.train.compiled;

import org.gaq.model.Radial;
import org.gaq.tensor.kernels.Matmul;

import java.util.Arrays;

/**
 * The edges (i ← j) of a batch and what depends on their geometry alone, in three passes: values, the adjoints the
 * force pass sums into them (∂E/∂r̂, ∂E/∂d, ∂E/∂φ, then ∂E/∂R), and tangents along a direction t of the positions.
 * Geometry has no parameters, so the ε-pass stops here. Equations in docs/training.md, "Geometry".
 */
final class EdgeState {
    private final double cutoffRadius;
    private final float[] mu;
    private final float beta;
    private final int basis;

    int edges;
    int[] center, neighbor;
    int[] segmentStart = new int[0];
    float[] unit = new float[0], distance = new float[0], cutoff = new float[0], cutoffDerivative = new float[0];
    float[] rbf = new float[0], rbfDerivative = new float[0], rbfT = new float[0];      // rbfT: [K × E]
    float[] gUnit = new float[0], gDistance = new float[0], gCutoff = new float[0];
    float[] dUnit = new float[0], dDistance = new float[0], dCutoff = new float[0], dRbf = new float[0], dRbfT = new float[0];

    EdgeState(double cutoffRadius, int basis) {
        this.cutoffRadius = cutoffRadius;
        this.basis = basis;
        this.mu = Radial.centres(basis, cutoffRadius);
        this.beta = Radial.width(basis, cutoffRadius);
    }

    void ensure(int n, int e) {
        if (segmentStart.length < n + 1) segmentStart = new int[n + 1];
        if (distance.length < e) {
            unit = new float[3 * e]; distance = new float[e]; cutoff = new float[e]; cutoffDerivative = new float[e];
            rbf = new float[e * basis]; rbfDerivative = new float[e * basis]; rbfT = new float[e * basis]; dRbfT = new float[e * basis];
            gUnit = new float[3 * e]; gDistance = new float[e]; gCutoff = new float[e];
            dUnit = new float[3 * e]; dDistance = new float[e]; dCutoff = new float[e]; dRbf = new float[e * basis];
        }
    }

    /** r = R_j − R_i (in double), d, r̂, φ(d), φ'(d), rbf_k(d), rbf_k'(d); edges must be sorted by centre. */
    void forward(double[] positions, int[] center, int[] neighbor, int n) {
        this.center = center;
        this.neighbor = neighbor;
        this.edges = center.length;
        ensure(n, edges);
        int e = 0;
        for (int i = 0; i < n; i++) {
            segmentStart[i] = e;
            while (e < center.length && center[e] == i) e++;
        }
        segmentStart[n] = e;
        if (e != center.length) throw new IllegalArgumentException("edges must be sorted by centre atom (edge " + e + ")");
        float piOverRc = (float) (Math.PI / cutoffRadius);
        for (e = 0; e < edges; e++) {
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
            float expD = (float) Math.exp(-d);
            for (int k = 0; k < basis; k++) {
                float diff = expD - mu[k];
                float r = (float) Math.exp(-beta * diff * diff);
                if (r < Radial.NEGLIGIBLE) r = 0f;     // as the model: subnormal tails are slow and change no sum
                rbf[e * basis + k] = r;
                rbfDerivative[e * basis + k] = 2f * beta * r * diff * expD;
            }
        }
        Matmul.transpose(rbf, edges, basis, rbfT);
        Arrays.fill(gUnit, 0, 3 * edges, 0f);
        Arrays.fill(gDistance, 0, edges, 0f);
        Arrays.fill(gCutoff, 0, edges, 0f);
    }

    /** gradient[3N] = ∂E/∂R from the adjoints the layers summed into gUnit, gDistance and gCutoff. */
    void reverse(float[] gradient, int n) {
        Arrays.fill(gradient, 0, 3 * n, 0f);
        for (int e = 0; e < edges; e++) {
            float gd = gCutoff[e] * cutoffDerivative[e] + gDistance[e];
            float ux = unit[3 * e], uy = unit[3 * e + 1], uz = unit[3 * e + 2];
            float gx = gUnit[3 * e], gy = gUnit[3 * e + 1], gz = gUnit[3 * e + 2];
            float radial = ux * gx + uy * gy + uz * gz, invD = 1f / distance[e];
            float rx = (gx - ux * radial) * invD + gd * ux;
            float ry = (gy - uy * radial) * invD + gd * uy;
            float rz = (gz - uz * radial) * invD + gd * uz;
            int i = center[e], j = neighbor[e];
            gradient[3 * j] += rx;
            gradient[3 * j + 1] += ry;
            gradient[3 * j + 2] += rz;
            gradient[3 * i] -= rx;
            gradient[3 * i + 1] -= ry;
            gradient[3 * i + 2] -= rz;
        }
    }

    /** ṙ = t_j − t_i, ḋ = r̂·ṙ, r̂̇ = (ṙ − r̂ ḋ)/d, φ̇ = φ' ḋ, rḃf_k = rbf_k' ḋ. */
    void tangent(float[] t) {
        for (int e = 0; e < edges; e++) {
            int i = center[e], j = neighbor[e];
            float rx = t[3 * j] - t[3 * i], ry = t[3 * j + 1] - t[3 * i + 1], rz = t[3 * j + 2] - t[3 * i + 2];
            float ux = unit[3 * e], uy = unit[3 * e + 1], uz = unit[3 * e + 2];
            float dd = ux * rx + uy * ry + uz * rz, invD = 1f / distance[e];
            dUnit[3 * e] = (rx - ux * dd) * invD;
            dUnit[3 * e + 1] = (ry - uy * dd) * invD;
            dUnit[3 * e + 2] = (rz - uz * dd) * invD;
            dDistance[e] = dd;
            dCutoff[e] = cutoffDerivative[e] * dd;
            for (int k = e * basis; k < (e + 1) * basis; k++) dRbf[k] = rbfDerivative[k] * dd;
        }
        Flush.tiny(dRbf, edges * basis);
        Matmul.transpose(dRbf, edges, basis, dRbfT);
    }
}
