package org.gaq.serve;

import org.gaq.data.Units;

import java.io.IOException;

/**
 * The body of a POSDATA message, converted to Å.
 *
 * <p>On the wire: the cell h (3×3), its inverse (3×3), natoms (int32) and the positions (natoms×3),
 * all float64 in Bohr (inverse: 1/Bohr). h holds the lattice vectors as <em>columns</em> (i-PI's
 * convention), and the 3×3 is sent row-major: the first three numbers are the x components of a, b
 * and c. ASE sends {@code atoms.cell.T} for that reason and transposes again when it reads. Here the
 * cell is turned back into ASE's layout, lattice vectors as rows. A non-periodic ASE {@code Atoms}
 * has an all-zero cell, and ASE then sends zeros for the inverse too (a pseudo-inverse).
 *
 * @param cell      lattice vectors as rows, Å, {@code cell[3k + c]} = component c of vector k
 * @param positions Å, atom-major, length 3n
 */
public record PositionData(double[] cell, double[] positions) {

    /**
     * Reads a POSDATA body (the header already read) for a client that serves {@code expectedAtoms}.
     * Rejects a wrong atom count before reading the positions, and non-finite numbers.
     */
    public static PositionData read(IpiChannel in, int expectedAtoms, String structureName) throws IOException {
        double[] h = in.readFloat64(9, "POSDATA's cell");
        in.readFloat64(9, "POSDATA's inverse cell");   // not needed: the cell is only checked, never inverted
        int natoms = in.readInt32("POSDATA's atom count");
        if (natoms != expectedAtoms)
            throw new IpiProtocolException("wrong number of atoms: the server sent " + natoms + " atoms, but "
                    + structureName + " has " + expectedAtoms + " (the structure must list the server's atoms, in the same order)");
        double[] r = in.readFloat64(3 * natoms, "POSDATA's positions of " + natoms + " atoms");
        double[] cell = new double[9];
        for (int k = 0; k < 3; k++)
            for (int c = 0; c < 3; c++) {
                double v = h[3 * c + k];
                if (!Double.isFinite(v))
                    throw new IpiProtocolException("non-finite cell from the server: component " + "xyz".charAt(c)
                            + " of lattice vector " + (k + 1) + " is " + v);
                cell[3 * k + c] = v * Units.ASE_BOHR_IN_ANGSTROM;
            }
        double[] positions = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            if (!Double.isFinite(r[i]))
                throw new IpiProtocolException("non-finite position from the server: coordinate " + "xyz".charAt(i % 3)
                        + " of atom " + i / 3 + " is " + r[i]);
            positions[i] = r[i] * Units.ASE_BOHR_IN_ANGSTROM;
        }
        return new PositionData(cell, positions);
    }

    /** True if the server sent a cell (i-PI always does; ASE does for an {@code Atoms} with a cell). */
    public boolean hasCell() {
        for (double v : cell) if (v != 0) return true;
        return false;
    }

    /**
     * How far the molecule is from touching its own periodic images: the smallest, over the three
     * lattice planes, of (distance between neighbouring planes − the molecule's extent across them), Å.
     * If this is at least the model's cutoff, no atom sees an image and treating the molecule as
     * isolated is exact. {@code +∞} for a cell that does not span 3D (no periodicity to worry about in
     * the missing direction, and the others are checked by the caller's common sense).
     */
    public double imageClearance() {
        double[] a = {cell[0], cell[1], cell[2]}, b = {cell[3], cell[4], cell[5]}, c = {cell[6], cell[7], cell[8]};
        double[][] normals = {cross(b, c), cross(c, a), cross(a, b)};
        double volume = Math.abs(dot(a, normals[0]));
        if (!(volume > 1e-12)) return Double.POSITIVE_INFINITY;
        double clearance = Double.POSITIVE_INFINITY;
        for (double[] n : normals) {
            double len = Math.sqrt(dot(n, n));
            double width = volume / len;               // spacing of the lattice planes normal to n
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < positions.length; i += 3) {
                double s = (positions[i] * n[0] + positions[i + 1] * n[1] + positions[i + 2] * n[2]) / len;
                lo = Math.min(lo, s);
                hi = Math.max(hi, s);
            }
            clearance = Math.min(clearance, width - (hi - lo));
        }
        return clearance;
    }

    private static double[] cross(double[] u, double[] v) {
        return new double[]{u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
    }

    private static double dot(double[] u, double[] v) {
        return u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    }
}
