package org.gaq.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Reads QM9 molecules in either of two layouts, told apart by the first comment line:
 * <ul>
 * <li>extended XYZ (metatrain's {@code qm9_reduced_100.xyz}): {@code Properties=species:S:1:pos:R:3} and the 15
 * QM9 scalar properties as key=value pairs in the comment line (A B C mu alpha epsHOMO epsLUMO epsgap &lt;R2&gt;
 * zpve U0 U H G Cv);</li>
 * <li>the original QM9 files ({@code dsgdb9nsd_NNNNNN.xyz} of the figshare record, one molecule each, or many of
 * them concatenated into one file): the comment line {@code gdb <index>} and the same 15 values, tab-separated;
 * atom lines with a fifth column (Mulliken charge); after the atoms three lines (harmonic frequencies, SMILES,
 * InChI). Exponents may be Mathematica-style ({@code 1.2*^-5}).</li>
 * </ul>
 *
 * <p>Frames get energy = U0 (internal energy at 0 K, given in Hartree) converted to eV, and no
 * forces (QM9 has none: molecules are at their relaxed geometries).
 */
public final class Qm9Xyz {
    private Qm9Xyz() {}

    /** Comment-line key of the energy label. */
    public static final String ENERGY_KEY = "U0";

    /** The 15 properties of an original QM9 comment line, after "gdb" and the molecule's index, in file order. */
    static final List<String> PROPERTIES = List.of("A", "B", "C", "mu", "alpha", "epsHOMO", "epsLUMO", "epsgap", "<R2>",
            "zpve", "U0", "U", "H", "G", "Cv");

    /** QM9 frame plus its comment-line properties, unconverted (QM9's native units). */
    public record Molecule(Frame frame, Map<String, String> properties) {}

    public static Dataset read(Path file) throws IOException {
        List<Frame> frames = new ArrayList<>();
        for (Molecule m : readMolecules(file)) frames.add(m.frame());
        return new Dataset(ExtXyz.baseName(file), frames);
    }

    public static List<Molecule> readMolecules(Path file) throws IOException {
        if (isOriginalLayout(file)) return readOriginal(file);
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

    /** True if the file's first comment line is an original QM9 one ("gdb 1 …"). */
    static boolean isOriginalLayout(Path file) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "QM9 file not found");
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            in.readLine();
            return isOriginalComment(in.readLine());
        }
    }

    static boolean isOriginalComment(String comment) {
        return comment != null && comment.strip().matches("gdb\\s+\\d+(\\s.*)?");
    }

    /** Molecules in the original layout, one after the other. */
    private static List<Molecule> readOriginal(Path file) throws IOException {
        List<Molecule> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long lineNo = 0;
            String line;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                long start = lineNo;
                int n;
                try {
                    n = Integer.parseInt(line.strip());
                } catch (NumberFormatException e) {
                    throw DataFormatException.atLine(file, lineNo, "expected the number of atoms of a QM9 molecule, found '" + line.strip() + "'");
                }
                if (n <= 0) throw DataFormatException.atLine(file, lineNo, "atom count must be positive, found " + n);
                String comment = next(in, file, ++lineNo, start);
                String[] p = comment.strip().split("\\s+");
                if (!isOriginalComment(comment) || p.length != 2 + PROPERTIES.size()) {
                    throw DataFormatException.atLine(file, lineNo, "expected 'gdb <index>' and the " + PROPERTIES.size()
                            + " QM9 properties, found " + p.length + " fields");
                }
                Map<String, String> properties = new LinkedHashMap<>();
                properties.put("index", p[1]);
                for (int k = 0; k < PROPERTIES.size(); k++) properties.put(PROPERTIES.get(k), p[2 + k]);
                double energy = number(file, lineNo, properties.get(ENERGY_KEY), ENERGY_KEY) * Units.HARTREE_IN_EV;
                int[] z = new int[n];
                double[] positions = new double[3 * n];
                for (int i = 0; i < n; i++) {
                    String[] cols = next(in, file, ++lineNo, start).strip().split("\\s+");
                    if (cols.length < 4) throw DataFormatException.atLine(file, lineNo, "an atom line needs an element and x y z, found " + cols.length + " columns");
                    OptionalInt zi = Elements.atomicNumber(cols[0]);
                    if (zi.isEmpty()) throw DataFormatException.atLine(file, lineNo, "unknown element '" + cols[0] + "'");
                    z[i] = zi.getAsInt();
                    for (int k = 0; k < 3; k++) positions[3 * i + k] = number(file, lineNo, cols[1 + k], "position");
                }
                next(in, file, ++lineNo, start);                                             // harmonic frequencies
                properties.put("SMILES", next(in, file, ++lineNo, start).strip().split("\\s+")[0]);
                next(in, file, ++lineNo, start);                                             // InChI
                out.add(new Molecule(new Frame(z, positions, energy, null), Collections.unmodifiableMap(properties)));
            }
            if (out.isEmpty()) throw new DataFormatException(file, "file contains no molecules");
        }
        return out;
    }

    private static String next(BufferedReader in, Path file, long lineNo, long start) throws IOException {
        String line = in.readLine();
        if (line == null) {
            throw DataFormatException.atLine(file, lineNo, "truncated file: the QM9 molecule starting at line " + start
                    + " ends early (an original QM9 molecule is: atom count, gdb line, atoms, frequencies, SMILES, InChI)");
        }
        return line;
    }

    private static double number(Path file, long lineNo, String token, String what) throws DataFormatException {
        try {
            double v = Double.parseDouble(token.replace("*^", "e"));   // Mathematica-style exponents
            if (Double.isFinite(v)) return v;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw DataFormatException.atLine(file, lineNo, "non-numeric " + what + " value '" + token + "'");
    }
}
