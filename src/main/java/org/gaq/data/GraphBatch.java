package org.gaq.data;

/**
 * Several molecules concatenated into one graph, ready for message passing with segment sums.
 *
 * <p>Edge convention (shared with the model): edge e goes from neighbour j = {@code neighbor[e]}
 * to centre i = {@code center[e]} (messages flow i ← j), and the edge vector is
 * r_ij = R_j − R_i. Atom indices are global (offset by the atoms of earlier molecules); edges
 * never cross molecules. Edges are sorted by centre, then neighbour.
 *
 * @param atomicNumbers  Z of every atom, length A (total atoms)
 * @param positions      Å, length 3A, atom-major, each molecule moved by a multiple of 16 Å towards the origin
 *                       (float32: the model computes in float, and coordinates near the origin keep their differences
 *                       exact to float rounding at the molecule's size; see NeighborList.batch)
 * @param moleculeOfAtom molecule index (0..numMolecules-1) of each atom, length A
 * @param atomOffsets    first atom of each molecule, length numMolecules+1 (last = A)
 * @param center         i of each edge (receiver), length E
 * @param neighbor       j of each edge (sender), length E
 * @param numMolecules   number of molecules in the batch
 * @param energies       energy label per molecule in eV (NaN where absent), length numMolecules
 * @param forces         force labels eV/Å, length 3A; null unless every frame has forces
 */
public record GraphBatch(int[] atomicNumbers, float[] positions, int[] moleculeOfAtom, int[] atomOffsets,
                         int[] center, int[] neighbor, int numMolecules, double[] energies, double[] forces) {

    public int numAtoms() { return atomicNumbers.length; }

    public int numEdges() { return center.length; }

    /** Atoms in molecule m. */
    public int atomsIn(int m) { return atomOffsets[m + 1] - atomOffsets[m]; }
}
