package org.gaq.serve;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/** Where an i-PI server listens: a TCP host and port, or a UNIX-domain socket file. */
public sealed interface IpiAddress {

    /** The directory and prefix i-PI and ASE give a UNIX socket named NAME: {@code /tmp/ipi_NAME}. */
    String UNIX_PREFIX = "/tmp/ipi_";

    /** TCP, e.g. {@code localhost:31415}. */
    record Tcp(String host, int port) implements IpiAddress {
        public Tcp {
            if (host == null || host.isBlank()) throw new IllegalArgumentException("empty host name");
            if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " is not in 1..65535");
        }

        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** A UNIX-domain socket at an explicit path. */
    record Unix(Path path) implements IpiAddress {
        @Override
        public String toString() {
            return "unix socket " + path;
        }
    }

    /** Parses {@code HOST:PORT} (an IPv6 host in brackets: {@code [::1]:31415}). */
    static Tcp parseHostPort(String spec) {
        String s = spec.strip();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1)
            throw new IllegalArgumentException("--ipi expects HOST:PORT (e.g. localhost:31415), not '" + spec + "'");
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--ipi expects HOST:PORT with a numeric port, not '" + spec + "'");
        }
        return new Tcp(host, port);
    }

    /**
     * The socket i-PI and ASE create for {@code <ffsocket mode="unix"><address>NAME} and
     * {@code SocketIOCalculator(unixsocket=NAME)}: {@code /tmp/ipi_NAME}.
     */
    static Unix unixNamed(String name) {
        if (name == null || name.isBlank() || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0)
            throw new IllegalArgumentException("--unix expects a socket name without '/' (it becomes "
                    + UNIX_PREFIX + "NAME), not '" + name + "'");
        return new Unix(Path.of(UNIX_PREFIX + name));
    }

    /**
     * Connects, retrying for up to {@code retryFor}: a client is often started together with its
     * server (ASE launches it right after binding; scripts start both at once), so "no such socket"
     * or "connection refused" in the first seconds usually means "not yet", not "never".
     */
    default SocketChannel connect(Duration retryFor) throws IOException {
        SocketAddress address = socketAddress();   // an unknown host fails at once: retrying will not help
        long deadline = System.nanoTime() + retryFor.toNanos();
        IOException last;
        do {
            SocketChannel channel = this instanceof Unix ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
            try {
                channel.connect(address);
                return channel;
            } catch (IOException e) {
                channel.close();
                last = e;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while connecting to " + this, e);
            }
        } while (System.nanoTime() < deadline);
        throw new IOException("cannot connect to the i-PI server at " + this + " (tried for "
                + retryFor.toMillis() / 1000.0 + " s): " + last.getMessage(), last);
    }

    /** The java.net address; a TCP host is resolved here, and an unknown one is an error. */
    default SocketAddress socketAddress() throws IOException {
        return switch (this) {
            case Tcp t -> {
                InetSocketAddress a = new InetSocketAddress(t.host(), t.port());
                if (a.isUnresolved()) throw new IOException("unknown host '" + t.host() + "'");
                yield a;
            }
            case Unix u -> UnixDomainSocketAddress.of(u.path());
        };
    }
}
