package org.gaq.quant;

import java.util.SplittableRandom;

import org.gaq.tensor.Tensor;

/** Random vector features and rotations for the quantizer tests, in double where it matters. */
final class Vectors {
    private Vectors() {}

    static double[] randomUnit(SplittableRandom rng) {
        while (true) {
            double x = rng.nextGaussian(), y = rng.nextGaussian(), z = rng.nextGaussian();
            double n = Math.sqrt(x * x + y * y + z * z);
            if (n > 1e-3) return new double[]{x / n, y / n, z / n};
        }
    }

    /** A uniformly random rotation matrix (from a normalised Gaussian quaternion), row-major 3×3. */
    static double[] randomRotation(SplittableRandom rng) {
        double a = rng.nextGaussian(), b = rng.nextGaussian(), c = rng.nextGaussian(), d = rng.nextGaussian();
        double n = Math.sqrt(a * a + b * b + c * c + d * d);
        a /= n; b /= n; c /= n; d /= n;
        return new double[]{
                a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
                2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b),
                2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d};
    }

    /** h [N, 3, F] from vectors v[a][c] (3 components each). */
    static Tensor features(double[][][] v, boolean leaf) {
        int n = v.length, f = v[0].length;
        float[] d = new float[n * 3 * f];
        for (int a = 0; a < n; a++)
            for (int c = 0; c < f; c++)
                for (int k = 0; k < 3; k++) d[(a * 3 + k) * f + c] = (float) v[a][c][k];
        return leaf ? Tensor.leaf(d, n, 3, f) : Tensor.of(d, n, 3, f);
    }

    /** The vector (atom a, channel c) of h [N, 3, F]. */
    static double[] vector(Tensor h, int a, int c) {
        int f = h.dim(2);
        float[] d = h.data();
        return new double[]{d[(a * 3) * f + c], d[(a * 3 + 1) * f + c], d[(a * 3 + 2) * f + c]};
    }

    /** Every vector of h rotated by R (row-major 3×3). */
    static Tensor rotate(Tensor h, double[] rot) {
        int n = h.dim(0), f = h.dim(2);
        float[] out = new float[h.size()];
        for (int a = 0; a < n; a++)
            for (int c = 0; c < f; c++) {
                double[] v = vector(h, a, c);
                for (int i = 0; i < 3; i++) {
                    out[(a * 3 + i) * f + c] = (float) (rot[3 * i] * v[0] + rot[3 * i + 1] * v[1] + rot[3 * i + 2] * v[2]);
                }
            }
        return Tensor.of(out, n, 3, f);
    }

    static double norm(double[] v) {
        return Math.sqrt(dot(v, v));
    }

    static double dot(double[] u, double[] v) {
        return u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    }

    /** The angle between u and v, robust near 0 (atan2 of |u×v| and u·v). */
    static double angle(double[] u, double[] v) {
        double cx = u[1] * v[2] - u[2] * v[1], cy = u[2] * v[0] - u[0] * v[2], cz = u[0] * v[1] - u[1] * v[0];
        return Math.atan2(Math.sqrt(cx * cx + cy * cy + cz * cz), dot(u, v));
    }

    static double cosine(double[] u, double[] v) {
        double nu = norm(u), nv = norm(v);
        return nu == 0 || nv == 0 ? 0 : dot(u, v) / (nu * nv);
    }
}
