package org.gaq.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Qm9XyzTest {
    @TempDir Path tmp;

    @Test
    void readsReducedQm9() throws IOException {
        Path file = TestData.requireShared("qm9/qm9_reduced_100.xyz");
        Dataset d = Qm9Xyz.read(file);
        assertEquals(100, d.size());
        Frame methane = d.frame(0);
        assertArrayEquals(new int[] {6, 1, 1, 1, 1}, methane.atomicNumbers());
        assertEquals(-40.47893 * 27.211386245988, methane.energy(), 1e-9); // U0 of CH4 in Hartree → eV
        assertNull(methane.forces());
        assertArrayEquals(new int[] {7, 1, 1, 1}, d.frame(1).atomicNumbers()); // NH3
        assertEquals(-56.525887 * Units.HARTREE_IN_EV, d.frame(1).energy(), 1e-9);
        for (Frame f : d.frames()) {
            assertTrue(f.hasEnergy());
            assertTrue(f.energy() < -20 * Units.HARTREE_IN_EV && f.energy() > -500 * Units.HARTREE_IN_EV, f.toString());
        }
        var m = Qm9Xyz.readMolecules(file).get(0);
        assertEquals("0.044749", m.properties().get("zpve"));
        assertEquals("35.3641", m.properties().get("<R2>"));
    }

    @Test
    void missingU0IsAnError() throws IOException {
        Path f = Files.writeString(tmp.resolve("q.xyz"), "1\nProperties=species:S:1:pos:R:3 U=-1.0\nH 0 0 0\n");
        var e = assertThrows(DataFormatException.class, () -> Qm9Xyz.read(f));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("U0"), e.getMessage());
    }

    @Test
    void mathematicaExponentsOfOriginalQm9Files() throws IOException {
        Path f = Files.writeString(tmp.resolve("q.xyz"), "1\nU0=-0.5 pbc=\"F F F\"\nH 1.5*^-3 0 0\n");
        assertEquals(1.5e-3, Qm9Xyz.read(f).frame(0).positions()[0], 1e-15);
    }
}
