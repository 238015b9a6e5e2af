package org.gaq.md;

/**
 * The dynamical state after {@code step} steps: positions (Å), velocities (Å/fs), and the forces (eV/Å)
 * and potential energy (eV) at those positions (an integrator step starts from them, so a resumed run
 * needs no extra force call and continues bit for bit).
 */
public record MdState(long step, double timeFs, double[] positions, double[] velocities, double[] forces, double potentialEnergy) {
    public MdState {
        if (positions.length != velocities.length || positions.length != forces.length || positions.length % 3 != 0) {
            throw new IllegalArgumentException("positions, velocities and forces must all be [3N], got "
                    + positions.length + ", " + velocities.length + ", " + forces.length);
        }
        if (step < 0) throw new IllegalArgumentException("step must be ≥ 0");
    }

    public int numAtoms() {
        return positions.length / 3;
    }
}
