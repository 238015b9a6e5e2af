package org.gaq.data;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Extended XYZ in the ASE convention: per frame, an atom-count line, a comment line of
 * {@code key=value} pairs (with {@code Properties=name:type:ncols:...} describing the per-atom
 * columns, {@code energy=...}, {@code pbc="F F F"}), then one line per atom.
 *
 * <p>Units: positions Å; energy and forces are read in the unit given by
 * {@link ReadOptions#energyToEv()} (default eV, as ASE assumes) and converted to eV, eV/Å.
 * Note that some files in the wild store kcal/mol under the same keys (the shared
 * {@code extxyz/rmd17_ethanol_1000.xyz} does) — read those with
 * {@code ReadOptions.DEFAULT.withEnergyUnit(EnergyUnit.KCAL_PER_MOL)}.
 *
 * <p>Only non-periodic molecules are supported: a frame that is periodic ({@code pbc} with a T, or
 * a {@code Lattice} without {@code pbc}, which ASE treats as periodic) is rejected.
 */
public final class ExtXyz {
    private ExtXyz() {}

    /**
     * How to interpret a file.
     *
     * @param energyKey  comment-line key holding the total energy (ASE: "energy"); missing → NaN
     * @param forcesKey  Properties column holding forces (ASE: "forces"); missing → null forces
     * @param energyToEv factor converting the file's energy unit to eV (forces: per Å)
     */
    public record ReadOptions(String energyKey, String forcesKey, double energyToEv) {
        public static final ReadOptions DEFAULT = new ReadOptions("energy", "forces", 1.0);

        public ReadOptions withEnergyUnit(Units.EnergyUnit unit) {
            return new ReadOptions(energyKey, forcesKey, unit.toEv());
        }

        public ReadOptions withEnergyKey(String key) {
            return new ReadOptions(key, forcesKey, energyToEv);
        }

        public ReadOptions withForcesKey(String key) {
            return new ReadOptions(energyKey, key, energyToEv);
        }
    }

    /** A frame and the raw key=value pairs of its comment line (quotes removed, insertion order). */
    public record Entry(Frame frame, Map<String, String> info, long commentLine) {}

    /** Reads all frames, energies and forces assumed in eV and eV/Å. */
    public static Dataset read(Path file) throws IOException {
        return read(file, ReadOptions.DEFAULT);
    }

    public static Dataset read(Path file, ReadOptions options) throws IOException {
        List<Entry> entries = readEntries(file, options);
        List<Frame> frames = new ArrayList<>(entries.size());
        for (Entry e : entries) frames.add(e.frame());
        return new Dataset(baseName(file), frames);
    }

    /** Reads all frames together with their comment-line info (e.g. QM9's other properties). */
    public static List<Entry> readEntries(Path file, ReadOptions options) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "extended XYZ file not found");
        List<Entry> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long lineNo = 0;
            long firstBlank = -1;
            String line;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) { // tolerated only as trailing lines at the end of the file
                    if (firstBlank < 0) firstBlank = lineNo;
                    continue;
                }
                if (firstBlank >= 0)
                    throw DataFormatException.atLine(file, firstBlank,
                            "blank line where an atom count was expected");
                long countLine = lineNo;
                int n = parseCount(file, lineNo, line);
                String comment = in.readLine();
                if (comment == null)
                    throw DataFormatException.atLine(file, lineNo + 1, "truncated file: frame starting at line "
                            + countLine + " ends before its comment line");
                lineNo++;
                long commentLine = lineNo;
                Map<String, String> info;
                try {
                    info = parseComment(comment);
                } catch (IllegalArgumentException ex) {
                    throw DataFormatException.atLine(file, lineNo, ex.getMessage());
                }
                Layout layout = Layout.of(file, lineNo, info, options);
                double energy = parseEnergy(file, lineNo, info, options);
                checkNotPeriodic(file, lineNo, info);

                int[] z = new int[n];
                double[] pos = new double[3 * n];
                double[] forces = layout.forcesCol >= 0 ? new double[3 * n] : null;
                for (int i = 0; i < n; i++) {
                    String atomLine = in.readLine();
                    if (atomLine == null)
                        throw DataFormatException.atLine(file, lineNo + 1, "truncated file: frame starting at line "
                                + countLine + " declares " + n + " atoms but the file ends after " + i);
                    lineNo++;
                    String[] cols = atomLine.strip().split("\\s+");
                    if (atomLine.isBlank() || cols.length < layout.numColumns)
                        throw DataFormatException.atLine(file, lineNo, "too few columns: found "
                                + (atomLine.isBlank() ? 0 : cols.length) + ", Properties="
                                + layout.spec + " needs " + layout.numColumns
                                + (atomLine.isBlank() ? " (blank line; is the atom count " + n + " too large?)" : ""));
                    if (cols.length > layout.numColumns)
                        throw DataFormatException.atLine(file, lineNo, "too many columns: found " + cols.length
                                + ", Properties=" + layout.spec + " describes " + layout.numColumns
                                + (layout.implicit ? " (a file with extra columns needs a Properties= key)" : ""));
                    z[i] = layout.speciesIsZ ? parseAtomicNumber(file, lineNo, cols[layout.speciesCol])
                            : parseSymbol(file, lineNo, cols[layout.speciesCol]);
                    for (int k = 0; k < 3; k++) {
                        pos[3 * i + k] = parseNumber(file, lineNo, cols[layout.posCol + k], "position");
                        if (forces != null)
                            forces[3 * i + k] = options.energyToEv()
                                    * parseNumber(file, lineNo, cols[layout.forcesCol + k], "force");
                    }
                }
                out.add(new Entry(new Frame(z, pos, energy, forces), Collections.unmodifiableMap(info), commentLine));
            }
            if (lineNo == 0 || out.isEmpty())
                throw new DataFormatException(file, lineNo == 0 ? "file is empty" : "file contains no frames (only blank lines)");
        }
        return out;
    }

    /**
     * Splits an extended-XYZ comment line into key → value (ASE style): values may be bare
     * tokens, "double-quoted" (with \" and \\ escapes) or {braced}; a key without '=' is a flag
     * with value "T". Keys keep their spelling; look-ups in this class ignore case.
     *
     * @throws IllegalArgumentException for an unterminated quote or an empty key
     */
    public static Map<String, String> parseComment(String line) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0, n = line.length();
        while (true) {
            while (i < n && Character.isWhitespace(line.charAt(i))) i++;
            if (i >= n) break;
            int ks = i;
            while (i < n && line.charAt(i) != '=' && !Character.isWhitespace(line.charAt(i))) i++;
            String key = line.substring(ks, i);
            int j = i;
            while (j < n && Character.isWhitespace(line.charAt(j))) j++;
            if (j >= n || line.charAt(j) != '=') { // bare flag
                if (key.isEmpty()) throw new IllegalArgumentException("empty key in comment line");
                out.put(key, "T");
                i = j;
                continue;
            }
            if (key.isEmpty()) throw new IllegalArgumentException("'=' without a key in comment line at column " + (j + 1));
            i = j + 1;
            while (i < n && Character.isWhitespace(line.charAt(i))) i++;
            StringBuilder v = new StringBuilder();
            if (i < n && line.charAt(i) == '"') {
                int start = i++;
                boolean closed = false;
                while (i < n) {
                    char c = line.charAt(i++);
                    if (c == '\\' && i < n) { v.append(line.charAt(i++)); continue; }
                    if (c == '"') { closed = true; break; }
                    v.append(c);
                }
                if (!closed) throw new IllegalArgumentException("unterminated quote in value of '" + key
                        + "' starting at column " + (start + 1));
            } else if (i < n && line.charAt(i) == '{') {
                int start = i++;
                int close = line.indexOf('}', i);
                if (close < 0) throw new IllegalArgumentException("unterminated '{' in value of '" + key
                        + "' starting at column " + (start + 1));
                v.append(line, i, close);
                i = close + 1;
            } else {
                while (i < n && !Character.isWhitespace(line.charAt(i))) v.append(line.charAt(i++));
            }
            out.put(key, v.toString());
        }
        return out;
    }

    /** Value for a key ignoring case (ASE writes "Properties", some tools "properties"). */
    static String get(Map<String, String> info, String key) {
        String v = info.get(key);
        if (v != null) return v;
        for (Map.Entry<String, String> e : info.entrySet())
            if (e.getKey().equalsIgnoreCase(key)) return e.getValue();
        return null;
    }

    /** Column positions of species, positions and forces, from the Properties= spec. */
    private record Layout(String spec, boolean implicit, int numColumns, int speciesCol, boolean speciesIsZ,
                          int posCol, int forcesCol) {

        static Layout of(Path file, long line, Map<String, String> info, ReadOptions options)
                throws DataFormatException {
            String spec = get(info, "Properties");
            boolean implicit = spec == null;
            if (implicit) spec = "species:S:1:pos:R:3"; // ASE's default for plain XYZ
            String[] parts = spec.split(":", -1);
            if (parts.length % 3 != 0)
                throw DataFormatException.atLine(file, line, "malformed Properties=" + spec
                        + " (expected name:type:count triples)");
            int col = 0, species = -1, pos = -1, forces = -1;
            boolean speciesIsZ = false;
            for (int p = 0; p < parts.length; p += 3) {
                String name = parts[p], type = parts[p + 1];
                int count;
                try {
                    count = Integer.parseInt(parts[p + 2]);
                } catch (NumberFormatException e) {
                    count = -1;
                }
                if (name.isEmpty() || count <= 0 || !"SRIL".contains(type) || type.length() != 1)
                    throw DataFormatException.atLine(file, line, "malformed Properties entry '" + name + ":"
                            + type + ":" + parts[p + 2] + "' (type must be S, R, I or L; count a positive integer)");
                if (name.equals("species") && type.equals("S") && count == 1) species = col;
                else if (name.equals("Z") && type.equals("I") && count == 1 && species < 0) {
                    species = col;
                    speciesIsZ = true;
                } else if ((name.equals("pos") || name.equals("positions")) && type.equals("R") && count == 3) pos = col;
                else if (name.equals(options.forcesKey())) {
                    if (!type.equals("R") || count != 3)
                        throw DataFormatException.atLine(file, line, "Properties column '" + name + "' is "
                                + type + ":" + count + ", expected R:3 for forces");
                    forces = col;
                }
                col += count;
            }
            if (species < 0)
                throw DataFormatException.atLine(file, line, "Properties=" + spec + " has no species:S:1 (or Z:I:1) column");
            if (pos < 0)
                throw DataFormatException.atLine(file, line, "Properties=" + spec + " has no pos:R:3 column");
            return new Layout(spec, implicit, col, species, speciesIsZ, pos, forces);
        }
    }

    private static int parseCount(Path file, long lineNo, String line) throws DataFormatException {
        String t = line.strip();
        int n;
        try {
            n = Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw DataFormatException.atLine(file, lineNo, "expected the number of atoms, found '"
                    + abbreviate(t) + "'");
        }
        if (n <= 0) throw DataFormatException.atLine(file, lineNo, "atom count must be positive, found " + n);
        return n;
    }

    private static double parseEnergy(Path file, long lineNo, Map<String, String> info, ReadOptions options)
            throws DataFormatException {
        String v = get(info, options.energyKey());
        if (v == null) return Double.NaN;
        double e = parseNumber(file, lineNo, v, "'" + options.energyKey() + "'");
        return e * options.energyToEv();
    }

    private static void checkNotPeriodic(Path file, long lineNo, Map<String, String> info) throws DataFormatException {
        String pbc = get(info, "pbc");
        if (pbc != null) {
            for (String t : pbc.trim().split("\\s+"))
                if (t.equalsIgnoreCase("T") || t.equalsIgnoreCase("True"))
                    throw DataFormatException.atLine(file, lineNo, "periodic frame (pbc=\"" + pbc
                            + "\"); gaq handles isolated molecules only");
        } else if (get(info, "Lattice") != null) {
            throw DataFormatException.atLine(file, lineNo,
                    "Lattice= without pbc= means periodic in ASE; gaq handles isolated molecules only (add pbc=\"F F F\")");
        }
    }

    private static double parseNumber(Path file, long lineNo, String token, String what) throws DataFormatException {
        try {
            // QM9's original files write exponents as Mathematica-style "1.2*^-5".
            double v = Double.parseDouble(token.replace("*^", "e"));
            if (!Double.isFinite(v))
                throw DataFormatException.atLine(file, lineNo, "non-finite " + what + " value '" + token + "'");
            return v;
        } catch (NumberFormatException e) {
            throw DataFormatException.atLine(file, lineNo, "non-numeric " + what + " value '" + abbreviate(token) + "'");
        }
    }

    private static int parseSymbol(Path file, long lineNo, String token) throws DataFormatException {
        OptionalInt z = Elements.atomicNumber(token);
        if (z.isEmpty()) throw DataFormatException.atLine(file, lineNo, "unknown element '" + abbreviate(token) + "'");
        return z.getAsInt();
    }

    private static int parseAtomicNumber(Path file, long lineNo, String token) throws DataFormatException {
        try {
            int z = Integer.parseInt(token);
            if (Elements.isKnown(z)) return z;
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw DataFormatException.atLine(file, lineNo, "unknown element (atomic number) '" + abbreviate(token) + "'");
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    static String baseName(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    // ------------------------------------------------------------------------------------------
    // Writing

    /** Writes frames to a new file (overwriting), energies/forces in eV, eV/Å. */
    public static void write(Path file, Iterable<Frame> frames) throws IOException {
        try (Writer w = Writer.create(file)) {
            for (Frame f : frames) w.write(f);
        }
    }

    /**
     * Streams frames to an extended XYZ file that ASE reads: {@code Properties=species:S:1:pos:R:3}
     * (plus {@code :forces:R:3} if the frame has forces), {@code energy=} (if not NaN), extra info
     * keys, {@code pbc="F F F"}. Each frame is flushed as soon as it is written, so a trajectory
     * stays readable if the run is interrupted.
     */
    public static final class Writer implements Closeable, Flushable {
        private final BufferedWriter out;
        private final Path file;

        private Writer(Path file, BufferedWriter out) {
            this.file = file;
            this.out = out;
        }

        /** New file (truncates an existing one). */
        public static Writer create(Path file) throws IOException {
            return new Writer(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE));
        }

        /** Appends to a file, creating it if needed (e.g. continuing an MD trajectory). */
        public static Writer append(Path file) throws IOException {
            return new Writer(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE));
        }

        public Path file() { return file; }

        public void write(Frame frame) throws IOException {
            write(frame, Map.of());
        }

        /**
         * Writes one frame. {@code extraInfo} values may be numbers, booleans (T/F), strings,
         * or numeric arrays/lists (written as a quoted, space-separated list), e.g.
         * {@code Map.of("step", 100, "time_fs", 50.0, "temperature_K", 301.2)}.
         *
         * @throws IllegalArgumentException if a key is reserved (Properties, energy, pbc) or not a
         *                                  single token
         */
        public void write(Frame frame, Map<String, ?> extraInfo) throws IOException {
            StringBuilder sb = new StringBuilder(64 * (frame.numAtoms() + 2));
            sb.append(frame.numAtoms()).append('\n');
            sb.append("Properties=species:S:1:pos:R:3");
            if (frame.hasForces()) sb.append(":forces:R:3");
            if (frame.hasEnergy()) sb.append(" energy=").append(formatReal(frame.energy()));
            for (Map.Entry<String, ?> e : extraInfo.entrySet()) {
                String key = e.getKey();
                if (key.isEmpty() || !key.matches("[^\\s=\"{}]+"))
                    throw new IllegalArgumentException("info key '" + key + "' must be a single token without = \" { }");
                if (key.equalsIgnoreCase("Properties") || key.equalsIgnoreCase("energy")
                        || key.equalsIgnoreCase("pbc") || key.equalsIgnoreCase("Lattice"))
                    throw new IllegalArgumentException("info key '" + key + "' is reserved");
                sb.append(' ').append(key).append('=').append(formatValue(e.getValue()));
            }
            sb.append(" pbc=\"F F F\"\n");
            int[] z = frame.atomicNumbers();
            double[] r = frame.positions();
            double[] f = frame.forces();
            for (int i = 0; i < z.length; i++) {
                sb.append(String.format(Locale.ROOT, "%-2s %17.10f %17.10f %17.10f",
                        Elements.symbol(z[i]), r[3 * i], r[3 * i + 1], r[3 * i + 2]));
                if (f != null)
                    sb.append(String.format(Locale.ROOT, " %17.10f %17.10f %17.10f", f[3 * i], f[3 * i + 1], f[3 * i + 2]));
                sb.append('\n');
            }
            out.write(sb.toString());
            out.flush();
        }

        @Override
        public void flush() throws IOException { out.flush(); }

        @Override
        public void close() throws IOException { out.close(); }

        private static String formatReal(double v) {
            // Python's float() reads Java's "1.0E-5", "NaN" and "Infinity"; keep full precision.
            return Double.toString(v);
        }

        private static String formatValue(Object v) {
            if (v == null) throw new IllegalArgumentException("null info value");
            if (v instanceof Boolean b) return b ? "T" : "F";
            if (v instanceof Double || v instanceof Float) return formatReal(((Number) v).doubleValue());
            if (v instanceof Number n) return n.toString();
            if (v instanceof double[] a) {
                List<String> s = new ArrayList<>();
                for (double x : a) s.add(formatReal(x));
                return quote(String.join(" ", s));
            }
            if (v instanceof int[] a) {
                List<String> s = new ArrayList<>();
                for (int x : a) s.add(Integer.toString(x));
                return quote(String.join(" ", s));
            }
            if (v instanceof Iterable<?> it) {
                List<String> s = new ArrayList<>();
                for (Object x : it) s.add(x instanceof Double d ? formatReal(d) : String.valueOf(x));
                return quote(String.join(" ", s));
            }
            String s = v.toString();
            return s.matches("[^\\s=\"{}\\\\]+") ? s : quote(s);
        }

        private static String quote(String s) {
            return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        }
    }
}
