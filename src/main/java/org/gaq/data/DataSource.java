package org.gaq.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a user's data spec into files and loads them.
 *
 * <p>Specs: {@code rmd17:<molecule>} (optionally {@code rmd17:<molecule>:<split 01..05>}) →
 * {@code <dataDir>/rmd17/rmd17_<molecule>_{train,test}_01.npz}; {@code qm9} →
 * {@code <dataDir>/qm9/qm9_reduced_100.xyz}; or a path to an rMD17-style {@code .npz} or an
 * extended XYZ ({@code .xyz}, {@code .extxyz}) file.
 *
 * <p>Data directory precedence: explicit argument (CLI {@code --data-dir}) &gt; environment
 * variable {@code GAQ_DATA_DIR} &gt; {@code ../shared/data} relative to the working directory &gt;
 * {@code ../shared/data} relative to the jar (or classes directory) and its parents. An explicit
 * directory or the environment variable must exist (a typo should not silently fall back to
 * other data); the two defaults are searched in order for the needed file.
 */
public final class DataSource {
    private DataSource() {}

    public static final String ENV_DATA_DIR = "GAQ_DATA_DIR";
    public static final String RMD17_URL = "https://figshare.com/articles/dataset/Revised_MD17/12682038";
    public static final String RMD17_NPZ_URL = "https://github.com/andersx/rmd17-npz";
    /** The ten rMD17 molecules. */
    public static final List<String> RMD17_MOLECULES = List.of("aspirin", "azobenzene", "benzene", "ethanol",
            "malonaldehyde", "naphthalene", "paracetamol", "salicylic", "toluene", "uracil");
    public static final String QM9_FILE = "qm9/qm9_reduced_100.xyz";

    private static final Pattern RMD17_SPEC = Pattern.compile("rmd17:([A-Za-z]+)(?::(\\d{1,2}))?");
    private static final Pattern TRAIN_FILE = Pattern.compile("(.*)_train_(\\d+)\\.npz");

    public enum Format { RMD17_NPZ, EXTXYZ, QM9_XYZ }

    /**
     * A resolved spec.
     *
     * @param spec          what the user typed
     * @param format        how to read the files
     * @param file          main file (rMD17: train_NN)
     * @param testFile      separate test file (rMD17: test_NN), or null if the split comes from {@code file}
     * @param xyzEnergyUnit unit of energies/forces in a plain extended-XYZ file (default eV)
     */
    public record Source(String spec, Format format, Path file, Path testFile, Units.EnergyUnit xyzEnergyUnit) {

        /** Same source, extended-XYZ energies and forces read in another unit. */
        public Source withXyzEnergyUnit(Units.EnergyUnit unit) {
            return new Source(spec, format, file, testFile, unit);
        }

        /** True if the spec names a file (not rmd17:&lt;molecule&gt; or qm9): the user chose exactly these frames. */
        public boolean explicitFile() {
            String s = spec.strip().toLowerCase(Locale.ROOT);
            return !s.startsWith("rmd17:") && !s.equals("qm9");
        }

        public Dataset load() throws IOException {
            return read(format, file, xyzEnergyUnit);
        }

        /** The separate test file's frames, or null if this source has none. */
        public Dataset loadTest() throws IOException {
            return testFile == null ? null : read(format, testFile, xyzEnergyUnit);
        }

        /**
         * The default split: with a test file, the rMD17 protocol (950 train + 50 validation from
         * the main file, all test frames); otherwise 80 / 10 / 10 % of the single file.
         */
        public Split split(long seed) throws IOException {
            if (testFile != null) return Splits.rmd17(load(), loadTest(), seed);
            return Splits.byFractions(load(), 0.1, 0.1, seed);
        }
    }

    private static Dataset read(Format format, Path file, Units.EnergyUnit unit) throws IOException {
        Dataset data = switch (format) {
            case RMD17_NPZ -> Rmd17Reader.read(file);
            case QM9_XYZ -> Qm9Xyz.read(file);
            case EXTXYZ -> ExtXyz.read(file, ExtXyz.ReadOptions.DEFAULT.withEnergyUnit(unit));
        };
        AtomSeparation.check(data, file);
        return data;
    }

