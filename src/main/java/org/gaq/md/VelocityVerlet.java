package org.gaq.md;

/**
 * Velocity Verlet (NVE): v ← v + ½Δt F/m;  x ← x + Δt v;  F ← F(x);  v ← v + ½Δt F/m.
 * Symplectic and time-reversible: with exact forces the total energy fluctuates but does not drift.
 */
public record VelocityVerlet() implements Integrator {

    @Override
    public MdState step(MdState s, ForceField forceField, double[] masses, double dtFs) {
        double[] x = s.positions().clone(), v = s.velocities().clone(), f = s.forces();
        halfKick(v, f, masses, dtFs);
        for (int i = 0; i < x.length; i++) x[i] += dtFs * v[i];
        ForceField.Evaluation e = forceField.evaluate(x);
        halfKick(v, e.forces(), masses, dtFs);
        return new MdState(s.step() + 1, s.timeFs() + dtFs, x, v, e.forces(), e.energy());
    }

    /** v ← v + ½Δt F/m (the B step), F in eV/Å → Å/fs². */
    static void halfKick(double[] v, double[] f, double[] masses, double dtFs) {
        for (int i = 0; i < masses.length; i++) {
            double c = 0.5 * dtFs / (masses[i] * Dynamics.C);
            for (int d = 0; d < 3; d++) v[3 * i + d] += c * f[3 * i + d];
        }
    }

    @Override
    public int degreesOfFreedom(int atoms) {
        return Math.max(1, 3 * atoms - 3);
    }

    @Override
    public String name() {
        return "nve";
    }
}
