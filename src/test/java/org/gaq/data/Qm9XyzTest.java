package org.gaq.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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

    /** Methane as dsgdb9nsd_000001.xyz of the original QM9 files (tab-separated, Mulliken charges, three trailing lines). */
    static final String METHANE_ORIGINAL = """
            5
            gdb 1\t157.7118\t157.70997\t157.70699\t0.\t13.21\t-0.3877\t0.1171\t0.5048\t35.3641\t0.044749\t-40.47893\t-40.476062\t-40.475117\t-40.498597\t6.469\t
            C\t-0.0126981359\t 1.0858041578\t 0.0080009958\t-0.535689
            H\t 0.002150416\t-0.0060313176\t 0.0019761204\t 0.133921
            H\t 1.0117308433\t 1.4637511618\t 0.0002765748\t 0.133922
            H\t-0.540815069\t 1.4475266138\t-0.8766437152\t 0.133923
            H\t-0.5238136345\t 1.4379326443\t 0.9063972942\t 0.133923
            1341.307\t1341.3284\t1341.365\t1562.6731\t1562.7453\t3038.3205\t3151.6034\t3151.6788\t3151.7078
            C\tC\t
            InChI=1S/CH4/h1H4\tInChI=1S/CH4/h1H4
            """;

    @Test
    void originalQm9FilesConcatenatedReadAsTheExtendedXyzOnes() throws IOException {
        Frame reduced = Qm9Xyz.read(TestData.requireShared("qm9/qm9_reduced_100.xyz")).frame(0);
        Path f = Files.writeString(tmp.resolve("qm9_all.xyz"), METHANE_ORIGINAL + METHANE_ORIGINAL.replace("gdb 1\t", "gdb 2\t"));
        var molecules = Qm9Xyz.readMolecules(f);
        assertEquals(2, molecules.size());
        Frame methane = molecules.get(0).frame();
        assertArrayEquals(reduced.atomicNumbers(), methane.atomicNumbers());
        assertArrayEquals(reduced.positions(), methane.positions(), 1e-8, "the same molecule, 10 decimals against 8");
        assertEquals(reduced.energy(), methane.energy(), 0, "U0 in Hartree → eV");
        assertNull(methane.forces());
        assertEquals("2", molecules.get(1).properties().get("index"));
        assertEquals("C", molecules.get(0).properties().get("SMILES"));
        assertEquals("0.044749", molecules.get(0).properties().get("zpve"));
        var source = DataSource.resolve(f.toString(), null, Map.of(), tmp, null);
        assertEquals(DataSource.Format.QM9_XYZ, source.format(), "recognised by its gdb comment line");
    }

    @Test
    void aTruncatedOriginalQm9FileNamesTheMoleculeAndLine() throws IOException {
        String cut = METHANE_ORIGINAL.substring(0, METHANE_ORIGINAL.indexOf("1341.307"));
        Path f = Files.writeString(tmp.resolve("cut.xyz"), METHANE_ORIGINAL + cut);
        var e = assertThrows(DataFormatException.class, () -> Qm9Xyz.read(f));
        assertTrue(e.getMessage().contains("line 18") && e.getMessage().contains("starting at line 11"), e.getMessage());
    }

    @Test
    void mathematicaExponentsOfOriginalQm9Files() throws IOException {
        Path f = Files.writeString(tmp.resolve("q.xyz"), "1\nU0=-0.5 pbc=\"F F F\"\nH 1.5*^-3 0 0\n");
        assertEquals(1.5e-3, Qm9Xyz.read(f).frame(0).positions()[0], 1e-15);
    }
}
