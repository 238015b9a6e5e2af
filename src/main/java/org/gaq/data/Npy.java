package org.gaq.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Minimal reader for NumPy {@code .npy} arrays (format versions 1, 2 and 3).
 *
 * <p>We parse the format ourselves rather than through a generic library so that every failure
 * (truncation, unexpected dtype, Fortran order) becomes a {@link DataFormatException} naming the
 * file, the array and what was expected. Supported dtypes: {@code f8, f4, i8, i4, u1} in either
 * byte order; only C-order arrays.
 */
final class Npy {
    private Npy() {}

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** A parsed array: dtype string as in the header (e.g. "<f8"), shape, and raw data. */
    record Array(String name, String descr, long[] shape, ByteBuffer data) {
        long size() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        /** Kind and width without byte order, e.g. "f8", "u1". */
        String type() {
            return descr.substring(1);
        }

        String shapeString() {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < shape.length; i++) {
                if (i > 0) sb.append(", ");
                sb.append(shape[i]);
            }
            if (shape.length == 1) sb.append(',');
            return sb.append(')').toString();
        }

        /** Values as doubles (any supported numeric dtype). */
        double[] toDoubles() {
            int n = Math.toIntExact(size());
            double[] out = new double[n];
            ByteBuffer b = data.duplicate().order(data.order());
            switch (type()) {
                case "f8" -> b.asDoubleBuffer().get(out);
                case "f4" -> { for (int i = 0; i < n; i++) out[i] = b.getFloat(4 * i); }
                case "i8" -> { for (int i = 0; i < n; i++) out[i] = b.getLong(8 * i); }
                case "i4" -> { for (int i = 0; i < n; i++) out[i] = b.getInt(4 * i); }
                case "u1" -> { for (int i = 0; i < n; i++) out[i] = b.get(i) & 0xff; }
                default -> throw new IllegalStateException("unsupported dtype " + descr);
            }
            return out;
        }

        /** Values as ints (integer dtypes only). */
        int[] toInts() {
            int n = Math.toIntExact(size());
            int[] out = new int[n];
            ByteBuffer b = data.duplicate().order(data.order());
            switch (type()) {
                case "u1" -> { for (int i = 0; i < n; i++) out[i] = b.get(i) & 0xff; }
                case "i4" -> { for (int i = 0; i < n; i++) out[i] = b.getInt(4 * i); }
                case "i8" -> { for (int i = 0; i < n; i++) out[i] = Math.toIntExact(b.getLong(8 * i)); }
                default -> throw new IllegalStateException("not an integer dtype: " + descr);
            }
            return out;
        }
    }

    /**
     * Parse one {@code .npy} blob.
     *
     * @param file  the containing file, for error messages
     * @param name  the array name (npz key), for error messages
     * @param bytes the complete .npy content
     */
    static Array parse(Path file, String name, byte[] bytes) throws DataFormatException {
        String where = "array '" + name + "': ";
        if (bytes.length < 10 || !Arrays.equals(bytes, 0, 6, MAGIC, 0, 6))
            throw new DataFormatException(file, where + "not a .npy array (bad magic bytes)");
        int major = bytes[6] & 0xff;
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = buf.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) throw new DataFormatException(file, where + "truncated .npy header");
            headerLen = buf.getInt(8);
            headerStart = 12;
        } else {
            throw new DataFormatException(file, where + "unsupported .npy format version " + major);
        }
        if (headerLen < 0 || headerStart + (long) headerLen > bytes.length)
            throw new DataFormatException(file, where + "truncated .npy header");
        String header = new String(bytes, headerStart, headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find())
            throw new DataFormatException(file, where + "unreadable .npy header: " + header.strip());
        String descr = d.group(1);
        if (f.group(1).equals("True"))
            throw new DataFormatException(file, where + "Fortran-order arrays are not supported");
        long[] shape = parseShape(file, where, s.group(1));

        int itemSize = itemSize(descr);
        if (itemSize < 0)
            throw new DataFormatException(file, where + "unsupported dtype '" + descr
                    + "' (supported: f8, f4, i8, i4, u1)");
        long count = 1;
        for (long dim : shape) count = Math.multiplyExact(count, dim);
        long expected = count * itemSize;
        long available = bytes.length - (long) headerStart - headerLen;
        if (available < expected)
            throw new DataFormatException(file, where + "truncated data: shape " + Arrays.toString(shape)
                    + " of " + descr + " needs " + expected + " bytes, found " + available);
        ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        ByteBuffer data = ByteBuffer.wrap(bytes, headerStart + headerLen, (int) expected).slice().order(order);
        return new Array(name, normalize(descr), shape, data);
    }

    private static long[] parseShape(Path file, String where, String text) throws DataFormatException {
        String[] parts = text.split(",");
        long[] dims = new long[parts.length];
        int k = 0;
        for (String p : parts) {
            String t = p.strip();
            if (t.isEmpty()) continue; // trailing comma of a 1-tuple
            if (t.endsWith("L")) t = t.substring(0, t.length() - 1); // Python 2 longs
            try {
                dims[k] = Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw new DataFormatException(file, where + "bad shape '(" + text + ")'");
            }
            if (dims[k] < 0) throw new DataFormatException(file, where + "negative dimension in shape");
            k++;
        }
        return Arrays.copyOf(dims, k);
    }

    /** "|u1" → "|u1", "<f8" → "<f8", "=f8" → "<f8" (native order on all platforms we target). */
    private static String normalize(String descr) {
        if (descr.length() >= 2 && descr.charAt(0) == '=') return "<" + descr.substring(1);
        return descr;
    }

    private static int itemSize(String descr) {
        if (descr.length() != 3 || "<>|=".indexOf(descr.charAt(0)) < 0) return -1;
        return switch (descr.substring(1)) {
            case "f8", "i8" -> 8;
            case "f4", "i4" -> 4;
            case "u1" -> 1;
            default -> -1;
        };
    }
}
