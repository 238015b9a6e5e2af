package org.gaq.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsTest {

    @TempDir
    Path dir;

    private static List<TensorEntry> sampleTensors() {
        return List.of(
                TensorEntry.ofFloats("layer0.weight", new float[] {1f, -2.5f, 3e-7f, Float.MAX_VALUE, -0f, 6f}, 2, 3),
                TensorEntry.ofInts("z", new int[] {1, 6, 8, Integer.MIN_VALUE}),
                TensorEntry.ofBytes("q", "I8", new byte[] {-128, 0, 127}, 3),
                TensorEntry.ofBytes("packed", "U8", new byte[] {(byte) 0xAB, 0x01}, 1, 2),
                TensorEntry.ofDoubles("energy", new double[] {-97.123456789012345}),
                TensorEntry.ofLongs("step", new long[] {Long.MAX_VALUE, 0}),
                TensorEntry.ofFloats("empty", new float[0], 0, 4),
                new TensorEntry("scale", "F32", new long[0], TensorEntry.ofFloats("tmp", new float[] {0.5f}).data()));
    }

    @Test
    void roundTripPreservesTensorsOrderAndMetadata() throws IOException {
        Path file = dir.resolve("model.safetensors");
        List<TensorEntry> tensors = sampleTensors();
        Map<String, String> meta = Map.of("zeta", "last", "arch", "so3krates", "bits", "w8a8");
        SafeTensors.write(file, meta, tensors);

        SafeTensors st = SafeTensors.read(file);
        assertEquals(tensors, st.tensors());
        assertEquals(List.of("layer0.weight", "z", "q", "packed", "energy", "step", "empty", "scale"), st.names());
        assertEquals(meta, st.metadata());
        assertEquals(List.of("arch", "bits", "zeta"), List.copyOf(st.metadata().keySet()));

        TensorEntry w = st.get("layer0.weight");
        assertArrayEquals(new long[] {2, 3}, w.shape());
        assertArrayEquals(new float[] {1f, -2.5f, 3e-7f, Float.MAX_VALUE, -0f, 6f}, w.asFloats());
        assertArrayEquals(new int[] {1, 6, 8, Integer.MIN_VALUE}, st.get("z").asInts());
        assertArrayEquals(new double[] {-97.123456789012345}, st.get("energy").asDoubles());
        assertArrayEquals(new long[] {Long.MAX_VALUE, 0}, st.get("step").asLongs());
        assertEquals(0, st.get("scale").shape().length);
        assertEquals(1, st.get("scale").numel());
        assertThrows(IllegalStateException.class, () -> st.get("z").asFloats());
        var missing = assertThrows(java.util.NoSuchElementException.class, () -> st.get("nope"));
        assertTrue(missing.getMessage().contains("nope"));
    }

    @Test
    void headerIsDeterministicLittleEndianAndPaddedTo8() throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        // metadata given in different iteration orders must give identical bytes
        SafeTensors.write(a, new java.util.TreeMap<>(Map.of("x", "1", "a", "2")), sampleTensors());
        var reversed = new java.util.LinkedHashMap<String, String>();
        reversed.put("x", "1");
        reversed.put("a", "2");
        SafeTensors.write(b, reversed, sampleTensors());
        byte[] bytes = Files.readAllBytes(a);
        assertArrayEquals(bytes, Files.readAllBytes(b));

        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8);
        String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"a\":\"2\",\"x\":\"1\"},\"layer0.weight\":{\"dtype\":\"F32\","
                + "\"shape\":[2,3],\"data_offsets\":[0,24]}"), header);
        // first float 1.0f little-endian right after the header
        assertEquals(1f, ByteBuffer.wrap(bytes, 8 + (int) headerLen, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
    }

    @Test
    void factoriesValidateShapes() {
        var e = assertThrows(IllegalArgumentException.class, () -> TensorEntry.ofFloats("w", new float[5], 2, 3));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("[2, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TensorEntry.ofBytes("x", "F16", new byte[2]));
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(dir.resolve("d.safetensors"), Map.of(),
                        List.of(TensorEntry.ofInts("a", new int[1]), TensorEntry.ofInts("a", new int[1]))));
    }

    // ---------------------------------------------------------------- corrupt files

    /** Builds a file from a raw header string and data bytes, bypassing all validation. */
    private Path rawFile(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).put(data);
        Path p = dir.resolve(name);
        Files.write(p, buf.array());
        return p;
    }

    private static void assertRejected(Path file, String... expectedFragments) {
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains(file.toString()), "message should name the file: " + e.getMessage());
        assertEquals(file, e.file());
        for (String fragment : expectedFragments) {
            assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
        }
    }

    @Test
    void rejectsFileShorterThan8Bytes() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertRejected(p, "3 bytes", "shorter than the 8-byte header length");
        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        assertRejected(empty, "0 bytes");
    }

    @Test
    void rejectsHeaderLengthBeyondFile() throws IOException {
        Path p = dir.resolve("len.safetensors");
        ByteBuffer buf = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put("{}  ".getBytes());
        Files.write(p, buf.array());
        assertRejected(p, "header length 1000", "beyond the end of the file");
        // a header length with the top bit set must not be taken for a negative number
        ByteBuffer neg = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L);
        Path q = dir.resolve("neg.safetensors");
        Files.write(q, neg.array());
        assertRejected(q, "18446744073709551615");
    }

    @Test
    void rejectsNonJsonHeader() throws IOException {
        assertRejected(rawFile("nj.safetensors", "this is not json", new byte[0]), "not valid JSON", "this is not json");
        assertRejected(rawFile("cut.safetensors", "{\"w\":{\"dtype\"", new byte[0]), "not valid JSON");
        assertRejected(rawFile("arr.safetensors", "[1,2]", new byte[0]), "not an object");
        assertRejected(rawFile("trail.safetensors", "{} {}", new byte[0]), "not valid JSON", "line 1 column 5");
        assertRejected(rawFile("lenient.safetensors", "{a: 'b'}", new byte[0]), "not valid JSON");
    }

    @Test
    void rejectsUnknownDtype() throws IOException {
        Path p = rawFile("dtype.safetensors", "{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]);
        assertRejected(p, "tensor 'w'", "unsupported dtype 'F16'", "F32");
    }

    @Test
    void rejectsBadMetadata() throws IOException {
        assertRejected(rawFile("meta.safetensors", "{\"__metadata__\":{\"epochs\":3}}", new byte[0]),
                "__metadata__", "epochs", "must be a string");
    }

    @Test
    void rejectsOffsetsNotMatchingShape() throws IOException {
        Path p = rawFile("size.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        assertRejected(p, "tensor 'w'", "span 8 bytes", "[3] of F32 needs 12");
    }

    @Test
    void rejectsReversedAndNegativeOffsets() throws IOException {
        assertRejected(rawFile("rev.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", new byte[4]),
                "end before they begin");
        assertRejected(rawFile("negoff.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,0]}}", new byte[4]),
                "non-negative integers");
        assertRejected(rawFile("frac.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,1]}}", new byte[1]),
                "non-negative integers");
    }

    @Test
    void rejectsOverlappingOffsets() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertRejected(rawFile("overlap.safetensors", header, new byte[12]), "overlap", "'a'", "'b'");
    }

    @Test
    void rejectsOffsetsOutOfRangeAndTruncatedData() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        assertRejected(rawFile("trunc.safetensors", header, new byte[10]), "truncated data", "'w'", "10 bytes");

        // a real file cut short, as by a full disk or an interrupted copy
        Path full = dir.resolve("full.safetensors");
        SafeTensors.write(full, Map.of(), sampleTensors());
        byte[] bytes = Files.readAllBytes(full);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 5));
        assertRejected(cut, "truncated data");
    }

    @Test
    void rejectsGapsAndUnclaimedTrailingBytes() throws IOException {
        assertRejected(rawFile("gap.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", new byte[4]),
                "gap");
        assertRejected(rawFile("extra.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[5]),
                "3 bytes of data after the last tensor");
    }

    // ---------------------------------------------------------------- atomic writes

    private List<String> dirListing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void atomicWriteReplacesOldFileAndLeavesNoTempFile() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        SafeTensors.write(file, Map.of("epoch", "1"), List.of(TensorEntry.ofFloats("w", new float[] {1, 2})));
        SafeTensors.write(file, Map.of("epoch", "2"), List.of(TensorEntry.ofFloats("w", new float[] {3, 4, 5})));
        assertEquals(List.of("ckpt.safetensors"), dirListing());
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                "readable like any written file, not owner-only like a temp file");
        SafeTensors st = SafeTensors.read(file);
        assertEquals("2", st.metadata().get("epoch"));
        assertArrayEquals(new float[] {3, 4, 5}, st.get("w").asFloats());
    }

    @Test
    void interruptedWriteDoesNotClobberTheOldFile() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        SafeTensors.write(file, Map.of("epoch", "1"), List.of(TensorEntry.ofFloats("w", new float[] {1, 2})));
        byte[] before = Files.readAllBytes(file);

        // A crash after writing the new content but before the rename: only the temp file exists.
        Path tmp = SafeTensors.writeUncommitted(file, Map.of("epoch", "2"), List.of(TensorEntry.ofFloats("w", new float[] {9})));
        assertEquals(dir, tmp.getParent(), "temp file must be in the target's directory so the rename is atomic");
        assertNotEquals(file, tmp);
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals("1", SafeTensors.read(file).metadata().get("epoch"));
        assertEquals(2, dirListing().size());

        // and once committed, the new content is complete
        SafeTensors.commit(tmp, file);
        assertEquals("2", SafeTensors.read(file).metadata().get("epoch"));
        assertEquals(List.of("ckpt.safetensors"), dirListing());
    }

    @Test
    void failedWriteLeavesNoTempFile() throws IOException {
        Path file = dir.resolve("x.safetensors");
        SafeTensors.write(file, Map.of(), List.of(TensorEntry.ofInts("a", new int[] {7})));
        // the target path is a non-empty directory: the final rename fails after the temp file was written
        Path blocked = dir.resolve("blocked");
        Files.createDirectories(blocked.resolve("inside"));
        assertThrows(IOException.class, () -> SafeTensors.write(blocked, Map.of(), List.of(TensorEntry.ofInts("a", new int[] {1}))));
        assertEquals(List.of("blocked", "x.safetensors"), dirListing());
    }
}
