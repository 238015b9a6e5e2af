package org.gaq.serve;

/**
 * What computes energies and forces for a client: the model behind {@code gaq drive}, or a stand-in
 * in tests. Units are gaq's (Å, eV); the protocol's atomic units stay in {@link IpiDriver}.
 */
public interface ForceEngine {

    /** The number of atoms every call expects. */
    int numAtoms();

    /** Range of the interactions, Å: atoms farther apart do not affect each other's forces. */
    double cutoff();

    /** @param positions Å, atom-major x0 y0 z0 x1 …, length 3 · {@link #numAtoms()} */
    Result compute(double[] positions);

    /**
     * @param energy total energy, eV
     * @param forces F = −∂E/∂R, eV/Å, same layout as the positions
     */
    record Result(double energy, double[] forces) {}
}
