package org.gaq.serve;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The message headers of the i-PI socket protocol: 12 bytes of ASCII, the word padded on the right
 * with spaces. The server (i-PI, ASE's {@code SocketIOCalculator}) sends STATUS, INIT, POSDATA,
 * GETFORCE and EXIT; the client (gaq) answers with READY, NEEDINIT, HAVEDATA and FORCEREADY.
 */
public enum IpiMessage {
    STATUS, READY, HAVEDATA, NEEDINIT, INIT, POSDATA, GETFORCE, FORCEREADY, EXIT;

    /** Length of every header on the wire. */
    public static final int HEADER_BYTES = 12;

    /** True for the messages a server sends to its client. */
    public boolean fromServer() {
        return switch (this) {
            case STATUS, INIT, POSDATA, GETFORCE, EXIT -> true;
            case READY, HAVEDATA, NEEDINIT, FORCEREADY -> false;
        };
    }

    /** The 12 bytes on the wire. */
    public byte[] header() {
        byte[] b = new byte[HEADER_BYTES];
        Arrays.fill(b, (byte) ' ');
        byte[] word = name().getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(word, 0, b, 0, word.length);
        return b;
    }

    /**
     * Decodes a header. Trailing spaces are the padding; like ASE (which rstrip()s) other trailing
     * whitespace is accepted too, and so are trailing NULs, what a C or Fortran writer with a
     * zero-filled buffer would leave. Anything else (an unknown or lower-case word, leading blanks,
     * bytes that are not printable ASCII) is a malformed header.
     */
    public static IpiMessage parse(byte[] header) throws IpiProtocolException {
        if (header.length != HEADER_BYTES)
            throw new IpiProtocolException("malformed header: " + header.length + " bytes instead of " + HEADER_BYTES);
        int end = HEADER_BYTES;
        while (end > 0 && (header[end - 1] == ' ' || header[end - 1] == 0 || header[end - 1] == '\t'
                || header[end - 1] == '\n' || header[end - 1] == '\r')) end--;
        for (int i = 0; i < end; i++) {
            if (header[i] < 0x21 || header[i] > 0x7e)
                throw new IpiProtocolException("malformed header " + describe(header) + ": not a padded ASCII word");
        }
        String word = new String(header, 0, end, StandardCharsets.US_ASCII);
        for (IpiMessage m : values()) if (m.name().equals(word)) return m;
        throw new IpiProtocolException("malformed header " + describe(header) + ": unknown message '" + word + "'");
    }

    /** The header as a quoted string, non-printable bytes escaped, for error messages. */
    static String describe(byte[] header) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte b : header) {
            if (b >= 0x20 && b <= 0x7e) sb.append((char) b);
            else sb.append(String.format("\\x%02x", b & 0xff));
        }
        return sb.append('"').toString();
    }
}
