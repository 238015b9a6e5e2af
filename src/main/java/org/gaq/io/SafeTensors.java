package org.gaq.io;

import org.gaq.util.AtomicFiles;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 * an 8-byte little-endian header length N, N bytes of JSON header, then the tensor bytes.
 *
 * <pre>{@code
 * SafeTensors.write(path, Map.of("model", "so3krates"), List.of(TensorEntry.ofFloats("w", w, 64, 64)));
 * SafeTensors st = SafeTensors.read(path);
 * float[] w = st.get("w").asFloats();
 * }</pre>
 *
 * <p>Writing is atomic: a reader (or a crash) sees either the old file or the complete new one.
 * The header is deterministic: {@code __metadata__} first with keys sorted, then the tensors in the
 * order given, laid out back to back in that same order. The header is padded with spaces to a
 * multiple of 8 bytes, as the reference implementation does.
 *
 * <p>Reading validates like the reference implementation (offsets must tile the data buffer exactly)
 * and reports every problem as a {@link SafeTensorsException} naming the file.
 */
public final class SafeTensors {

    /** The reserved header key holding string-to-string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    /** Headers larger than this are rejected as corrupt (the reference implementation uses 100 MB). */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private final Map<String, String> metadata;
    private final Map<String, TensorEntry> tensors;   // in data-offset order

    private SafeTensors(Map<String, String> metadata, Map<String, TensorEntry> tensors) {
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** The {@code __metadata__} map (empty if the file has none), keys sorted. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors in file (data offset) order. */
    public List<TensorEntry> tensors() {
        return List.copyOf(tensors.values());
    }

    /** Tensor names in file order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor called {@code name}; throws NoSuchElementException listing the names present if absent. */
    public TensorEntry get(String name) {
        TensorEntry t = tensors.get(name);
        if (t == null) {
            throw new NoSuchElementException("no tensor '" + name + "'; present: " + tensors.keySet());
        }
        return t;
    }

    // ------------------------------------------------------------------------------------ writing

    /** Writes {@code tensors} and {@code metadata} to {@code file} atomically, replacing any old file. */
    public static void write(Path file, Map<String, String> metadata, List<TensorEntry> tensors) throws IOException {
        Path tmp = writeUncommitted(file, metadata, tensors);
        try {
            commit(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);   // only still there if the move failed
        }
    }

    /**
     * First half of {@link #write}: the complete, fsync'ed file under a temporary name in the target's
     * directory, which is returned. Until {@link #commit} the target is untouched; a crash in between
     * leaves a stray {@code .<name>.*.tmp} file and the old target intact. Package-private for tests.
     */
    static Path writeUncommitted(Path file, Map<String, String> metadata, List<TensorEntry> tensors) throws IOException {
        byte[] header = encodeHeader(metadata, tensors);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        boolean ok = false;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            for (TensorEntry t : tensors) {
                writeFully(ch, ByteBuffer.wrap(t.data()));
            }
            ch.force(true);
            AtomicFiles.matchPermissions(tmp, file);
            ok = true;
        } finally {
            if (!ok) {
                Files.deleteIfExists(tmp);
            }
        }
        return tmp;
    }

    /** Second half of {@link #write}: atomically renames {@code tmp} over {@code file}. */
    static void commit(Path tmp, Path file) throws IOException {
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // Same directory, so this only happens on exotic file systems; a plain replace is the best we can do.
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        AtomicFiles.fsyncDirectory(file.toAbsolutePath().getParent());
    }

