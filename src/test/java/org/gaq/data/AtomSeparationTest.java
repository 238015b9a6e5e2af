package org.gaq.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Coincident atoms (closer than 0.1 Å) are refused when the data is loaded, naming the frame and the atoms. */
class AtomSeparationTest {

    @Test
    void aFrameWithCoincidentAtomsIsRefusedAtLoadTime(@TempDir Path dir) throws Exception {
        Path xyz = dir.resolve("bad.xyz");
        Files.writeString(xyz, "2\nProperties=species:S:1:pos:R:3 energy=-1.0 pbc=\"F F F\"\nH 0 0 0\nH 0 0 0.74\n"
                + "3\nProperties=species:S:1:pos:R:3 energy=-1.0 pbc=\"F F F\"\nO 5 5 5\nH 0 0 0\nH 0.05 0 0\n");
        DataSource.Source source = DataSource.resolve(xyz.toString(), null, Map.of(), dir, null);
        DataFormatException e = assertThrows(DataFormatException.class, source::load);
        assertTrue(e.getMessage().contains("bad.xyz") && e.getMessage().contains("frame 1")
                && e.getMessage().contains("atoms 1 (H) and 2 (H)") && e.getMessage().contains("0.1 Å"), e.getMessage());
    }

    @Test
    void findsTheClosePairWhereverItIsAndAcceptsRealBonds() {
        assertNull(AtomSeparation.closePair(new Frame(new int[]{1, 1}, new double[]{0, 0, 0, 0.74, 0, 0}, -1, null)), "H₂ is fine");
        // Spread along x, the close pair in the middle of the sweep and apart in y only.
        double[] r = {0, 0, 0, 3, 0, 0, 1.5, 0, 0, 1.5, 0.09, 0, 6, 0, 0};
        String p = AtomSeparation.closePair(new Frame(new int[]{6, 6, 8, 1, 1}, r, -1, null));
        assertNotNull(p);
        assertTrue(p.startsWith("atoms 2 (O) and 3 (H) are 0.090 Å apart"), p);
    }
}
