package org.gaq.data;

import java.util.Arrays;

/**
 * One molecular configuration with optional labels, in internal units.
 *
 * <p>Arrays are not copied (frames are created by the thousands and treated as immutable by
 * convention): do not modify them after construction.
 *
 * @param atomicNumbers Z per atom, length n
 * @param positions     Cartesian coordinates in Å, length 3n, atom-major: x0 y0 z0 x1 y1 z1 …
 * @param energy        total energy in eV, {@code NaN} if the frame has no energy label
 * @param forces        forces in eV/Å (F = −dE/dR), same layout as positions; {@code null} if absent
 */
public record Frame(int[] atomicNumbers, double[] positions, double energy, double[] forces) {

    public Frame {
        if (atomicNumbers == null) throw new IllegalArgumentException("atomicNumbers is null");
        if (positions == null) throw new IllegalArgumentException("positions is null");
        int n = atomicNumbers.length;
        if (n == 0) throw new IllegalArgumentException("a frame needs at least one atom");
        if (positions.length != 3 * n)
            throw new IllegalArgumentException("positions has length " + positions.length
                    + ", expected 3 * " + n + " atoms = " + 3 * n);
        if (forces != null && forces.length != 3 * n)
            throw new IllegalArgumentException("forces has length " + forces.length
                    + ", expected 3 * " + n + " atoms = " + 3 * n);
        for (int z : atomicNumbers)
            if (!Elements.isKnown(z)) throw new IllegalArgumentException("unknown atomic number " + z);
    }

    /** A frame without labels (e.g. an MD start geometry). */
    public static Frame unlabeled(int[] atomicNumbers, double[] positions) {
        return new Frame(atomicNumbers, positions, Double.NaN, null);
    }

    public int numAtoms() { return atomicNumbers.length; }

    public boolean hasEnergy() { return !Double.isNaN(energy); }

    public boolean hasForces() { return forces != null; }

    /** Coordinate {@code k} (0 = x, 1 = y, 2 = z) of atom {@code i}, in Å. */
    public double position(int i, int k) { return positions[3 * i + k]; }

    /** Same atoms and labels, new positions (e.g. an MD step). */
    public Frame withPositions(double[] newPositions) {
        return new Frame(atomicNumbers, newPositions, energy, forces);
    }

    /** Same geometry, new labels (e.g. model predictions for writing a trajectory). */
    public Frame withLabels(double newEnergy, double[] newForces) {
        return new Frame(atomicNumbers, positions, newEnergy, newForces);
    }

    @Override
    public String toString() {
        return "Frame[" + Elements.formula(atomicNumbers) + ", energy=" + energy + " eV"
                + (forces == null ? ", no forces" : "") + "]";
    }

    // Records compare arrays by identity; value equality is more useful for tests and caching.
    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && Arrays.equals(atomicNumbers, f.atomicNumbers)
                && Arrays.equals(positions, f.positions)
                && Double.compare(energy, f.energy) == 0 && Arrays.equals(forces, f.forces);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(atomicNumbers) + Arrays.hashCode(positions))
                + Double.hashCode(energy);
    }
}
