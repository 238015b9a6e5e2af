package org.gaq.serve;

import org.gaq.data.DataSource;
import org.gaq.data.Dataset;
import org.gaq.data.Elements;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The elements of the atoms a server will send, in its order: the i-PI protocol transmits positions
 * only. From {@code rmd17:<molecule>} (its first frame), an rMD17-style {@code .npz}, or the first
 * frame of an XYZ file.
 *
 * <p>For XYZ only the species column is read, deliberately: the structure a user gives i-PI or ASE
 * may be periodic (a molecule in a box, with {@code --ignore-cell}), carry i-PI's
 * {@code # CELL(abcABC): …} comment, or anything else in the comment line, none of which matters
 * here; gaq's data reader ({@link org.gaq.data.ExtXyz}) would rightly reject periodic frames as
 * training data.
 */
public final class StructureElements {
    private StructureElements() {}

    /** Atomic numbers of the first structure in {@code spec}. */
    public static int[] read(String spec, Path dataDir) throws IOException {
        String lower = spec.strip().toLowerCase(Locale.ROOT);
        if (lower.endsWith(".xyz") || lower.endsWith(".extxyz")) return fromXyz(Path.of(spec.strip()));
        Dataset set = DataSource.resolve(spec, dataDir).load();
        if (set.size() == 0) throw new IllegalArgumentException(spec + " has no frames");
        return set.frame(0).atomicNumbers();
    }

    /** The species column (first token of each atom line) of the first frame. */
    static int[] fromXyz(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "structure file not found");
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = in.readLine();
            int n;
            try {
                n = Integer.parseInt(first == null ? "" : first.strip());
            } catch (NumberFormatException e) {
                throw new IOException(file + ": line 1 must be the number of atoms, not '" + first + "'");
            }
            if (n <= 0) throw new IOException(file + ": line 1: the number of atoms must be positive, not " + n);
            in.readLine();   // comment line: cell, properties, energies — not needed
            int[] z = new int[n];
            for (int i = 0; i < n; i++) {
                String line = in.readLine();
                if (line == null || line.isBlank())
                    throw new IOException(file + ": line " + (i + 3) + ": expected atom " + (i + 1) + " of " + n + ", found "
                            + (line == null ? "the end of the file" : "an empty line"));
                String symbol = line.strip().split("\\s+")[0];
                var known = Elements.atomicNumber(symbol);
                if (known.isEmpty()) throw new IOException(file + ": line " + (i + 3) + ": unknown element '" + symbol + "'");
                z[i] = known.getAsInt();
            }
            return z;
        }
    }
}