    /** Resolves with the real environment, working directory and code location. */
    public static Source resolve(String spec, Path explicitDataDir) throws IOException {
        return resolve(spec, explicitDataDir, System.getenv(), Path.of("").toAbsolutePath(), codeLocation());
    }

    /** Resolves with an injected environment, working directory and code location (for tests). */
    public static Source resolve(String spec, Path explicitDataDir, Map<String, String> env, Path cwd,
                                 Path codeLocation) throws IOException {
        String s = spec.strip();
        Matcher m = RMD17_SPEC.matcher(s);
        if (s.toLowerCase(Locale.ROOT).startsWith("rmd17:")) {
            if (!m.matches())
                throw new IllegalArgumentException("bad rMD17 spec '" + spec + "': use rmd17:<molecule>[:<split>], molecules: "
                        + String.join(", ", RMD17_MOLECULES));
            String mol = m.group(1).toLowerCase(Locale.ROOT);
            String split = m.group(2) == null ? "01" : String.format(Locale.ROOT, "%02d", Integer.parseInt(m.group(2)));
            String train = "rmd17/rmd17_" + mol + "_train_" + split + ".npz";
            String test = "rmd17/rmd17_" + mol + "_test_" + split + ".npz";
            if (!RMD17_MOLECULES.contains(mol)) {
                String available = availableMolecules(explicitDataDir, env, cwd, codeLocation);
                throw new IllegalArgumentException("unknown rMD17 molecule '" + m.group(1) + "'; rMD17 molecules: "
                        + String.join(", ", RMD17_MOLECULES) + available);
            }
            Path dir = findDataDir(explicitDataDir, env, cwd, codeLocation, train);
            Path testPath = dir.resolve(test);
            if (!Files.isRegularFile(testPath))
                throw new DataNotFoundException("found " + dir.resolve(train) + " but not its test file " + testPath
                        + "\nDownload rMD17 from " + RMD17_URL + " (pre-split .npz files: " + RMD17_NPZ_URL + ")");
            return new Source(spec, Format.RMD17_NPZ, dir.resolve(train), testPath, Units.EnergyUnit.EV);
        }
        if (s.equalsIgnoreCase("qm9")) {
            Path dir = findDataDir(explicitDataDir, env, cwd, codeLocation, QM9_FILE);
            return new Source(spec, Format.QM9_XYZ, dir.resolve(QM9_FILE), null, Units.EnergyUnit.EV);
        }
        return resolvePath(spec, s, cwd);
    }

    private static Source resolvePath(String spec, String s, Path cwd) throws IOException {
        Path p;
        try {
            p = cwd.resolve(s).normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(usage(spec));
        }
        String lower = s.toLowerCase(Locale.ROOT);
        boolean npz = lower.endsWith(".npz"), xyz = lower.endsWith(".xyz") || lower.endsWith(".extxyz");
        if (Files.isDirectory(p)) {
            throw new IllegalArgumentException(p + " is a folder, not a data file: give an .npz or extended-XYZ file, "
                    + "rmd17:<molecule> or qm9 (with --data-dir for the folder holding rmd17/ and qm9/)");
        }
        if (!npz && !xyz) throw new IllegalArgumentException(usage(spec));
        if (!Files.isRegularFile(p)) throw new DataNotFoundException("data file not found: " + p + "\n" + usage(spec));
        if (npz) {
            // A train file with its test sibling next to it gets the rMD17 protocol automatically.
            Matcher t = TRAIN_FILE.matcher(p.getFileName().toString());
            Path test = t.matches() ? p.resolveSibling(t.group(1) + "_test_" + t.group(2) + ".npz") : null;
            return new Source(spec, Format.RMD17_NPZ, p, test != null && Files.isRegularFile(test) ? test : null,
                    Units.EnergyUnit.EV);
        }
        return new Source(spec, looksLikeQm9(p) ? Format.QM9_XYZ : Format.EXTXYZ, p, null, Units.EnergyUnit.EV);
    }

