package org.gaq.model;

import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.train.Rotations;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The per-atom frames of local-frame quantization: orthonormal, right-handed, rotating with the molecule, and defined where they degenerate. */
class LocalFramesTest {
    private static final double CUTOFF = 5.0;

    /** Frames [n × 9] of a molecule, from the same edges the model builds (φ: the cosine cutoff). */
    static float[] frames(int[] z, double[] p) {
        GraphBatch g = NeighborList.batch(List.of(Frame.unlabeled(z, p)), CUTOFF);
        int e = g.numEdges();
        float[] unit = new float[3 * e], dist = new float[e], cutoff = new float[e];
        float[] r = g.positions();
        for (int k = 0; k < e; k++) {
            int i = g.center()[k], j = g.neighbor()[k];
            double x = r[3 * j] - r[3 * i], y = r[3 * j + 1] - r[3 * i + 1], w = r[3 * j + 2] - r[3 * i + 2];
            double d = Math.sqrt(x * x + y * y + w * w);
            unit[3 * k] = (float) (x / d);
            unit[3 * k + 1] = (float) (y / d);
            unit[3 * k + 2] = (float) (w / d);
            dist[k] = (float) d;
            cutoff[k] = d < CUTOFF ? (float) (0.5 * (Math.cos(Math.PI * d / CUTOFF) + 1)) : 0f;
        }
        float[] out = new float[9 * z.length];
        LocalFrames.compute(z.length, g.center(), e, unit, dist, cutoff, out);
        return out;
    }

    private static double[] axis(float[] f, int atom, int k) {
        int o = 9 * atom + 3 * k;
        return new double[]{f[o], f[o + 1], f[o + 2]};
    }

    private static double dot(double[] a, double[] b) {
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    }

    private static double[] times(double[] r, double[] v) {
        return Rotations.apply(r, v);
    }

