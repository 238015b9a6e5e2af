package org.gaq.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Rmd17ReaderTest {
    @TempDir Path tmp;

    @Test
    void readsRealEthanol() throws IOException {
        Path file = TestData.requireShared("rmd17/rmd17_ethanol_train_01.npz");
        Dataset d = Rmd17Reader.read(file);
        assertEquals("rmd17_ethanol_train_01", d.name());
        assertEquals(1000, d.size());
        Frame f0 = d.frame(0);
        assertEquals(9, f0.numAtoms());
        // nuclear_charges of ethanol in rMD17: C C O H H H H H H
        assertArrayEquals(new int[] {6, 6, 8, 1, 1, 1, 1, 1, 1}, f0.atomicNumbers());
        assertEquals("C2H6O", Elements.formula(f0.atomicNumbers()));
        // First frame, values checked with numpy: energy −97079.92222179 kcal/mol.
        assertEquals(-97079.92222179 * 0.0433641, f0.energy(), 1e-6);
        assertEquals(-0.17406277, f0.positions()[0], 1e-8);
        assertEquals(-17.64730699 * 0.0433641, f0.forces()[0], 1e-8);
        assertEquals(40.70575377 * 0.0433641, f0.forces()[2], 1e-8);
        for (Frame f : d.frames()) {
            assertEquals(-97076 * Units.KCAL_PER_MOL_IN_EV, f.energy(), 20 * Units.KCAL_PER_MOL_IN_EV);
            assertTrue(f.hasForces());
        }
        // Net force of an isolated molecule vanishes (F = −dE/dR of a translation-invariant E).
        double[] net = new double[3];
        for (int i = 0; i < 9; i++) for (int k = 0; k < 3; k++) net[k] += f0.forces()[3 * i + k];
        for (double c : net) assertEquals(0, c, 1e-3);
    }

    @Test
    void readsSyntheticFileAndConvertsUnits() throws IOException {
        Path f = TestData.writeNpz(tmp.resolve("w.npz"), TestData.validArrays());
        Dataset d = Rmd17Reader.read(f);
        assertEquals(2, d.size());
        assertArrayEquals(new int[] {8, 1, 1}, d.frame(1).atomicNumbers());
        assertEquals(-47001.25 * 0.0433641, d.frame(1).energy(), 1e-9);
        assertEquals(0.01, d.frame(1).positions()[2]);
        assertEquals((0.5 * 9 - 4) * 0.0433641, d.frame(1).forces()[0], 1e-12);
    }

    private DataFormatException fails(Map<String, byte[]> arrays) throws IOException {
        Path f = TestData.writeNpz(tmp.resolve("bad.npz"), arrays);
        DataFormatException e = assertThrows(DataFormatException.class, () -> Rmd17Reader.read(f));
        assertTrue(e.getMessage().contains("bad.npz"), "message names the file: " + e.getMessage());
        return e;
    }

    @Test
    void emptyFile() throws IOException {
        Path f = Files.write(tmp.resolve("empty.npz"), new byte[0]);
        var e = assertThrows(DataFormatException.class, () -> Rmd17Reader.read(f));
        assertTrue(e.getMessage().contains("empty.npz") && e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void notAZip() throws IOException {
        Path f = Files.writeString(tmp.resolve("text.npz"), "this is not a zip archive\n");
        var e = assertThrows(DataFormatException.class, () -> Rmd17Reader.read(f));
        assertTrue(e.getMessage().contains("text.npz") && e.getMessage().contains("zip"), e.getMessage());
    }

    @Test
    void truncatedZip() throws IOException {
        byte[] full = TestData.zipBytes(TestData.validArrays(), tmp);
        Path f = Files.write(tmp.resolve("trunc.npz"), Arrays.copyOf(full, full.length / 2));
        var e = assertThrows(DataFormatException.class, () -> Rmd17Reader.read(f));
        assertTrue(e.getMessage().contains("trunc.npz") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void missingKey() throws IOException {
        var a = TestData.validArrays();
        a.remove("forces");
        var e = fails(a);
        assertTrue(e.getMessage().contains("missing array 'forces'"), e.getMessage());
        assertTrue(e.getMessage().contains("coords.npy"), "lists what the archive contains: " + e.getMessage());
    }

    @Test
    void wrongDtype() throws IOException {
        var a = TestData.validArrays();
        a.put("energies", TestData.npy("<i8", "(2,)", TestData.i8(-47000, -47001)));
        var e = fails(a);
        assertTrue(e.getMessage().contains("'energies'") && e.getMessage().contains("<i8")
                && e.getMessage().contains("float64"), e.getMessage());
    }

    @Test
    void wrongShape() throws IOException {
        var a = TestData.validArrays();
        a.put("coords", TestData.npy("<f8", "(2, 9)", TestData.f8(new double[18])));
        var e = fails(a);
        assertTrue(e.getMessage().contains("(2, 9)") && e.getMessage().contains("expected (frames, N, 3)"), e.getMessage());
    }

    @Test
    void atomCountsDisagree() throws IOException {
        var a = TestData.validArrays();
        a.put("nuclear_charges", TestData.npy("|u1", "(4,)", TestData.u1(8, 1, 1, 1)));
        var e = fails(a);
        assertTrue(e.getMessage().contains("(2, 3, 3)") && e.getMessage().contains("expected (2, 4, 3)"), e.getMessage());
    }

    @Test
    void frameCountsDisagree() throws IOException {
        var a = TestData.validArrays();
        a.put("energies", TestData.npy("<f8", "(3,)", TestData.f8(1, 2, 3)));
        var e = fails(a);
        assertTrue(e.getMessage().contains("expected (3, 3, 3)"), e.getMessage());
    }

    @Test
    void nanValueNamesArrayAndFrame() throws IOException {
        var a = TestData.validArrays();
        double[] forces = new double[18];
        forces[9 + 4] = Double.NaN; // frame 1, atom 1, y
        a.put("forces", TestData.npy("<f8", "(2, 3, 3)", TestData.f8(forces)));
        var e = fails(a);
        assertTrue(e.getMessage().contains("'forces'") && e.getMessage().contains("frame 1, atom 1, component y"),
                e.getMessage());
    }

    @Test
    void infiniteEnergy() throws IOException {
        var a = TestData.validArrays();
        a.put("energies", TestData.npy("<f8", "(2,)", TestData.f8(-1, Double.NEGATIVE_INFINITY)));
        var e = fails(a);
        assertTrue(e.getMessage().contains("'energies'") && e.getMessage().contains("frame 1"), e.getMessage());
    }

    @Test
    void unknownElement() throws IOException {
        var a = TestData.validArrays();
        a.put("nuclear_charges", TestData.npy("|u1", "(3,)", TestData.u1(8, 1, 0)));
        var e = fails(a);
        assertTrue(e.getMessage().contains("'nuclear_charges'[2] = 0"), e.getMessage());
    }

    @Test
    void truncatedArrayData() throws IOException {
        var a = TestData.validArrays();
        byte[] good = a.get("coords");
        a.put("coords", Arrays.copyOf(good, good.length - 8));
        var e = fails(a);
        assertTrue(e.getMessage().contains("'coords'") && e.getMessage().contains("truncated data"), e.getMessage());
    }

    @Test
    void noFrames() throws IOException {
        var a = TestData.validArrays();
        a.put("energies", TestData.npy("<f8", "(0,)", new byte[0]));
        a.put("coords", TestData.npy("<f8", "(0, 3, 3)", new byte[0]));
        a.put("forces", TestData.npy("<f8", "(0, 3, 3)", new byte[0]));
        var e = fails(a);
        assertTrue(e.getMessage().contains("no frames"), e.getMessage());
    }

    @Test
    void bigEndianFloatsAreAccepted() throws IOException {
        var a = TestData.validArrays();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.BIG_ENDIAN);
        b.putDouble(-10).putDouble(-20);
        a.put("energies", TestData.npy(">f8", "(2,)", b.array()));
        Path f = TestData.writeNpz(tmp.resolve("be.npz"), a);
        assertEquals(-20 * Units.KCAL_PER_MOL_IN_EV, Rmd17Reader.read(f).frame(1).energy(), 1e-12);
    }
}
