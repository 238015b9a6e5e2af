package org.gaq.md;

/** One time step of an MD integrator; {@link VelocityVerlet} and {@link LangevinBaoab}. */
public sealed interface Integrator permits VelocityVerlet, LangevinBaoab {

    /** The state after one step of {@code dtFs} from {@code s} (whose forces are those at its positions). */
    MdState step(MdState s, ForceField forceField, double[] masses, double dtFs);

    /** Degrees of freedom for the kinetic temperature: 3N − 3 when total momentum is conserved and zero. */
    int degreesOfFreedom(int atoms);

    String name();
}
