package org.gaq.serve;

/**
 * The virial of an isolated molecule, W = Σ_i r_i ⊗ F_i (eV), in the convention of ASE and i-PI:
 * W = −V σ = −∂E/∂ε, the derivative of the energy under a homogeneous strain ε that moves every
 * atom, r_i → (1 + ε) r_i. Since ∂E/∂ε_ab = Σ_i (∂E/∂r_ia) r_ib = −Σ_i F_ia r_ib, this is
 * W = Σ_i r_i ⊗ F_i = −Σ_i r_i ⊗ ∇_i E (checked numerically against ASE's stress for a Lennard-Jones
 * cluster in a large box: −V σ equals Σ r ⊗ F to 1e-13).
 *
 * <p>For a non-periodic molecule this is the internal (Clausius) virial. It does not depend on the
 * origin because Σ F = 0, and it is symmetric because the model is rotation-invariant (no net
 * torque). ASE ignores it for a non-periodic {@code Atoms}; i-PI uses it for its pressure estimators.
 */
public final class Virial {
    private Virial() {}

    /**
     * @param positions Å, atom-major, length 3n
     * @param forces    eV/Å, same layout
     * @return W row-major, {@code W[3a + b] = Σ_i r_ia F_ib}, eV
     */
    public static double[] of(double[] positions, double[] forces) {
        if (positions.length != forces.length || positions.length % 3 != 0)
            throw new IllegalArgumentException("positions (" + positions.length + ") and forces (" + forces.length
                    + ") must both have length 3n");
        double[] w = new double[9];
        for (int i = 0; i < positions.length; i += 3)
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) w[3 * a + b] += positions[i + a] * forces[i + b];
        return w;
    }
}
