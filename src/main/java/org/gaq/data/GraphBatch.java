package org.gaq.data;

import java.util.Arrays;

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

    /** The first edge whose centre is atom {@code atom} or later (edges are sorted by centre). */
    public int firstEdgeOf(int atom) {
        int lo = 0, hi = center.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (center[mid] < atom) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /**
     * The end (exclusive) of a group of whole molecules from {@code first} on with at most {@code maxEdges} edges,
     * or of one molecule if that alone has more: how the engine and the training step take a batch in cache-sized groups.
     */
    public int groupEnd(int first, int maxEdges) {
        int edgeStart = firstEdgeOf(atomOffsets[first]), last = first + 1;
        while (last < numMolecules && firstEdgeOf(atomOffsets[last + 1]) - edgeStart <= maxEdges) last++;
        return last;
    }

    /** Molecules [first, last) as a batch of their own: atoms, edges and molecules numbered from 0, labels with them. */
    public GraphBatch molecules(int first, int last) {
        if (first < 0 || last > numMolecules || first >= last) {
            throw new IllegalArgumentException("molecules [" + first + ", " + last + ") of a batch of " + numMolecules);
        }
        int a0 = atomOffsets[first], a1 = atomOffsets[last], edges = firstEdgeOf(a1) - firstEdgeOf(a0);
        int[] z = new int[a1 - a0], molecule = new int[a1 - a0], offsets = new int[last - first + 1], c = new int[edges], nb = new int[edges];
        copyMolecules(first, last, z, molecule, c, nb);
        for (int k = 0; k < offsets.length; k++) offsets[k] = atomOffsets[first + k] - a0;
        return new GraphBatch(z, Arrays.copyOfRange(positions, 3 * a0, 3 * a1), molecule, offsets, c, nb, last - first,
                energies == null ? null : Arrays.copyOfRange(energies, first, last),
                forces == null ? null : Arrays.copyOfRange(forces, 3 * a0, 3 * a1));
    }

    /**
     * The atomic numbers, molecule of each atom, and edges' centres and neighbours of molecules [first, last), numbered
     * from 0, into the given arrays (long enough for their atoms and edges): {@link #molecules} without allocating.
     */
    public void copyMolecules(int first, int last, int[] atomicNumbersOut, int[] moleculeOut, int[] centerOut, int[] neighborOut) {
        int a0 = atomOffsets[first], n = atomOffsets[last] - a0, e0 = firstEdgeOf(a0), edges = firstEdgeOf(atomOffsets[last]) - e0;
        System.arraycopy(atomicNumbers, a0, atomicNumbersOut, 0, n);
        for (int i = 0; i < n; i++) moleculeOut[i] = moleculeOfAtom[a0 + i] - first;
        for (int e = 0; e < edges; e++) {
            centerOut[e] = center[e0 + e] - a0;
            neighborOut[e] = neighbor[e0 + e] - a0;
        }
    }
}
