package org.gaq.train;

import java.util.SplittableRandom;

/** Uniformly random rotation matrices (row-major 3×3) and their action on coordinate arrays. */
public final class Rotations {
    private Rotations() {}

    /** A rotation uniform on SO(3), from a random unit quaternion (Shoemake 1992). */
    public static double[] random(SplittableRandom rng) {
        double u1 = rng.nextDouble(), u2 = rng.nextDouble() * 2 * Math.PI, u3 = rng.nextDouble() * 2 * Math.PI;
        double a = Math.sqrt(1 - u1), b = Math.sqrt(u1);
        double w = a * Math.sin(u2), x = a * Math.cos(u2), y = b * Math.sin(u3), z = b * Math.cos(u3);
        return new double[]{
                1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
                2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)};
    }

    /** R·x for each 3-vector of {@code xyz} (n×3, row-major). */
    public static double[] apply(double[] r, double[] xyz) {
        double[] out = new double[xyz.length];
        for (int i = 0; i < xyz.length; i += 3) {
            for (int a = 0; a < 3; a++) {
                out[i + a] = r[3 * a] * xyz[i] + r[3 * a + 1] * xyz[i + 1] + r[3 * a + 2] * xyz[i + 2];
            }
        }
        return out;
    }
}
