package org.gaq.md;

/** Potential energy and forces of one configuration. */
public interface ForceField {

    /** Energy (eV) and forces (eV/Å, [3N] as x0 y0 z0 x1 …) at {@code positions} (Å, [3N]). */
    Evaluation evaluate(double[] positions);

    /** Atomic numbers of the atoms, in the order of the position array. */
    int[] atomicNumbers();

    record Evaluation(double energy, double[] forces) {}
}
