package org.gaq.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NeighborListTest {

    /** Independent brute force: set of "i,j" strings. */
    static List<String> brute(double[] r, double cutoff) {
        List<String> out = new ArrayList<>();
        int n = r.length / 3;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                if (i == j) continue;
                double d = Math.sqrt(Math.pow(r[3 * j] - r[3 * i], 2) + Math.pow(r[3 * j + 1] - r[3 * i + 1], 2)
                        + Math.pow(r[3 * j + 2] - r[3 * i + 2], 2));
                if (d < cutoff) out.add(i + "," + j);
            }
        return out;
    }

    static List<String> pairs(NeighborList.Edges e) {
        List<String> out = new ArrayList<>();
        for (int k = 0; k < e.size(); k++) out.add(e.center()[k] + "," + e.neighbor()[k]);
        return out;
    }

    static double[] randomCloud(int n, double box, long seed) {
        Random rng = new Random(seed);
        double[] r = new double[3 * n];
        for (int i = 0; i < r.length; i++) r[i] = rng.nextDouble() * box - box / 2;
        return r;
    }

    @Test
    void matchesBruteForceOnRandomMolecules() {
        for (long seed = 0; seed < 5; seed++) {
            double[] r = randomCloud(20, 8, seed);
            List<String> expected = brute(r, 3.0);
            assertFalse(expected.isEmpty());
            assertTrue(expected.size() < 20 * 19, "cutoff must actually exclude pairs for the test to mean anything");
            assertEquals(expected, pairs(NeighborList.of(r, 3.0)));
        }
    }

    @Test
    void cellListMatchesAllPairs() {
        double[] r = randomCloud(600, 25, 11); // > threshold → cell-list path
        List<String> expected = brute(r, 4.0);
        assertEquals(expected, pairs(NeighborList.of(r, 4.0)));
        assertEquals(expected, pairs(NeighborList.cellList(r, 4.0)));
        // small sets through the cell list too, including cutoff larger than the whole cloud
        double[] s = randomCloud(15, 6, 3);
        assertEquals(brute(s, 2.5), pairs(NeighborList.cellList(s, 2.5)));
        assertEquals(brute(s, 50), pairs(NeighborList.cellList(s, 50)));
        // sparse: far-apart atoms use the fallback
        double[] far = {0, 0, 0, 1, 0, 0, 1000, 0, 0, 1000, 0.5, 0};
        assertEquals(List.of("0,1", "1,0", "2,3", "3,2"), pairs(NeighborList.cellList(far, 2)));
    }

    @Test
    void cutoffEdgeCases() {
        double[] r = {0, 0, 0, 0, 0, 5.0, 0, 0, 10.0};
        // exactly at the cutoff is excluded (strict <)
        assertEquals(List.of(), pairs(NeighborList.of(r, 5.0)));
        assertEquals(List.of("0,1", "1,0", "1,2", "2,1"), pairs(NeighborList.of(r, Math.nextUp(5.0))));
        assertEquals(6, NeighborList.of(r, 10.5).size());
        // single atom: no edges
        assertEquals(0, NeighborList.of(new double[] {1, 2, 3}, 5).size());
        // coincident atoms are neighbours (distance 0 < cutoff)
        assertEquals(2, NeighborList.of(new double[] {1, 1, 1, 1, 1, 1}, 0.1).size());
        assertThrows(IllegalArgumentException.class, () -> NeighborList.of(r, 0));
        assertThrows(IllegalArgumentException.class, () -> NeighborList.of(r, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> NeighborList.of(r, Double.POSITIVE_INFINITY));
    }

    @Test
    void batchOffsetsAndLabels() {
        Frame a = new Frame(new int[] {8, 1, 1}, new double[] {0, 0, 0, 0.96, 0, 0, -0.24, 0.93, 0}, -10,
                new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        Frame b = new Frame(new int[] {1, 1}, new double[] {0, 0, 0, 0, 0, 0.74}, -1, new double[6]);
        // far from 'a' in space, but they must never be connected anyway
        GraphBatch g = NeighborList.batch(List.of(a, b, a), 5.0);
        assertEquals(3, g.numMolecules());
        assertEquals(8, g.numAtoms());
        assertArrayEquals(new int[] {8, 1, 1, 1, 1, 8, 1, 1}, g.atomicNumbers());
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 2, 2, 2}, g.moleculeOfAtom());
        assertArrayEquals(new int[] {0, 3, 5, 8}, g.atomOffsets());
        assertEquals(6 + 2 + 6, g.numEdges());
        for (int e = 0; e < g.numEdges(); e++) {
            assertEquals(g.moleculeOfAtom()[g.center()[e]], g.moleculeOfAtom()[g.neighbor()[e]], "edge crosses molecules");
            assertNotEquals(g.center()[e], g.neighbor()[e]);
        }
        // the second copy of 'a' has the same edges shifted by 5
        assertEquals(5, g.center()[8]);
        assertEquals(6, g.neighbor()[8]);
        assertArrayEquals(new double[] {-10, -1, -10}, g.energies());
        assertEquals(9.0, g.forces()[8]);
        assertEquals(1.0, g.forces()[15]);
        assertEquals(0.74f, g.positions()[3 * 4 + 2]);
        // forces dropped if any frame lacks them
        GraphBatch noF = NeighborList.batch(List.of(a, Frame.unlabeled(b.atomicNumbers(), b.positions())), 5.0);
        assertNull(noF.forces());
        assertTrue(Double.isNaN(noF.energies()[1]));
    }

    @Test
    void realEthanolIsFullyConnectedAt5A() throws Exception {
        var d = Rmd17Reader.read(TestData.requireShared("rmd17/rmd17_ethanol_test_01.npz"));
        GraphBatch g = NeighborList.batch(d.frames().subList(0, 10), 5.0);
        assertEquals(10 * 9 * 8, g.numEdges()); // ethanol spans < 5 Å: all 72 ordered pairs
        assertEquals(brute(d.frame(0).positions(), 2.0), pairs(NeighborList.of(d.frame(0), 2.0)));
        assertTrue(NeighborList.of(d.frame(0), 2.0).size() < 72);
    }

    /** A batch's molecules [first, last) are the batch of those frames alone: atoms, edges, labels, renumbered from 0. */
    @Test
    void moleculesOfABatchAreTheBatchOfThoseFramesAlone() {
        Random r = new Random(3);
        List<Frame> frames = new ArrayList<>();
        for (int m = 0; m < 5; m++) {
            int n = 3 + m;
            int[] z = new int[n];
            double[] p = new double[3 * n], f = new double[3 * n];
            for (int i = 0; i < n; i++) z[i] = 1 + r.nextInt(8);
            for (int k = 0; k < 3 * n; k++) { p[k] = 4 * r.nextDouble() + 40 * m; f[k] = r.nextGaussian(); }
            frames.add(new Frame(z, p, -r.nextDouble(), f));
        }
        GraphBatch all = NeighborList.batch(frames, 5.0);
        for (int[] range : new int[][]{{0, 1}, {1, 4}, {4, 5}, {0, 5}}) {
            GraphBatch part = all.molecules(range[0], range[1]), alone = NeighborList.batch(frames.subList(range[0], range[1]), 5.0);
            String what = "molecules " + range[0] + ".." + range[1];
            assertArrayEquals(alone.atomicNumbers(), part.atomicNumbers(), what);
            assertArrayEquals(alone.positions(), part.positions(), what);
            assertArrayEquals(alone.moleculeOfAtom(), part.moleculeOfAtom(), what);
            assertArrayEquals(alone.atomOffsets(), part.atomOffsets(), what);
            assertArrayEquals(alone.center(), part.center(), what);
            assertArrayEquals(alone.neighbor(), part.neighbor(), what);
            assertArrayEquals(alone.energies(), part.energies(), what);
            assertArrayEquals(alone.forces(), part.forces(), what);
        }
        assertThrows(IllegalArgumentException.class, () -> all.molecules(2, 2));
        assertThrows(IllegalArgumentException.class, () -> all.molecules(3, 6));
    }
}