    /** The JSON header bytes, padded with spaces to a multiple of 8. */
    static byte[] encodeHeader(Map<String, String> metadata, List<TensorEntry> tensors) throws IOException {
        Set<String> seen = new HashSet<>();
        for (TensorEntry t : tensors) {
            if (!seen.add(t.name())) {
                throw new IllegalArgumentException("duplicate tensor name '" + t.name() + "'");
            }
        }
        StringWriter json = new StringWriter();
        try (JsonWriter w = new JsonWriter(json)) {
            w.setHtmlSafe(false);
            w.beginObject();
            if (metadata != null && !metadata.isEmpty()) {
                w.name(METADATA_KEY).beginObject();
                for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                    w.name(e.getKey()).value(e.getValue() == null ? "" : e.getValue());
                }
                w.endObject();
            }
            long offset = 0;
            for (TensorEntry t : tensors) {
                w.name(t.name()).beginObject();
                w.name("dtype").value(t.dtype());
                w.name("shape").beginArray();
                for (long d : t.shape()) {
                    w.value(d);
                }
                w.endArray();
                w.name("data_offsets").beginArray().value(offset).value(offset + t.data().length).endArray();
                w.endObject();
                offset += t.data().length;
            }
            w.endObject();
        }
        byte[] raw = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) & ~7;
        byte[] out = Arrays.copyOf(raw, padded);
        Arrays.fill(out, raw.length, padded, (byte) ' ');
        return out;
    }

    // ------------------------------------------------------------------------------------ reading

    /** Reads and validates a whole safetensors file. */
    public static SafeTensors read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SafeTensorsException(file, "file is " + size + " bytes long, shorter than the 8-byte header length"
                        + " (not a safetensors file, or truncated)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long headerLen = lenBuf.flip().getLong();   // unsigned in the format; a negative value is huge
            if (headerLen < 0 || headerLen > size - 8) {
                throw new SafeTensorsException(file, "header length " + Long.toUnsignedString(headerLen)
                        + " is beyond the end of the file (" + size + " bytes): not a safetensors file, or truncated");
            }
            if (headerLen > MAX_HEADER_BYTES) {
                throw new SafeTensorsException(file, "header length " + headerLen + " exceeds the " + MAX_HEADER_BYTES + "-byte limit");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8, file);
            JsonObject header = parseHeader(file, new String(headerBuf.array(), StandardCharsets.UTF_8));

            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            Map<String, String> metadata = new TreeMap<>();
            List<Spec> specs = new ArrayList<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals(METADATA_KEY)) {
                    metadata.putAll(parseMetadata(file, e.getValue()));
                } else {
                    specs.add(parseSpec(file, e.getKey(), e.getValue()));
                }
            }
            checkLayout(file, specs, dataSize);

            Map<String, TensorEntry> tensors = new LinkedHashMap<>();
            for (Spec s : specs) {   // sorted by offset by checkLayout
                long len = s.end - s.begin;
                if (len > Integer.MAX_VALUE - 8) {
                    throw new SafeTensorsException(file, "tensor '" + s.name + "' is " + len + " bytes, too large for one Java array");
                }
                ByteBuffer data = ByteBuffer.allocate((int) len);
                readFully(ch, data, dataStart + s.begin, file);
                tensors.put(s.name, new TensorEntry(s.name, s.dtype.name(), s.shape, data.array()));
            }
            return new SafeTensors(metadata, tensors);
        }
    }

    private record Spec(String name, DType dtype, long[] shape, long begin, long end) {}

    private static JsonObject parseHeader(Path file, String text) throws SafeTensorsException {
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            JsonElement root = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new SafeTensorsException(file, "header has trailing data after the JSON object");
            }
            if (!root.isJsonObject()) {
                throw new SafeTensorsException(file, "header is JSON but not an object: " + abbreviate(text));
            }
            return root.getAsJsonObject();
        } catch (JsonParseException | IOException e) {
            if (e instanceof SafeTensorsException ste) {
                throw ste;
            }
            throw new SafeTensorsException(file, "header is not valid JSON (" + gsonReason(e) + "): " + abbreviate(text), e);
        }
    }

    private static Map<String, String> parseMetadata(Path file, JsonElement el) throws SafeTensorsException {
        if (!el.isJsonObject()) {
            throw new SafeTensorsException(file, METADATA_KEY + " must be an object of strings, got " + el);
        }
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : el.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            if (!(v.isJsonPrimitive() && v.getAsJsonPrimitive().isString())) {
                throw new SafeTensorsException(file, METADATA_KEY + " value of '" + e.getKey() + "' must be a string, got " + v);
            }
            out.put(e.getKey(), v.getAsString());
        }
        return out;
    }

    private static Spec parseSpec(Path file, String name, JsonElement el) throws SafeTensorsException {
        String where = "tensor '" + name + "'";
        if (!el.isJsonObject()) {
            throw new SafeTensorsException(file, where + ": expected an object with dtype, shape, data_offsets, got " + el);
        }
        JsonObject o = el.getAsJsonObject();
        JsonElement dtypeEl = o.get("dtype");
        if (dtypeEl == null || !dtypeEl.isJsonPrimitive() || !dtypeEl.getAsJsonPrimitive().isString()) {
            throw new SafeTensorsException(file, where + ": missing or non-string \"dtype\"");
        }
        String dtypeName = dtypeEl.getAsString();
        DType dtype = DType.parse(dtypeName).orElseThrow(() -> new SafeTensorsException(file,
                where + ": unsupported dtype '" + dtypeName + "' (supported: " + DType.supportedList() + ")"));
        long[] shape = longArray(file, where, o, "shape", -1);
        long[] offsets = longArray(file, where, o, "data_offsets", 2);
        long numel;
        try {
            numel = TensorEntry.numel(shape, name);
        } catch (ArithmeticException e) {
            throw new SafeTensorsException(file, where + ": shape " + Arrays.toString(shape) + " overflows");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new SafeTensorsException(file, where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, (long) dtype.bytes());
        } catch (ArithmeticException e) {
            throw new SafeTensorsException(file, where + ": shape " + Arrays.toString(shape) + " overflows");
        }
        if (end - begin != expected) {
            throw new SafeTensorsException(file, where + ": data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes, but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + expected);
        }
        return new Spec(name, dtype, shape, begin, end);
    }

    /** Reads a JSON array of non-negative integers ({@code length} -1 = any length). */
    private static long[] longArray(Path file, String where, JsonObject o, String key, int length) throws SafeTensorsException {
        JsonElement el = o.get(key);
        if (el == null || !el.isJsonArray()) {
            throw new SafeTensorsException(file, where + ": missing or non-array \"" + key + "\"");
        }
        var arr = el.getAsJsonArray();
        if (length >= 0 && arr.size() != length) {
            throw new SafeTensorsException(file, where + ": \"" + key + "\" must have " + length + " entries, got " + arr);
        }
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = arr.get(i);
            long value = -1;
            if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
                try {
                    value = new BigDecimal(((JsonPrimitive) v).getAsString()).longValueExact();
                } catch (ArithmeticException | NumberFormatException e) {
                    value = -1;
                }
            }
            if (value < 0) {
                throw new SafeTensorsException(file, where + ": \"" + key + "\" must hold non-negative integers, got " + arr);
            }
            out[i] = value;
        }
        return out;
    }

    /** Offsets must tile [0, dataSize) exactly: no gaps, no overlaps, nothing past the end, no trailing bytes. */
    private static void checkLayout(Path file, List<Spec> specs, long dataSize) throws SafeTensorsException {
        specs.sort(Comparator.comparingLong(Spec::begin).thenComparingLong(Spec::end));
        long pos = 0;
        Spec prev = null;
        for (Spec s : specs) {
            if (s.begin < pos) {
                throw new SafeTensorsException(file, "tensor '" + s.name + "' data_offsets [" + s.begin + ", " + s.end
                        + "] overlap tensor '" + prev.name + "' [" + prev.begin + ", " + prev.end + "]");
            }
            if (s.begin > pos) {
                throw new SafeTensorsException(file, "gap in the data buffer: bytes [" + pos + ", " + s.begin
                        + ") belong to no tensor (before tensor '" + s.name + "')");
            }
            if (s.end > dataSize) {
                throw new SafeTensorsException(file, "truncated data: tensor '" + s.name + "' data_offsets [" + s.begin + ", "
                        + s.end + "] go beyond the " + dataSize + " bytes of data in the file");
            }
            pos = s.end;
            prev = s;
        }
        if (pos != dataSize) {
            throw new SafeTensorsException(file, (dataSize - pos) + " bytes of data after the last tensor that no tensor"
                    + " claims (corrupt header or appended garbage)");
        }
    }

    // ------------------------------------------------------------------------------------ plumbing

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new SafeTensorsException(file, "unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    /** Gson's message without its advice to parse leniently and its troubleshooting link. */
    private static String gsonReason(Exception e) {
        String msg = e.getCause() != null && e instanceof JsonParseException ? e.getCause().getMessage() : e.getMessage();
        if (msg == null) {
            return e.getClass().getSimpleName();
        }
        int see = msg.indexOf("\nSee ");
        if (see >= 0) {
            msg = msg.substring(0, see);
        }
        return msg.replaceFirst("^Use JsonReader\\.setStrictness\\(Strictness\\.LENIENT\\) to accept ", "").strip();
    }

    private static String abbreviate(String s) {
        String oneLine = s.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= 80 ? "'" + oneLine + "'" : "'" + oneLine.substring(0, 77) + "...'";
    }
}
