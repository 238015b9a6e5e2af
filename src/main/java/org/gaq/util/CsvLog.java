package org.gaq.util;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * An append-only CSV log (learning curves, MD energies): a header line, then one row per call.
 *
 * <pre>{@code
 * try (CsvLog log = CsvLog.open(runDir.resolve("train.csv"), "epoch", "loss", "val_force_mae")) {
 *     log.row(epoch, loss, mae);
 * }
 * }</pre>
 *
 * <ul>
 *   <li>Each row goes to the operating system in a single write as soon as {@link #row} returns, so
 *       a crash or kill of the JVM loses nothing already logged (a power failure may: use {@link #sync()}).</li>
 *   <li>Opening an existing file with the same header appends to it (resumed runs). A different
 *       header is an error rather than a silently mixed file. An empty file gets the header.</li>
 *   <li>If the file ends in a partial row (the process died mid-write), that fragment is cut off
 *       on open so the file stays valid CSV.</li>
 *   <li>Values: numbers via {@code toString} (shortest round-trip form, e.g. 0.1 not
 *       0.10000000149), {@code null} as an empty field, text quoted per RFC 4180 when needed.</li>
 * </ul>
 */
public final class CsvLog implements Closeable {

    private final Path file;
    private final List<String> header;
    private final FileChannel channel;

    private CsvLog(Path file, List<String> header, FileChannel channel) {
        this.file = file;
        this.header = header;
        this.channel = channel;
    }

    public static CsvLog open(Path file, String... header) throws IOException {
        return open(file, List.of(header));
    }

    /** Opens {@code file} for appending, creating it (and its directory) with {@code header} if needed. */
    public static CsvLog open(Path file, List<String> header) throws IOException {
        if (header.isEmpty()) {
            throw new IllegalArgumentException("a CSV log needs at least one column");
        }
        List<String> cols = List.copyOf(header);
        String headerLine = encode(cols.toArray());
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            if (ch.size() == 0) {
                writeFully(ch, headerLine + "\n", 0);
            } else {
                String existing = firstLine(file);
                if (!existing.equals(headerLine)) {
                    throw new IOException(file + ": existing CSV log has header '" + existing + "' but this run writes '"
                            + headerLine + "'; move the old file away or use another name");
                }
                dropPartialLastLine(ch, file);
            }
            ch.position(ch.size());
            return new CsvLog(file, cols, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Appends one row; it must have as many values as the header has columns. */
    public synchronized void row(Object... values) throws IOException {
        if (values.length != header.size()) {
            throw new IllegalArgumentException(file.getFileName() + ": row has " + values.length + " values but the header "
                    + header + " has " + header.size() + " columns");
        }
        writeFully(channel, encode(values) + "\n", channel.size());
    }

    /** Forces logged rows to the disk itself (not needed to survive a JVM crash, only a power cut). */
    public synchronized void sync() throws IOException {
        channel.force(false);
    }

    public List<String> header() {
        return header;
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    // ------------------------------------------------------------------------------------ encoding

    static String encode(Object[] values) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(field(values[i]));
        }
        return sb.toString();
    }

    private static String field(Object v) {
        if (v == null) {
            return "";
        }
        String s = switch (v) {
            case Double d -> Double.toString(d);
            case Float f -> Float.toString(f);
            case Number n -> n.toString();
            default -> v.toString();
        };
        boolean needsQuotes = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0
                || (!s.isEmpty() && (Character.isWhitespace(s.charAt(0)) || Character.isWhitespace(s.charAt(s.length() - 1))));
        return needsQuotes ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    // ------------------------------------------------------------------------------------ file plumbing

    private static String firstLine(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line = r.readLine();
            return line == null ? "" : line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        }
    }

    /** Cuts a trailing row fragment without its newline (left by a crash in the middle of a write). */
    private static void dropPartialLastLine(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        ByteBuffer one = ByteBuffer.allocate(1);
        ch.read(one, size - 1);
        if (one.get(0) == '\n') {
            return;
        }
        // scan back for the last newline; the header line always has one once written by us
        long pos = size - 1;
        ByteBuffer chunk = ByteBuffer.allocate(4096);
        while (pos > 0) {
            long from = Math.max(0, pos - chunk.capacity());
            chunk.clear().limit((int) (pos - from));
            ch.read(chunk, from);
            for (int i = chunk.position() - 1; i >= 0; i--) {
                if (chunk.get(i) == '\n') {
                    long keep = from + i + 1;
                    System.err.println("warning: " + file + ": dropping an incomplete last row of " + (size - keep)
                            + " bytes (an earlier run was interrupted while writing it)");
                    ch.truncate(keep);
                    return;
                }
            }
            pos = from;
        }
        // header without newline (file written by someone else): terminate it
        writeFully(ch, "\n", size);
    }

    private static void writeFully(FileChannel ch, String text, long position) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        long pos = position;
        while (buf.hasRemaining()) {
            pos += ch.write(buf, pos);
        }
    }
}
