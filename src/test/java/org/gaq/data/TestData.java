package org.gaq.data;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Locates the shared reference data and builds synthetic .npy/.npz files for error tests. */
final class TestData {
    private TestData() {}

    /** ../shared/data relative to the project root (Maven runs tests from the project root). */
    static Path sharedDataDir() {
        String base = System.getProperty("basedir", System.getProperty("user.dir"));
        return Path.of(base).toAbsolutePath().resolve("../shared/data").normalize();
    }

    /** A file in the shared data dir, or skip the test if it is not there. */
    static Path requireShared(String relative) {
        Path p = sharedDataDir().resolve(relative);
        assumeTrue(Files.isRegularFile(p), "reference data not available: " + p);
        return p;
    }

    /** A .npy v1.0 blob with the given dtype descr, shape text (e.g. "(2, 3)") and raw data. */
    static byte[] npy(String descr, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        b.putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        b.put(data);
        return b.array();
    }

    static byte[] f8(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) b.putDouble(x);
        return b.array();
    }

    static byte[] u1(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    static byte[] i8(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putLong(x);
        return b.array();
    }

    /** Arrays of a valid 2-frame water-like molecule (O, H, H); tests replace one to break it. */
    static Map<String, byte[]> validArrays() {
        double[] coords = {
                0, 0, 0, 0.96, 0, 0, -0.24, 0.93, 0,
                0, 0, 0.01, 0.95, 0, 0, -0.25, 0.92, 0};
        double[] forces = new double[18];
        for (int i = 0; i < 18; i++) forces[i] = 0.5 * i - 4;
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("nuclear_charges", npy("|u1", "(3,)", u1(8, 1, 1)));
        m.put("coords", npy("<f8", "(2, 3, 3)", f8(coords)));
        m.put("energies", npy("<f8", "(2,)", f8(-47000.5, -47001.25)));
        m.put("forces", npy("<f8", "(2, 3, 3)", f8(forces)));
        m.put("old_indices", npy("<i8", "(2,)", i8(5, 7)));
        return m;
    }

    /** Writes arrays as an uncompressed .npz, like numpy.savez. */
    static Path writeNpz(Path file, Map<String, byte[]> arrays) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : arrays.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return file;
    }

    static byte[] zipBytes(Map<String, byte[]> arrays, Path tmp) throws IOException {
        Path f = writeNpz(tmp.resolve("tmp-" + System.nanoTime() + ".npz"), arrays);
        return Files.readAllBytes(f);
    }

    static String utf8(ByteArrayOutputStream b) {
        return b.toString(StandardCharsets.UTF_8);
    }
}
