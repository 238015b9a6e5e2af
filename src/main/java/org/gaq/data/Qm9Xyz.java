package org.gaq.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads QM9 molecules stored as extended XYZ (the format of metatrain's
 * {@code qm9_reduced_100.xyz}): {@code Properties=species:S:1:pos:R:3} and the 15 QM9 scalar
 * properties in the comment line (A B C mu alpha epsHOMO epsLUMO epsgap &lt;R2&gt; zpve U0 U H G Cv).
 *
 * <p>Frames get energy = U0 (internal energy at 0 K, given in Hartree) converted to eV, and no
 * forces (QM9 has none: molecules are at their relaxed geometries).
 */
public final class Qm9Xyz {
    private Qm9Xyz() {}

    /** Comment-line key of the energy label. */
    public static final String ENERGY_KEY = "U0";

    /** QM9 frame plus its comment-line properties, unconverted (QM9's native units). */
    public record Molecule(Frame frame, Map<String, String> properties) {}

    public static Dataset read(Path file) throws IOException {
        List<Frame> frames = new ArrayList<>();
        for (Molecule m : readMolecules(file)) frames.add(m.frame());
        return new Dataset(ExtXyz.baseName(file), frames);
    }

    public static List<Molecule> readMolecules(Path file) throws IOException {
        ExtXyz.ReadOptions options = ExtXyz.ReadOptions.DEFAULT
                .withEnergyKey(ENERGY_KEY)
                .withEnergyUnit(Units.EnergyUnit.HARTREE);
        List<Molecule> out = new ArrayList<>();
        for (ExtXyz.Entry e : ExtXyz.readEntries(file, options)) {
            if (ExtXyz.get(e.info(), ENERGY_KEY) == null)
                throw DataFormatException.atLine(file, e.commentLine(),
                        "QM9 frame without " + ENERGY_KEY + "= in its comment line");
            out.add(new Molecule(e.frame(), e.info()));
        }
        return out;
    }
}
