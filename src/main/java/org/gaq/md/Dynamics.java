package org.gaq.md;

import org.gaq.data.Units;
import java.util.SplittableRandom;

/**
 * Kinetic energy, temperature and the unit conversion shared by the integrators. With
 * C = {@link Units#AMU_A2_PER_FS2_IN_EV} (1 amu·Å²/fs² = C eV, C ≈ 103.64):
 * K = ½ Σ m v² · C (eV),  a = F / (m C) (Å/fs² for F in eV/Å),  σ_v = √(k_B T / (m C)) (Å/fs).
 */
public final class Dynamics {
    private Dynamics() {}

    /** C: one amu·Å²/fs² in eV. */
    static final double C = Units.AMU_A2_PER_FS2_IN_EV;

    /** K = ½ Σ m v² in eV. */
    public static double kineticEnergy(double[] masses, double[] velocities) {
        double k = 0;
        for (int i = 0; i < masses.length; i++) {
            double v2 = 0;
            for (int d = 0; d < 3; d++) v2 += velocities[3 * i + d] * velocities[3 * i + d];
            k += 0.5 * masses[i] * v2;
        }
        return k * C;
    }

    /** T = 2K / (f k_B) for {@code degreesOfFreedom} f. */
    public static double temperature(double kineticEnergy, int degreesOfFreedom) {
        return 2 * kineticEnergy / (degreesOfFreedom * Units.BOLTZMANN_EV_PER_K);
    }

    /** Σ m v in amu·Å/fs. */
    public static double[] momentum(double[] masses, double[] velocities) {
        double[] p = new double[3];
        for (int i = 0; i < masses.length; i++) {
            for (int d = 0; d < 3; d++) p[d] += masses[i] * velocities[3 * i + d];
        }
        return p;
    }

    /** Subtracts the centre-of-mass velocity, leaving zero total momentum. */
    public static void removeMomentum(double[] masses, double[] velocities) {
        double[] p = momentum(masses, velocities);
        double total = 0;
        for (double m : masses) total += m;
        for (int i = 0; i < masses.length; i++) {
            for (int d = 0; d < 3; d++) velocities[3 * i + d] -= p[d] / total;
        }
    }

    /**
     * Maxwell–Boltzmann velocities at {@code temperatureK}: each component normal with variance
     * k_B T / m, then the total momentum removed (so the kinetic temperature over 3N − 3 degrees of
     * freedom is T on average, not exactly). Seeded, reproducible.
     */
    public static double[] maxwellBoltzmann(double[] masses, double temperatureK, long seed) {
        if (!(temperatureK >= 0)) throw new IllegalArgumentException("temperature must be ≥ 0 K, got " + temperatureK);
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[3 * masses.length];
        for (int i = 0; i < masses.length; i++) {
            double sigma = Math.sqrt(Units.BOLTZMANN_EV_PER_K * temperatureK / (masses[i] * C));   // Å/fs
            for (int d = 0; d < 3; d++) v[3 * i + d] = sigma * rng.nextGaussian();
        }
        removeMomentum(masses, v);
        return v;
    }
}
