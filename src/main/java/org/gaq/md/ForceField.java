package org.gaq.md;

/** Potential energy and forces of one configuration. */
public interface ForceField {

    /** Energy (eV) and forces (eV/Å, [3N] as x0 y0 z0 x1 …) at {@code positions} (Å, [3N]). */
    Evaluation evaluate(double[] positions);

    /** Atomic numbers of the atoms, in the order of the position array. */
    int[] atomicNumbers();

    /**
     * Range of the interactions, Å: atoms farther apart do not affect each other's forces (what a periodic cell must
     * leave between an atom and its images). Unlimited unless the force field says otherwise.
     */
    default double cutoff() {
        return Double.POSITIVE_INFINITY;
    }

    record Evaluation(double energy, double[] forces) {}
}
