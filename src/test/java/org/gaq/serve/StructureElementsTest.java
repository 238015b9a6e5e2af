package org.gaq.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class StructureElementsTest {

    @Test
    void xyzGivesTheSpeciesColumnWhateverTheCommentLine(@TempDir Path dir) throws IOException {
        Path ipi = dir.resolve("ipi.xyz");
        Files.writeString(ipi, "3\n# CELL(abcABC):   10.0  10.0  10.0  90.0  90.0  90.0  Step: 0  Bead: 0 positions{angstrom}\n"
                + "O 0 0 0\nH 0.96 0 0\nH -0.24 0.93 0\nxx\n");
        assertArrayEquals(new int[]{8, 1, 1}, StructureElements.read(ipi.toString(), null));
        Path periodic = dir.resolve("box.extxyz");
        Files.writeString(periodic, "2\nLattice=\"10 0 0 0 10 0 0 0 10\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n"
                + "C 0 0 0\nO 1.13 0 0\n");
        assertArrayEquals(new int[]{6, 8}, StructureElements.read(periodic.toString(), null));
    }

    @Test
    void badXyzIsNamed(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.xyz");
        Files.writeString(bad, "3\ncomment\nO 0 0 0\nQq 1 0 0\n");
        IOException e = assertThrows(IOException.class, () -> StructureElements.read(bad.toString(), null));
        assertTrue(e.getMessage().endsWith("line 4: unknown element 'Qq'"), e.getMessage());
        Files.writeString(bad, "3\ncomment\nO 0 0 0\n");
        e = assertThrows(IOException.class, () -> StructureElements.read(bad.toString(), null));
        assertTrue(e.getMessage().contains("line 4: expected atom 2 of 3, found the end of the file"), e.getMessage());
        assertThrows(IOException.class, () -> StructureElements.read(dir.resolve("none.xyz").toString(), null));
    }

    @Test
    void rmd17SpecGivesTheFirstFramesElements() throws IOException {
        Path data = Path.of("..", "shared", "data", "rmd17", "rmd17_ethanol_train_01.npz");
        assumeTrue(Files.isRegularFile(data), "rMD17 ethanol not at " + data);
        assertArrayEquals(new int[]{6, 6, 8, 1, 1, 1, 1, 1, 1}, StructureElements.read("rmd17:ethanol", null));
    }
}
