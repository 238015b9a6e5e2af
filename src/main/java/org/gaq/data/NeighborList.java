package org.gaq.data;

import java.util.Arrays;
import java.util.List;

/**
 * Neighbour lists for isolated molecules (no periodic cell).
 *
 * <p>Convention: an edge (i ← j) for every ordered pair i ≠ j with |R_j − R_i| &lt; cutoff
 * (strictly less), i = centre (receiver), j = neighbour (sender), r_ij = R_j − R_i. Both
 * directions of a pair appear. Edges are sorted by centre, then neighbour, so the output is
 * deterministic and the same for both algorithms below. Coincident atoms (distance 0) are kept
 * as neighbours; what to do with them is the model's call.
 *
 * <p>Algorithm: all pairs, O(n²), for molecules of up to {@link #CELL_LIST_THRESHOLD} atoms
 * (every rMD17/QM9 molecule); above that, a cell list with cubic cells of side = cutoff, which
 * is O(n) for bounded density (needed for thousands of atoms, where n² blows up).
 */
public final class NeighborList {
    private NeighborList() {}

    /** Atom count above which the cell-list path is used. */
    public static final int CELL_LIST_THRESHOLD = 200;

    /** Edges of one molecule; {@code center[e]} = i, {@code neighbor[e]} = j. */
    public record Edges(int[] center, int[] neighbor) {
        public int size() { return center.length; }
    }

    public static Edges of(Frame frame, double cutoff) {
        return of(frame.positions(), cutoff);
    }

    /** @param positions Å, length 3n, atom-major */
    public static Edges of(double[] positions, double cutoff) {
        checkCutoff(cutoff);
        if (positions.length % 3 != 0)
            throw new IllegalArgumentException("positions length " + positions.length + " is not a multiple of 3");
        int n = positions.length / 3;
        return n > CELL_LIST_THRESHOLD ? cellList(positions, cutoff) : allPairs(positions, cutoff);
    }

