package org.gaq.serve;

import java.io.Closeable;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Locale;

/**
 * The byte level of the i-PI protocol on one connection: 12-byte headers, int32 and float64 values,
 * little-endian (what every i-PI implementation on x86 and ARM sends: they write native-endian
 * numpy/Fortran arrays), with exact-length reads.
 *
 * <p>Reads wait at most {@code readTimeout} for the next byte. A blocking {@link SocketChannel} has no
 * read timeout (and a UNIX-domain channel has no {@code Socket} adapter to set one on), so the channel
 * is non-blocking and every wait goes through a {@link Selector}: a silent or stuck server ends the
 * session with an error instead of hanging the client forever.
 */
public final class IpiChannel implements Closeable {
    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final long timeoutMillis;

    public IpiChannel(SocketChannel channel, Duration readTimeout) throws IOException {
        if (readTimeout.isNegative() || readTimeout.isZero())
            throw new IllegalArgumentException("read timeout must be positive, got " + readTimeout);
        this.channel = channel;
        this.timeoutMillis = readTimeout.toMillis();
        channel.configureBlocking(false);
        this.selector = Selector.open();
        this.key = channel.register(selector, 0);
    }

    /**
     * The next header, or {@code null} if the server closed the connection cleanly before sending
     * one (between messages: how ASE's {@code SocketIOCalculator} ends a session).
     */
    public IpiMessage readHeaderOrEnd() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(IpiMessage.HEADER_BYTES);
        if (!fill(b, "the next message header", true)) return null;
        return IpiMessage.parse(b.array());
    }

    public int readInt32(String what) throws IOException {
        ByteBuffer b = order(ByteBuffer.allocate(4));
        fill(b, what, false);
        return b.flip().getInt();
    }

    public double[] readFloat64(int count, String what) throws IOException {
        ByteBuffer b = order(ByteBuffer.allocate(8 * count));
        fill(b, what, false);
        b.flip();
        double[] out = new double[count];
        b.asDoubleBuffer().get(out);
        return out;
    }

    public byte[] readBytes(int count, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(count);
        fill(b, what, false);
        return b.array();
    }

    /** Sends a header alone (a STATUS reply). */
    public void send(IpiMessage m) throws IOException {
        write(ByteBuffer.wrap(m.header()));
    }

    /** A little-endian buffer for building a message body. */
    public static ByteBuffer buffer(int bytes) {
        return order(ByteBuffer.allocate(bytes));
    }

    /** Writes the whole buffer (position to limit). */
    public void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            int n;
            try {
                n = channel.write(b);
            } catch (IOException e) {
                throw lost("sending a reply", e);
            }
            if (n == 0) await(SelectionKey.OP_WRITE, "room in the socket's send buffer");
        }
    }

    /**
     * Reads until {@code b} is full. Returns false only if {@code endAllowed} and the peer closed the
     * connection before the first byte; a close after some bytes is a truncated message.
     */
    private boolean fill(ByteBuffer b, String what, boolean endAllowed) throws IOException {
        int wanted = b.remaining();
        while (b.hasRemaining()) {
            int n;
            try {
                n = channel.read(b);
            } catch (IOException e) {
                throw lost("reading " + what, e);
            }
            if (n < 0) {
                int got = wanted - b.remaining();
                if (got == 0 && endAllowed) return false;
                throw new IpiProtocolException("truncated message: the server closed the connection after "
                        + got + " of the " + wanted + " bytes of " + what);
            }
            if (n == 0) await(SelectionKey.OP_READ, what);
        }
        return true;
    }

    /** Waits until the channel is ready for {@code op}, at most the read timeout (select may wake early). */
    private void await(int op, String what) throws IOException {
        key.interestOps(op);
        try {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0)
                    throw new SocketTimeoutException(String.format(Locale.ROOT,
                            "no data from the i-PI server for %.1f s while waiting for %s (see --timeout)",
                            timeoutMillis / 1000.0, what));
                int ready = selector.select(left);
                selector.selectedKeys().clear();
                if (ready > 0) return;
                if (Thread.currentThread().isInterrupted()) throw new IOException("interrupted while waiting for " + what);
            }
        } finally {
            key.interestOps(0);
        }
    }

    /** A failed read or write (connection reset, broken pipe), with what the client was doing. */
    private static IOException lost(String doing, IOException cause) {
        return new IOException("lost the connection to the i-PI server while " + doing + ": " + cause.getMessage(), cause);
    }

    private static ByteBuffer order(ByteBuffer b) {
        return b.order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }
}
