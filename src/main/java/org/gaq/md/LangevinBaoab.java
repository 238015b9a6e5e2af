package org.gaq.md;

import org.gaq.data.Units;

import java.util.SplittableRandom;

/**
 * Langevin dynamics (NVT) with the BAOAB splitting of Leimkuhler and Matthews (2013):
 * <pre>
 *   B: v ← v + ½Δt F/m     A: x ← x + ½Δt v
 *   O: v ← c₁ v + √((1 − c₁²) k_B T / m) ξ,   c₁ = e^{−γΔt},  ξ ~ N(0, 1)
 *   A: x ← x + ½Δt v       F ← F(x)            B: v ← v + ½Δt F/m
 * </pre>
 * The noise of step n comes from a generator seeded by (seed, n), so a resumed run draws the same
 * numbers as an uninterrupted one.
 */
public record LangevinBaoab(double temperatureK, double frictionPerFs, long seed) implements Integrator {

    public LangevinBaoab {
        if (!(temperatureK >= 0)) throw new IllegalArgumentException("temperature must be ≥ 0 K, got " + temperatureK);
        if (!(frictionPerFs > 0)) throw new IllegalArgumentException("friction must be > 0 (1/fs), got " + frictionPerFs);
    }

    @Override
    public MdState step(MdState s, ForceField forceField, double[] masses, double dtFs) {
        double[] x = s.positions().clone(), v = s.velocities().clone();
        VelocityVerlet.halfKick(v, s.forces(), masses, dtFs);
        for (int i = 0; i < x.length; i++) x[i] += 0.5 * dtFs * v[i];
        double c1 = Math.exp(-frictionPerFs * dtFs);
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + s.step());
        for (int i = 0; i < masses.length; i++) {
            double sigma = Math.sqrt((1 - c1 * c1) * Units.BOLTZMANN_EV_PER_K * temperatureK / (masses[i] * Dynamics.C));
            for (int d = 0; d < 3; d++) v[3 * i + d] = c1 * v[3 * i + d] + sigma * rng.nextGaussian();
        }
        for (int i = 0; i < x.length; i++) x[i] += 0.5 * dtFs * v[i];
        ForceField.Evaluation e = forceField.evaluate(x);
        VelocityVerlet.halfKick(v, e.forces(), masses, dtFs);
        return new MdState(s.step() + 1, s.timeFs() + dtFs, x, v, e.forces(), e.energy());
    }

    @Override
    public int degreesOfFreedom(int atoms) {
        return 3 * atoms;   // the thermostat does not conserve momentum
    }

    @Override
    public String name() {
        return "langevin";
    }
}
