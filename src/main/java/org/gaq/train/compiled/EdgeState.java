package org.gaq.train.compiled;

import org.gaq.model.EdgeGeometry;
import org.gaq.tensor.kernels.Matmul;

import java.util.Arrays;

/**
 * The edges (i ← j) of a batch and what depends on their geometry alone, in three passes: values, the adjoints the
 * force pass sums into them (∂E/∂r̂, ∂E/∂d, ∂E/∂φ, then ∂E/∂R), and tangents along a direction t of the positions.
 * Geometry has no parameters, so the ε-pass stops here. Equations in docs/training.md, "Geometry".
 */
final class EdgeState {
    private final EdgeGeometry geometry;
    private final int basis;

    int edges;
    int[] center, neighbor;
    int[] segmentStart = new int[0];
    float[] unit = new float[0], distance = new float[0], expDistance = new float[0], cutoff = new float[0], cutoffDerivative = new float[0];
    float[] rbf = new float[0], rbfDerivative = new float[0], rbfT = new float[0];      // rbfT: [K × E]
    float[] gUnit = new float[0], gDistance = new float[0], gCutoff = new float[0];
    float[] dUnit = new float[0], dDistance = new float[0], dCutoff = new float[0], dRbf = new float[0], dRbfT = new float[0];

    EdgeState(double cutoffRadius, int basis) {
        this.geometry = new EdgeGeometry(cutoffRadius, basis);
        this.basis = basis;
    }

    void ensure(int n, int e) {
        if (segmentStart.length < n + 1) segmentStart = new int[n + 1];
        if (distance.length < e) {
            unit = new float[3 * e]; distance = new float[e]; expDistance = new float[e]; cutoff = new float[e]; cutoffDerivative = new float[e];
            rbf = new float[e * basis]; rbfDerivative = new float[e * basis]; rbfT = new float[e * basis]; dRbfT = new float[e * basis];
            gUnit = new float[3 * e]; gDistance = new float[e]; gCutoff = new float[e];
            dUnit = new float[3 * e]; dDistance = new float[e]; dCutoff = new float[e]; dRbf = new float[e * basis];
        }
    }

    /**
     * r = R_j − R_i (in double), d, r̂, φ(d), φ'(d), rbf_k(d), rbf_k'(d), as the compiled engine computes them
     * ({@link EdgeGeometry}); edges must be sorted by centre.
     */
    void forward(double[] positions, int[] center, int[] neighbor, int n) {
        this.center = center;
        this.neighbor = neighbor;
        this.edges = center.length;
        ensure(n, edges);
        EdgeGeometry.segments(center, center.length, n, segmentStart);
        geometry.edges(positions, center, neighbor, edges, unit, distance, expDistance, cutoff, cutoffDerivative);
        geometry.basis(expDistance, edges, rbf, rbfDerivative);
        Matmul.transpose(rbf, edges, basis, rbfT);
        Arrays.fill(gUnit, 0, 3 * edges, 0f);
        Arrays.fill(gDistance, 0, edges, 0f);
        Arrays.fill(gCutoff, 0, edges, 0f);
    }

    /** gradient[3N] = ∂E/∂R from the adjoints the layers summed into gUnit, gDistance and gCutoff. */
    void reverse(float[] gradient, int n) {
        EdgeGeometry.addPositionGradient(center, neighbor, edges, unit, distance, cutoffDerivative, gDistance, gCutoff, gUnit, 1f, gradient, n);
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