    /** O(n²) reference path; public so tests and benchmarks can compare against it. */
    public static Edges allPairs(double[] positions, double cutoff) {
        checkCutoff(cutoff);
        int n = positions.length / 3;
        double c2 = cutoff * cutoff;
        int capacity = (int) Math.min((long) n * Math.max(n - 1, 1), 1 << 16);
        IntList ci = new IntList(capacity), nj = new IntList(capacity);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i == j) continue;
                if (dist2(positions, i, j) < c2) {
                    ci.add(i);
                    nj.add(j);
                }
            }
        }
        return new Edges(ci.toArray(), nj.toArray());
    }

    /** Cell-list path: bin atoms into cubes of side = cutoff, test only the 27 adjacent cells. */
    public static Edges cellList(double[] positions, double cutoff) {
        checkCutoff(cutoff);
        int n = positions.length / 3;
        double[] lo = {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY};
        double[] hi = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (int a = 0; a < n; a++)
            for (int k = 0; k < 3; k++) {
                double x = positions[3 * a + k];
                if (!Double.isFinite(x)) throw new IllegalArgumentException("non-finite position of atom " + a);
                lo[k] = Math.min(lo[k], x);
                hi[k] = Math.max(hi[k], x);
            }
        int[] dim = new int[3];
        long cells = 1;
        for (int k = 0; k < 3; k++) {
            dim[k] = n == 0 ? 1 : (int) Math.min(Math.floor((hi[k] - lo[k]) / cutoff) + 1, 1 << 20);
            cells *= dim[k];
        }
        // Atoms spread over a huge, mostly empty box (e.g. a fragment flying away in MD) would need
        // millions of empty cells; the plain double loop is cheaper then.
        if (cells > 4L * n + 64) return allPairs(positions, cutoff);
        // Counting sort of atoms by cell: cellStart[c]..cellStart[c+1] index into atomsByCell.
        int[] cellOf = new int[n];
        int[] cellStart = new int[(int) cells + 1];
        for (int a = 0; a < n; a++) {
            int cx = cellIndex(positions[3 * a], lo[0], cutoff, dim[0]);
            int cy = cellIndex(positions[3 * a + 1], lo[1], cutoff, dim[1]);
            int cz = cellIndex(positions[3 * a + 2], lo[2], cutoff, dim[2]);
            cellOf[a] = (cx * dim[1] + cy) * dim[2] + cz;
            cellStart[cellOf[a] + 1]++;
        }
        for (int c = 0; c < cells; c++) cellStart[c + 1] += cellStart[c];
        int[] atomsByCell = new int[n];
        int[] fill = Arrays.copyOf(cellStart, (int) cells);
        for (int a = 0; a < n; a++) atomsByCell[fill[cellOf[a]]++] = a;

        double c2 = cutoff * cutoff;
        IntList ci = new IntList(16 * n), nj = new IntList(16 * n); // grows as needed
        int[] found = new int[16];
        for (int i = 0; i < n; i++) {
            int c = cellOf[i];
            int cz = c % dim[2], cy = (c / dim[2]) % dim[1], cx = c / (dim[1] * dim[2]);
            int count = 0;
            for (int dx = Math.max(cx - 1, 0); dx <= Math.min(cx + 1, dim[0] - 1); dx++)
                for (int dy = Math.max(cy - 1, 0); dy <= Math.min(cy + 1, dim[1] - 1); dy++)
                    for (int dz = Math.max(cz - 1, 0); dz <= Math.min(cz + 1, dim[2] - 1); dz++) {
                        int cc = (dx * dim[1] + dy) * dim[2] + dz;
                        for (int s = cellStart[cc]; s < cellStart[cc + 1]; s++) {
                            int j = atomsByCell[s];
                            if (j != i && dist2(positions, i, j) < c2) {
                                if (count == found.length) found = Arrays.copyOf(found, 2 * count);
                                found[count++] = j;
                            }
                        }
                    }
            Arrays.sort(found, 0, count);
            for (int t = 0; t < count; t++) {
                ci.add(i);
                nj.add(found[t]);
            }
        }
        return new Edges(ci.toArray(), nj.toArray());
    }

    private static int cellIndex(double x, double lo, double cutoff, int dim) {
        int c = (int) Math.floor((x - lo) / cutoff);
        return Math.min(Math.max(c, 0), dim - 1);
    }

    /**
     * Concatenates molecules into one {@link GraphBatch} with per-molecule neighbour lists,
     * offsetting atom indices. Forces are included only if every frame has them.
     *
     * <p>Each molecule is moved towards the origin before its positions are rounded to the batch's float32
     * ({@link #shiftTowardsOrigin}): the model sees only differences R_j − R_i, so energies and forces stay the same,
     * but they no longer depend on where the molecule sits. Unmoved, a molecule 10⁶ Å from the origin has its
     * coordinates rounded to 0.06 Å steps and its forces wrong by eV/Å (MD programs send such coordinates: long runs
     * drift, periodic codes send unwrapped positions).
     */
    public static GraphBatch batch(List<Frame> frames, double cutoff) {
        checkCutoff(cutoff);
        int m = frames.size();
        int[] offsets = new int[m + 1];
        for (int k = 0; k < m; k++) offsets[k + 1] = offsets[k] + frames.get(k).numAtoms();
        int total = offsets[m];
        int[] z = new int[total];
        float[] pos = new float[3 * total];
        int[] mol = new int[total];
        double[] energies = new double[m];
        boolean allForces = m > 0;
        for (Frame f : frames) allForces &= f.hasForces();
        double[] forces = allForces ? new double[3 * total] : null;
        Edges[] edges = new Edges[m];
        int numEdges = 0;
        for (int k = 0; k < m; k++) {
            Frame f = frames.get(k);
            int o = offsets[k];
            System.arraycopy(f.atomicNumbers(), 0, z, o, f.numAtoms());
            double[] p = f.positions();
            double[] shift = shiftTowardsOrigin(p);
            for (int c = 0; c < p.length; c++) pos[3 * o + c] = (float) (p[c] - shift[c % 3]);
            Arrays.fill(mol, o, offsets[k + 1], k);
            energies[k] = f.energy();
            if (forces != null) System.arraycopy(f.forces(), 0, forces, 3 * o, 3 * f.numAtoms());
            edges[k] = of(p, cutoff); // distances from the double positions, not the float copies
            numEdges += edges[k].size();
        }
        int[] center = new int[numEdges], neighbor = new int[numEdges];
        int e = 0;
        for (int k = 0; k < m; k++) {
            int o = offsets[k];
            for (int t = 0; t < edges[k].size(); t++, e++) {
                center[e] = edges[k].center()[t] + o;
                neighbor[e] = edges[k].neighbor()[t] + o;
            }
        }
        return new GraphBatch(z, pos, mol, offsets, center, neighbor, m, energies, forces);
    }

    /** The grid (Å) of the shift that moves each molecule towards the origin before positions become float32. */
    public static final double SHIFT_GRID_A = 16;

    /**
     * The shift subtracted from a molecule's positions: its centroid (computed in double) rounded to a whole multiple of
     * {@link #SHIFT_GRID_A} per axis. The rest, at most 8 Å plus the molecule's size, keeps float32 coordinates as fine
     * as near the origin (10⁻⁶ Å), and the subtraction itself is exact in double. A molecule whose centroid is within 8 Å
     * of the origin (every rMD17 molecule but benzene, every QM9 molecule) is not moved at all, so its results are
     * bit-for-bit those of gaq before the shift; exact centring would move every molecule by a few tenths of an Å and
     * flip rounding-edge activation codes of the int8 models (docs/serving.md, "Errors").
     */
    static double[] shiftTowardsOrigin(double[] positions) {
        double[] c = new double[3];
        int n = positions.length / 3;
        for (int a = 0; a < n; a++) for (int k = 0; k < 3; k++) c[k] += positions[3 * a + k];
        for (int k = 0; k < 3; k++) c[k] = SHIFT_GRID_A * Math.rint(c[k] / Math.max(n, 1) / SHIFT_GRID_A);
        return c;
    }

    private static double dist2(double[] r, int i, int j) {
        double dx = r[3 * j] - r[3 * i], dy = r[3 * j + 1] - r[3 * i + 1], dz = r[3 * j + 2] - r[3 * i + 2];
        return dx * dx + dy * dy + dz * dz;
    }

    private static void checkCutoff(double cutoff) {
        if (!(cutoff > 0) || Double.isInfinite(cutoff))
            throw new IllegalArgumentException("cutoff must be positive and finite, got " + cutoff);
    }

    /** Growable int array (avoids boxing in the hot loop). */
    private static final class IntList {
        private int[] a;
        private int n;

        IntList(int capacity) { a = new int[Math.max(capacity, 4)]; }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, 2 * n);
            a[n++] = v;
        }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }
}