    /** QM9 files carry U0= and no energy= in their comment lines, or are original QM9 files ("gdb 1 …"). */
    private static boolean looksLikeQm9(Path p) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
            in.readLine();
            String comment = in.readLine();
            if (comment == null) return false;
            if (Qm9Xyz.isOriginalComment(comment)) return true;
            Map<String, String> info;
            try {
                info = ExtXyz.parseComment(comment);
            } catch (IllegalArgumentException e) {
                return false; // let the real reader report it with a line number
            }
            return ExtXyz.get(info, "U0") != null && ExtXyz.get(info, "energy") == null;
        }
    }

    private static String usage(String spec) {
        return "cannot interpret data spec '" + spec + "': expected rmd17:<molecule> (" + String.join(", ", RMD17_MOLECULES)
                + "), qm9, or a path to an rMD17-style .npz or an extended XYZ (.xyz, .extxyz) file";
    }

    /** Finds the data directory holding {@code required} (a path relative to it). */
    public static Path findDataDir(Path explicitDataDir, String required) throws DataNotFoundException {
        return findDataDir(explicitDataDir, System.getenv(), Path.of("").toAbsolutePath(), codeLocation(), required);
    }

    public static Path findDataDir(Path explicitDataDir, Map<String, String> env, Path cwd, Path codeLocation,
                                   String required) throws DataNotFoundException {
        List<String> tried = new ArrayList<>();
        if (explicitDataDir != null) {
            Path d = cwd.resolve(explicitDataDir).normalize();
            if (Files.isRegularFile(d.resolve(required))) return d;
            throw notFound(required, List.of(d + " (given with --data-dir)"));
        }
        String envDir = env.get(ENV_DATA_DIR);
        if (envDir != null && !envDir.isBlank()) {
            Path d = cwd.resolve(envDir).normalize();
            if (Files.isRegularFile(d.resolve(required))) return d;
            throw notFound(required, List.of(d + " (from " + ENV_DATA_DIR + ")"));
        }
        for (Path d : defaultDirs(cwd, codeLocation)) {
            if (Files.isRegularFile(d.resolve(required))) return d;
            tried.add(d.toString());
        }
        throw notFound(required, tried);
    }

    /** ../shared/data next to the working directory, then next to the jar and its parent dirs. */
    static List<Path> defaultDirs(Path cwd, Path codeLocation) {
        Set<Path> dirs = new LinkedHashSet<>();
        dirs.add(cwd.toAbsolutePath().resolve("../shared/data").normalize());
        if (codeLocation != null) {
            Path a = codeLocation.toAbsolutePath();
            if (Files.isRegularFile(a)) a = a.getParent(); // a jar: start from its directory
            // target/classes → target → repo: covers jar-in-target and running from the build tree.
            for (int up = 0; up < 3 && a != null; up++, a = a.getParent())
                dirs.add(a.resolve("../shared/data").normalize());
        }
        return new ArrayList<>(dirs);
    }

    private static DataNotFoundException notFound(String required, List<String> tried) {
        StringBuilder sb = new StringBuilder("cannot find data file '" + required + "'. Looked in:");
        for (String t : tried) sb.append("\n  ").append(t);
        sb.append("\nGive the data directory with --data-dir or ").append(ENV_DATA_DIR).append('.');
        if (required.startsWith("rmd17/"))
            sb.append("\nDownload rMD17 from ").append(RMD17_URL).append(" (pre-split .npz files: ")
                    .append(RMD17_NPZ_URL).append(") into <data dir>/rmd17/.");
        return new DataNotFoundException(sb.toString());
    }

    /** "; available in <dir>: a, b" for molecules whose train_01 file exists, or "" if none found. */
    private static String availableMolecules(Path explicit, Map<String, String> env, Path cwd, Path code) {
        List<String> present = new ArrayList<>();
        Path dir = null;
        for (String mol : RMD17_MOLECULES) {
            try {
                dir = findDataDir(explicit, env, cwd, code, "rmd17/rmd17_" + mol + "_train_01.npz");
                present.add(mol);
            } catch (DataNotFoundException ignored) {
                // not downloaded; listed in the static list anyway
            }
        }
        return present.isEmpty() ? "" : "; available in " + dir + ": " + String.join(", ", present);
    }

    /** The jar file or classes directory this class was loaded from, or null if unknown. */
    static Path codeLocation() {
        try {
            var src = DataSource.class.getProtectionDomain().getCodeSource();
            return src == null ? null : Path.of(src.getLocation().toURI());
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }
}
