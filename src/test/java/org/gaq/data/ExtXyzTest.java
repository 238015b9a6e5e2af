package org.gaq.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtXyzTest {
    @TempDir Path tmp;

    private static final String WATER = """
            3
            Properties=species:S:1:pos:R:3:forces:R:3 energy=-2080.5 pbc="F F F"
            O 0.0 0.0 0.0 0.1 0.2 0.3
            H 0.96 0.0 0.0 -0.1 0.0 0.0
            H -0.24 0.93 0.0 0.0 -0.2 -0.3
            """;

    private Path write(String name, String content) throws IOException {
        return Files.writeString(tmp.resolve(name), content);
    }

    private DataFormatException fails(String content, int expectedLine) throws IOException {
        Path f = write("bad.xyz", content);
        var e = assertThrows(DataFormatException.class, () -> ExtXyz.read(f));
        assertTrue(e.getMessage().contains("bad.xyz"), e.getMessage());
        if (expectedLine > 0)
            assertTrue(e.getMessage().contains("line " + expectedLine + ":"), "expected line " + expectedLine + ": " + e.getMessage());
        return e;
    }

    @Test
    void readsEnergyForcesAndSpecies() throws IOException {
        Dataset d = ExtXyz.read(write("w.xyz", WATER + WATER.replace("-2080.5", "-2081")));
        assertEquals(2, d.size());
        Frame f = d.frame(1);
        assertArrayEquals(new int[] {8, 1, 1}, f.atomicNumbers());
        assertEquals(-2081.0, f.energy());
        assertEquals(0.93, f.positions()[7]);
        assertEquals(-0.3, f.forces()[8]);
    }

    @Test
    void propertiesOrderIsParsedGenerically() throws IOException {
        String s = """
                2
                energy=1.5 Properties=forces:R:3:charge:R:1:pos:R:3:Z:I:1 pbc="F F F"
                1 2 3 0.5 10 20 30 8
                4 5 6 -0.5 11 21 31 1
                """;
        Frame f = ExtXyz.read(write("g.xyz", s)).frame(0);
        assertArrayEquals(new int[] {8, 1}, f.atomicNumbers());
        assertArrayEquals(new double[] {10, 20, 30, 11, 21, 31}, f.positions());
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, f.forces());
        assertEquals(1.5, f.energy());
    }

    @Test
    void plainXyzWithoutPropertiesOrEnergy() throws IOException {
        Frame f = ExtXyz.read(write("p.xyz", "2\nsome title\nC 0 0 0\nO 0 0 1.13\n")).frame(0);
        assertTrue(Double.isNaN(f.energy()));
        assertNull(f.forces());
        assertEquals(1.13, f.positions()[5]);
    }

    @Test
    void energyUnitOption() throws IOException {
        Path f = write("k.xyz", WATER);
        Frame fr = ExtXyz.read(f, ExtXyz.ReadOptions.DEFAULT.withEnergyUnit(Units.EnergyUnit.KCAL_PER_MOL)).frame(0);
        assertEquals(-2080.5 * 0.0433641, fr.energy(), 1e-12);
        assertEquals(0.2 * 0.0433641, fr.forces()[1], 1e-15);
    }

    @Test
    void commentLineParsing() {
        Map<String, String> m = ExtXyz.parseComment(
                "Lattice=\"1 0 0 0 1 0 0 0 1\" Properties=species:S:1:pos:R:3 energy=-1e-3 flag name=\"a \\\"b\\\"\" v={1 2} pbc=\"F F F\"");
        assertEquals("1 0 0 0 1 0 0 0 1", m.get("Lattice"));
        assertEquals("-1e-3", m.get("energy"));
        assertEquals("T", m.get("flag"));
        assertEquals("a \"b\"", m.get("name"));
        assertEquals("1 2", m.get("v"));
        assertEquals("F F F", m.get("pbc"));
        assertThrows(IllegalArgumentException.class, () -> ExtXyz.parseComment("a=\"unterminated"));
    }

    @Test
    void roundTripWithAppendingWriter() throws IOException {
        Frame a = new Frame(new int[] {6, 8, 17, 35}, new double[] {0, 0, 0, 1.128, 0, 0, -1.7, 0.3, 0.1, 2.0, -1.0, 3.25},
                -1234.567890123, new double[] {0.1, -0.2, 0.3, 1e-4, 5, -6, 7.25, 0, 0, 1, 2, 3});
        Frame b = Frame.unlabeled(new int[] {1, 1}, new double[] {0, 0, 0, 0, 0, 0.74});
        Path out = tmp.resolve("traj.xyz");
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("step", 10);
        info.put("time_fs", 5.0);
        info.put("comment", "hello world");
        info.put("vec", new double[] {1.5, 2.5});
        try (ExtXyz.Writer w = ExtXyz.Writer.create(out)) {
            w.write(a, info);
            // flushed per frame: readable before close
            assertEquals(1, ExtXyz.read(out).size());
        }
        try (ExtXyz.Writer w = ExtXyz.Writer.append(out)) {
            w.write(b);
        }
        List<ExtXyz.Entry> back = ExtXyz.readEntries(out, ExtXyz.ReadOptions.DEFAULT);
        assertEquals(2, back.size());
        Frame a2 = back.get(0).frame();
        assertArrayEquals(a.atomicNumbers(), a2.atomicNumbers());
        assertArrayEquals(a.positions(), a2.positions(), 1e-10);
        assertArrayEquals(a.forces(), a2.forces(), 1e-10);
        assertEquals(a.energy(), a2.energy(), 0.0); // energy written with full precision
        assertEquals("10", back.get(0).info().get("step"));
        assertEquals("hello world", back.get(0).info().get("comment"));
        assertEquals("1.5 2.5", back.get(0).info().get("vec"));
        assertEquals("F F F", back.get(0).info().get("pbc"));
        Frame b2 = back.get(1).frame();
        assertTrue(Double.isNaN(b2.energy()));
        assertNull(b2.forces());
        assertEquals(0.74, b2.positions()[5], 1e-12);
        String text = Files.readString(out);
        assertTrue(text.contains("Properties=species:S:1:pos:R:3:forces:R:3 energy=-1234.567890123 step=10"), text);
        assertTrue(text.contains("\nProperties=species:S:1:pos:R:3 pbc=\"F F F\"\n"), text);
        assertThrows(IllegalArgumentException.class, () -> {
            try (ExtXyz.Writer w = ExtXyz.Writer.append(out)) {
                w.write(b, Map.of("energy", 1.0));
            }
        });
    }

    @Test
    void emptyFile() throws IOException {
        var e = fails("", -1);
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void badAtomCount() throws IOException {
        var e = fails(WATER + "three\ncomment\n", 6);
        assertTrue(e.getMessage().contains("number of atoms") && e.getMessage().contains("'three'"), e.getMessage());
        fails("-2\ncomment\n", 1);
    }

    @Test
    void tooFewColumns() throws IOException {
        var e = fails(WATER.replace("H 0.96 0.0 0.0 -0.1 0.0 0.0", "H 0.96 0.0 0.0 -0.1"), 4);
        assertTrue(e.getMessage().contains("too few columns: found 5") && e.getMessage().contains("needs 7"), e.getMessage());
    }

    @Test
    void nonNumeric() throws IOException {
        var e = fails(WATER + WATER.replace("-0.24 0.93", "-0.24 O.93"), 10);
        assertTrue(e.getMessage().contains("non-numeric position value 'O.93'"), e.getMessage());
        var e2 = fails(WATER.replace("energy=-2080.5", "energy=lots"), 2);
        assertTrue(e2.getMessage().contains("'energy'"), e2.getMessage());
    }

    @Test
    void unknownElement() throws IOException {
        var e = fails(WATER.replace("O 0.0 0.0 0.0", "Xx 0.0 0.0 0.0"), 3);
        assertTrue(e.getMessage().contains("unknown element 'Xx'"), e.getMessage());
    }

    @Test
    void missingPropertiesWhenExtraColumns() throws IOException {
        var e = fails(WATER.replace("Properties=species:S:1:pos:R:3:forces:R:3 ", ""), 3);
        assertTrue(e.getMessage().contains("needs a Properties= key"), e.getMessage());
    }

    @Test
    void malformedProperties() throws IOException {
        var e = fails(WATER.replace("forces:R:3", "forces:R"), 2);
        assertTrue(e.getMessage().contains("malformed Properties"), e.getMessage());
        var e2 = fails(WATER.replace("pos:R:3", "xyz:R:3"), 2);
        assertTrue(e2.getMessage().contains("no pos:R:3"), e2.getMessage());
    }

    @Test
    void truncatedFile() throws IOException {
        String cut = WATER + "3\n" + WATER.lines().skip(1).limit(2).reduce("", (x, y) -> x + y + "\n");
        // frame 2: count at line 6, comment line 7, one atom (line 8), then EOF
        var e = fails(cut, 9);
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("line 6")
                && e.getMessage().contains("declares 3 atoms"), e.getMessage());
        var e2 = fails(WATER + "3\n", 7);
        assertTrue(e2.getMessage().contains("before its comment line"), e2.getMessage());
    }

    @Test
    void periodicFramesRejected() throws IOException {
        var e = fails(WATER.replace("pbc=\"F F F\"", "pbc=\"T T T\" Lattice=\"9 0 0 0 9 0 0 0 9\""), 2);
        assertTrue(e.getMessage().contains("periodic"), e.getMessage());
    }

    @Test
    void blankLineInsideFileIsAnError() throws IOException {
        fails(WATER + "\n" + WATER, 6);
        assertEquals(1, ExtXyz.read(write("trail.xyz", WATER + "\n\n")).size()); // trailing blanks are fine
    }

    /**
     * The shared extxyz ethanol file holds 1000 rMD17 ethanol frames in kcal/mol units (not eV,
     * despite ASE's convention). It is a different sample from split 01, but some frames overlap:
     * frame 185 of the xyz file is frame 302 of train_01 (found with numpy; energies equal).
     */
    @Test
    void realEthanolExtxyzAgreesWithNpzOnSharedFrame() throws IOException {
        Path xyz = TestData.requireShared("extxyz/rmd17_ethanol_1000.xyz");
        Path npz = TestData.requireShared("rmd17/rmd17_ethanol_train_01.npz");
        Dataset x = ExtXyz.read(xyz, ExtXyz.ReadOptions.DEFAULT.withEnergyUnit(Units.EnergyUnit.KCAL_PER_MOL));
        assertEquals(1000, x.size());
        assertArrayEquals(new int[] {6, 6, 8, 1, 1, 1, 1, 1, 1}, x.frame(0).atomicNumbers());
        assertEquals(-97078.10995362196 * 0.0433641, x.frame(0).energy(), 1e-9);
        for (Frame f : x.frames()) assertEquals(-97076 * 0.0433641, f.energy(), 20 * 0.0433641);

        Frame fx = x.frame(185);
        Frame fn = Rmd17Reader.read(npz).frame(302);
        assertArrayEquals(fn.atomicNumbers(), fx.atomicNumbers());
        assertArrayEquals(fn.positions(), fx.positions(), 1e-8);
        assertArrayEquals(fn.forces(), fx.forces(), 1e-7 * 0.0433641);
        assertEquals(fn.energy(), fx.energy(), 1e-6);
        // ... and it is not the first frame of the npz (different sampling).
        assertNotEquals(Rmd17Reader.read(npz).frame(0).energy(), x.frame(0).energy(), 1e-3);
    }
}