    private static void assertOrthonormalRightHanded(float[] f, int atoms) {
        for (int i = 0; i < atoms; i++) {
            for (int a = 0; a < 3; a++) {
                for (int b = 0; b < 3; b++) assertEquals(a == b ? 1 : 0, dot(axis(f, i, a), axis(f, i, b)), 1e-6, "atom " + i + " axes " + a + "," + b);
            }
            double[] e1 = axis(f, i, 0), e2 = axis(f, i, 1), e3 = axis(f, i, 2);
            double[] cross = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]};
            for (int c = 0; c < 3; c++) assertEquals(cross[c], e3[c], 1e-6, "e3 = e1 × e2, atom " + i);
        }
    }

    @Test
    void framesAreOrthonormalRightHandedAndRotateWithTheMolecule() {
        SplittableRandom rng = new SplittableRandom(3);
        for (Frame m : TestMolecules.ethanolLike(5, 11)) {
            int[] z = m.atomicNumbers();
            float[] f = frames(z, m.positions());
            assertOrthonormalRightHanded(f, z.length);
            double[] r = Rotations.random(rng);
            float[] rotated = frames(z, Rotations.apply(r, m.positions()));
            assertOrthonormalRightHanded(rotated, z.length);
            for (int i = 0; i < z.length; i++) {
                for (int k = 0; k < 3; k++) {
                    double[] expected = times(r, axis(f, i, k)), got = axis(rotated, i, k);
                    for (int c = 0; c < 3; c++) assertEquals(expected[c], got[c], 1e-5, "atom " + i + " axis " + k);
                }
            }
        }
    }

    /** A mirror image: e1 and e2 are mirrored, e3 = e1 × e2 (a pseudovector) is mirrored and flipped. */
    @Test
    void underAReflectionTheThirdAxisFlips() {
        Frame m = TestMolecules.ethanolLike(1, 4).get(0);
        int[] z = m.atomicNumbers();
        double[] mirror = {1, 0, 0, 0, -1, 0, 0, 0, 1};
        float[] f = frames(z, m.positions()), g = frames(z, Rotations.apply(mirror, m.positions()));
        for (int i = 0; i < z.length; i++) {
            for (int k = 0; k < 3; k++) {
                double[] expected = times(mirror, axis(f, i, k)), got = axis(g, i, k);
                double sign = k == 2 ? -1 : 1;
                for (int c = 0; c < 3; c++) assertEquals(sign * expected[c], got[c], 1e-6, "atom " + i + " axis " + k);
            }
        }
    }

    /** Frames move continuously with the atoms where they are defined: a 10⁻⁴ Å move turns no axis by more than 10⁻³. */
    @Test
    void framesMoveContinuously() {
        Frame m = TestMolecules.ethanolLike(1, 8).get(0);
        double[] p = m.positions().clone();
        float[] before = frames(m.atomicNumbers(), p);
        p[4] += 1e-4;
        float[] after = frames(m.atomicNumbers(), p);
        double maxChange = 0;
        for (int k = 0; k < before.length; k++) maxChange = Math.max(maxChange, Math.abs(before[k] - after[k]));
        assertTrue(maxChange > 0 && maxChange < 1e-3, "largest change of an axis component: " + maxChange);
    }

    @Test
    void oneNeighbourGivesTheBondAsFirstAxisAndALaboratoryFallbackSecond() {
        double[] p = {0, 0, 0, 0.3, 0.5, 0.4};
        float[] f = frames(new int[]{1, 1}, p);
        assertOrthonormalRightHanded(f, 2);
        double d = Math.sqrt(0.5);
        double[] bond = {0.3 / d, 0.5 / d, 0.4 / d};
        for (int c = 0; c < 3; c++) {
            assertEquals(bond[c], axis(f, 0, 0)[c], 1e-6);
            assertEquals(-bond[c], axis(f, 1, 0)[c], 1e-6);
        }
        // e2: the laboratory axis least aligned with the bond (x, |0.42|), orthogonalised
        double[] e2 = axis(f, 0, 1);
        double[] x = {1 - bond[0] * bond[0], -bond[0] * bond[1], -bond[0] * bond[2]};
        double nx = Math.sqrt(dot(x, x));
        for (int c = 0; c < 3; c++) assertEquals(x[c] / nx, e2[c], 1e-6);
    }

    @Test
    void symmetricAndCollinearCentresFallBackToTheLaboratoryFrame() {
        double t = 1.09 / Math.sqrt(3);
        float[] methane = frames(new int[]{6, 1, 1, 1, 1}, new double[]{0, 0, 0, t, t, t, t, -t, -t, -t, t, -t, -t, -t, t});
        float[] co2 = frames(new int[]{8, 6, 8}, new double[]{-1.16, 0, 0, 0, 0, 0, 1.16, 0, 0});
        float[] identity = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        for (int k = 0; k < 9; k++) {
            assertEquals(identity[k], methane[k], 1e-6, "methane's carbon");
            assertEquals(identity[k], co2[9 + k], 1e-6, "CO2's carbon");
        }
        assertOrthonormalRightHanded(methane, 5);
        assertOrthonormalRightHanded(co2, 3);
        // a hydrogen of methane: e1 along its C–H axis (the sum of its neighbours' directions, by C3v symmetry)
        double[] e1 = axis(methane, 1, 0);
        for (int c = 0; c < 3; c++) assertEquals(-1 / Math.sqrt(3), e1[c], 1e-6);
        // an isolated atom (no edges): the laboratory frame
        float[] lonely = frames(new int[]{1}, new double[]{0, 0, 0});
        for (int k = 0; k < 9; k++) assertEquals(identity[k], lonely[k], 0);
    }

    @Test
    void unsortedEdgesAreRefused() {
        float[] out = new float[18];
        var ex = assertThrows(IllegalArgumentException.class, () -> LocalFrames.compute(2, new int[]{1, 0}, 2,
                new float[]{1, 0, 0, -1, 0, 0}, new float[]{1, 1}, new float[]{1, 1}, out));
        assertTrue(ex.getMessage().contains("sorted by centre"), ex.getMessage());
    }
}
