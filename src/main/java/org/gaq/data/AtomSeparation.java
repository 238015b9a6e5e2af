package org.gaq.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;

/**
 * Refuses frames with two atoms (nearly) on top of each other. The model divides by the distance of every
 * atom pair (the unit vector r̂_ij), so two atoms at the same position make the energy, the forces and a
 * training step's gradients NaN. No real structure comes close to {@link #MIN_DISTANCE_A}: the shortest bond,
 * H₂'s, is 0.74 Å, and no pair in any rMD17 or QM9 frame is closer than 0.87 Å; closer atoms are a broken file
 * (a duplicated line, a unit mix-up).
 */
public final class AtomSeparation {
    private AtomSeparation() {}

    /** Atoms closer than this (Å) are refused at load time. */
    public static final double MIN_DISTANCE_A = 0.1;

    /** Throws, naming the frame (from 0) and the two atoms, if any frame of {@code data} has atoms closer than the minimum. */
    public static void check(Dataset data, Path file) throws DataFormatException {
        for (int f = 0; f < data.size(); f++) {
            String problem = closePair(data.frame(f));
            if (problem != null) throw new DataFormatException(file, "frame " + f + ": " + problem);
        }
    }

    /** A description of the first pair closer than {@link #MIN_DISTANCE_A}, or null. */
    public static String closePair(Frame frame) {
        double[] r = frame.positions();
        int n = frame.numAtoms();
        // Sweep along x: only atoms within the minimum distance in x can be that close (O(n log n) for spread atoms).
        Integer[] byX = new Integer[n];
        for (int i = 0; i < n; i++) byX[i] = i;
        Arrays.sort(byX, Comparator.comparingDouble(i -> r[3 * i]));
        double min2 = MIN_DISTANCE_A * MIN_DISTANCE_A;
        for (int a = 0; a < n; a++) {
            int i = byX[a];
            for (int b = a + 1; b < n && r[3 * byX[b]] - r[3 * i] < MIN_DISTANCE_A; b++) {
                int j = byX[b];
                double dx = r[3 * j] - r[3 * i], dy = r[3 * j + 1] - r[3 * i + 1], dz = r[3 * j + 2] - r[3 * i + 2];
                double d2 = dx * dx + dy * dy + dz * dz;
                if (d2 < min2) {
                    int lo = Math.min(i, j), hi = Math.max(i, j);
                    int[] z = frame.atomicNumbers();
                    return String.format(Locale.ROOT, "atoms %d (%s) and %d (%s) are %.3f Å apart, closer than the %.1f Å "
                            + "gaq accepts (coincident atoms make energies and forces NaN)", lo, Elements.symbol(z[lo]), hi,
                            Elements.symbol(z[hi]), Math.sqrt(d2), MIN_DISTANCE_A);
                }
            }
        }
        return null;
    }
}
