package org.gaq.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.io.EOFException;

/**
 * Reads a revised-MD17 {@code .npz} file (as in github andersx/rmd17-npz) into a {@link Dataset}.
 *
 * <p>Expected arrays: {@code nuclear_charges} uint8 (N,), {@code coords} float64 (F, N, 3) in Å,
 * {@code energies} float64 (F,) in kcal/mol and {@code forces} float64 (F, N, 3) in kcal/mol/Å.
 * Energies and forces are converted to eV and eV/Å with {@link Units#KCAL_PER_MOL_IN_EV}; other
 * arrays ({@code old_indices}, {@code old_energies}, …) are ignored. Every inconsistency raises a
 * {@link DataFormatException} naming the file and the problem rather than producing silently
 * wrong frames.
 */
public final class Rmd17Reader {
    private Rmd17Reader() {}

    public static final String NUCLEAR_CHARGES = "nuclear_charges";
    public static final String COORDS = "coords";
    public static final String ENERGIES = "energies";
    public static final String FORCES = "forces";

    /** Reads the file; the dataset is named after the file without extension. */
    public static Dataset read(Path file) throws IOException {
        String fileName = file.getFileName().toString();
        String name = fileName.endsWith(".npz") ? fileName.substring(0, fileName.length() - 4) : fileName;
        return read(file, name);
    }

    public static Dataset read(Path file, String datasetName) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "rMD17 file not found");
        if (Files.size(file) == 0) throw new DataFormatException(file, "file is empty (0 bytes), expected an .npz archive");

        Npy.Array z, r, e, f;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            z = readArray(zip, file, NUCLEAR_CHARGES);
            r = readArray(zip, file, COORDS);
            e = readArray(zip, file, ENERGIES);
            f = readArray(zip, file, FORCES);
        } catch (ZipException ex) {
            throw new DataFormatException(file,
                    "not a readable .npz (zip) archive, possibly truncated or corrupt: " + ex.getMessage(), ex);
        }

        requireType(file, z, "u1", "uint8");
        requireType(file, r, "f8", "float64");
        requireType(file, e, "f8", "float64");
        requireType(file, f, "f8", "float64");
        requireRank(file, z, 1, "(N,)");
        requireRank(file, r, 3, "(frames, N, 3)");
        requireRank(file, e, 1, "(frames,)");
        requireRank(file, f, 3, "(frames, N, 3)");

        int numAtoms = (int) z.shape()[0];
        int numFrames = (int) e.shape()[0];
        if (numAtoms == 0) throw new DataFormatException(file, "'" + NUCLEAR_CHARGES + "' is empty: no atoms");
        if (numFrames == 0) throw new DataFormatException(file, "'" + ENERGIES + "' is empty: no frames");
        requireShape(file, r, new long[] {numFrames, numAtoms, 3});
        requireShape(file, f, new long[] {numFrames, numAtoms, 3});

        int[] atomicNumbers = z.toInts();
        for (int i = 0; i < numAtoms; i++)
            if (!Elements.isKnown(atomicNumbers[i]))
                throw new DataFormatException(file, "'" + NUCLEAR_CHARGES + "'[" + i + "] = " + atomicNumbers[i]
                        + " is not a known element (atomic numbers 1.." + Elements.MAX_Z + ")");

        double[] coords = r.toDoubles();
        double[] energies = e.toDoubles();
        double[] forces = f.toDoubles();
        int stride = 3 * numAtoms;
        requireFinite(file, COORDS, coords, stride);
        requireFinite(file, ENERGIES, energies, 1);
        requireFinite(file, FORCES, forces, stride);

        List<Frame> frames = new ArrayList<>(numFrames);
        for (int k = 0; k < numFrames; k++) {
            double[] pos = Arrays.copyOfRange(coords, k * stride, (k + 1) * stride);
            double[] frc = Arrays.copyOfRange(forces, k * stride, (k + 1) * stride);
            for (int c = 0; c < stride; c++) frc[c] *= Units.KCAL_PER_MOL_IN_EV;
            frames.add(new Frame(atomicNumbers, pos, energies[k] * Units.KCAL_PER_MOL_IN_EV, frc));
        }
        return new Dataset(datasetName, frames);
    }

    private static Npy.Array readArray(ZipFile zip, Path file, String key) throws IOException {
        ZipEntry entry = zip.getEntry(key + ".npy");
        if (entry == null) entry = zip.getEntry(key);
        if (entry == null) {
            List<String> found = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); )
                found.add(en.nextElement().getName());
            throw new DataFormatException(file, "missing array '" + key + "' (expected entry '" + key
                    + ".npy'; the archive contains " + found + ")");
        }
        byte[] bytes;
        try (InputStream in = zip.getInputStream(entry)) {
            bytes = in.readAllBytes();
        } catch (ZipException | EOFException ex) {
            throw new DataFormatException(file, "array '" + key + "': corrupt or truncated zip entry: "
                    + ex.getMessage(), ex);
        }
        return Npy.parse(file, key, bytes);
    }

    private static void requireType(Path file, Npy.Array a, String type, String readable) throws DataFormatException {
        if (!a.type().equals(type))
            throw new DataFormatException(file, "array '" + a.name() + "' has dtype '" + a.descr()
                    + "', expected " + readable + " ('<" + type + "')");
    }

    private static void requireRank(Path file, Npy.Array a, int rank, String expected) throws DataFormatException {
        if (a.shape().length != rank)
            throw new DataFormatException(file, "array '" + a.name() + "' has shape " + a.shapeString()
                    + ", expected " + expected);
    }

    private static void requireShape(Path file, Npy.Array a, long[] expected) throws DataFormatException {
        if (!Arrays.equals(a.shape(), expected)) {
            String exp = new Npy.Array(a.name(), a.descr(), expected, a.data()).shapeString();
            throw new DataFormatException(file, "array '" + a.name() + "' has shape " + a.shapeString()
                    + ", expected " + exp + " (frames from '" + ENERGIES + "', atoms from '"
                    + NUCLEAR_CHARGES + "')");
        }
    }

    /** First non-finite value, reported by frame (and atom/component for per-atom arrays). */
    private static void requireFinite(Path file, String key, double[] v, int stride) throws DataFormatException {
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                int frame = i / stride;
                String at = stride == 1 ? "frame " + frame
                        : "frame " + frame + ", atom " + (i % stride) / 3 + ", component " + "xyz".charAt(i % 3);
                throw new DataFormatException(file, "array '" + key + "' has a non-finite value (" + v[i]
                        + ") at " + at);
            }
        }
    }
}
