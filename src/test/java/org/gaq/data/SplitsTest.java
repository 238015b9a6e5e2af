package org.gaq.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SplitsTest {

    /** Frames whose energy is their index, so a frame's identity can be read back. */
    static Dataset indexed(String name, int n) {
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < n; i++) frames.add(new Frame(new int[] {1}, new double[] {0, 0, i}, i, null));
        return new Dataset(name, frames);
    }

    static Set<Integer> ids(Dataset d) {
        Set<Integer> s = new HashSet<>();
        for (Frame f : d.frames()) s.add((int) f.energy());
        return s;
    }

    @Test
    void rmd17ProtocolSizesDisjointDeterministic() {
        Dataset train = indexed("train_01", 1000), test = indexed("test_01", 1000);
        Split a = Splits.rmd17(train, test, 42);
        assertEquals(950, a.train().size());
        assertEquals(50, a.validation().size());
        assertEquals(1000, a.test().size());
        Set<Integer> tr = ids(a.train()), va = ids(a.validation());
        assertEquals(950, tr.size());
        assertEquals(50, va.size());
        tr.retainAll(va);
        assertTrue(tr.isEmpty(), "train and validation overlap: " + tr);
        assertSame(test, a.test());

        Split b = Splits.rmd17(train, test, 42);
        assertEquals(a.validation().frames(), b.validation().frames());
        Split c = Splits.rmd17(train, test, 43);
        assertNotEquals(ids(a.validation()), ids(c.validation()), "another seed gives another split");
        // validation is not simply the first or last 50 frames
        assertNotEquals(Set.copyOf(range(950, 1000)), ids(a.validation()));
        assertNotEquals(Set.copyOf(range(0, 50)), ids(a.validation()));
        // parts keep file order
        List<Frame> v = a.validation().frames();
        for (int i = 1; i < v.size(); i++) assertTrue(v.get(i - 1).energy() < v.get(i).energy());
    }

    @Test
    void permutationIsPinned() {
        // Pins the documented algorithm (Fisher–Yates over SplittableRandom): if it changes,
        // every published split changes, so this must fail loudly.
        int[] p = Splits.permutation(10, 7);
        int[] again = Splits.permutation(10, 7);
        assertArrayEquals(p, again);
        int[] sorted = p.clone();
        java.util.Arrays.sort(sorted);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, sorted);
        int[] expected = reference(10, 7);
        assertArrayEquals(expected, p);
    }

    private static int[] reference(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    @Test
    void singleFileSplitBySizesAndFractions() {
        Dataset all = indexed("qm9", 100);
        Split s = Splits.bySizes(all, 70, 10, 20, 1);
        assertEquals(70, s.train().size());
        assertEquals(10, s.validation().size());
        assertEquals(20, s.test().size());
        Set<Integer> union = new HashSet<>(ids(s.train()));
        union.addAll(ids(s.validation()));
        union.addAll(ids(s.test()));
        assertEquals(100, union.size(), "parts are disjoint and cover everything");

        // learning curve: more training data with the same seed keeps test/validation fixed
        Split smaller = Splits.bySizes(all, 30, 10, 20, 1);
        assertEquals(ids(s.test()), ids(smaller.test()));
        assertEquals(ids(s.validation()), ids(smaller.validation()));
        assertTrue(ids(s.train()).containsAll(ids(smaller.train())));

        Split f = Splits.byFractions(all, 0.1, 0.25, 3);
        assertEquals(65, f.train().size());
        assertEquals(10, f.validation().size());
        assertEquals(25, f.test().size());
        assertThrows(IllegalArgumentException.class, () -> Splits.bySizes(all, 90, 10, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Splits.byFractions(all, 0.5, 0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> Splits.rmd17(all, all, 100, 0));
    }

    @Test
    void realRmd17Split() throws Exception {
        var train = Rmd17Reader.read(TestData.requireShared("rmd17/rmd17_ethanol_train_01.npz"));
        var test = Rmd17Reader.read(TestData.requireShared("rmd17/rmd17_ethanol_test_01.npz"));
        Split s = Splits.rmd17(train, test, 0);
        assertEquals(950, s.train().size());
        assertEquals(50, s.validation().size());
        assertEquals(1000, s.test().size());
        IdentityHashMap<Frame, Boolean> seen = new IdentityHashMap<>();
        for (Frame f : s.train().frames()) seen.put(f, true);
        for (Frame f : s.validation().frames()) assertNull(seen.put(f, true), "frame in both train and validation");
        assertEquals(1000, seen.size());
    }

    private static List<Integer> range(int a, int b) {
        List<Integer> l = new ArrayList<>();
        for (int i = a; i < b; i++) l.add(i);
        return l;
    }
}
