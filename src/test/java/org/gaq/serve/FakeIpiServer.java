package org.gaq.serve;

import org.gaq.data.Units;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A minimal i-PI server for tests, written from the protocol description (and checked against what
 * ASE's {@code SocketIOCalculator} sends): it converts like ASE (Å / Bohr, transposed cell) so the
 * driver sees exactly what it would see from ASE, and it can also send broken messages.
 */
final class FakeIpiServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final IpiAddress address;
    private final Path unixPath;
    private SocketChannel client;

    private FakeIpiServer(ServerSocketChannel server, IpiAddress address, Path unixPath) {
        this.server = server;
        this.address = address;
        this.unixPath = unixPath;
    }

    static FakeIpiServer tcp() throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = ((InetSocketAddress) s.getLocalAddress()).getPort();
        return new FakeIpiServer(s, new IpiAddress.Tcp("127.0.0.1", port), null);
    }

    /** A UNIX socket under i-PI's naming, /tmp/ipi_gaqtest-&lt;random&gt;. */
    static FakeIpiServer unix() throws IOException {
        IpiAddress.Unix a = IpiAddress.unixNamed("gaqtest-" + UUID.randomUUID().toString().substring(0, 8));
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(a.path()));
        return new FakeIpiServer(s, a, a.path());
    }

    IpiAddress address() { return address; }

    void accept() throws IOException {
        client = server.accept();
    }

    void send(String word) throws IOException {
        byte[] b = (word + " ".repeat(12)).substring(0, 12).getBytes(StandardCharsets.US_ASCII);
        write(ByteBuffer.wrap(b));
    }

    void sendRaw(byte[] bytes) throws IOException {
        write(ByteBuffer.wrap(bytes));
    }

    /** STATUS, then the client's 12-byte reply with the padding stripped. */
    String status() throws IOException {
        send("STATUS");
        return readHeader();
    }

    void sendInit(int bead, String text) throws IOException {
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        send("INIT");
        write(le(8 + t.length).putInt(bead).putInt(t.length).put(t).flip());
    }

    /**
     * POSDATA as ASE sends it: {@code cell.T / Bohr}, {@code pinv(cell).T * Bohr}, natoms, positions / Bohr.
     *
     * @param cellRows lattice vectors as rows, Å (all zero: no cell)
     */
    void sendPositions(double[] cellRows, double[] positionsAngstrom, int natoms) throws IOException {
        send("POSDATA");
        ByteBuffer b = le(9 * 8 * 2 + 4 + 8 * positionsAngstrom.length);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) b.putDouble(cellRows[3 * c + r] / Units.ASE_BOHR_IN_ANGSTROM);
        for (int i = 0; i < 9; i++) b.putDouble(0.0);   // inverse cell: gaq does not use it
        b.putInt(natoms);
        for (double x : positionsAngstrom) b.putDouble(x / Units.ASE_BOHR_IN_ANGSTROM);
        write(b.flip());
    }

    /** What FORCEREADY carried, converted back like ASE: eV, eV/Å, eV (virial transposed back). */
    record Forces(double energy, double[] forces, double[] virial, byte[] extra) {}

    Forces getForce() throws IOException {
        send("GETFORCE");
        String reply = readHeader();
        if (!reply.equals("FORCEREADY")) throw new IOException("expected FORCEREADY, got " + reply);
        double e = read(8).getDouble() * Units.ASE_HARTREE_IN_EV;
        int n = read(4).getInt();
        ByteBuffer fb = read(24 * n);
        double[] f = new double[3 * n];
        for (int i = 0; i < f.length; i++) f[i] = fb.getDouble() * (Units.ASE_HARTREE_IN_EV / Units.ASE_BOHR_IN_ANGSTROM);
        ByteBuffer vb = read(72);
        double[] wire = new double[9];
        for (int i = 0; i < 9; i++) wire[i] = vb.getDouble();
        double[] w = new double[9];
        for (int a = 0; a < 3; a++)
            for (int c = 0; c < 3; c++) w[3 * a + c] = wire[3 * c + a] * Units.ASE_HARTREE_IN_EV;
        int extra = read(4).getInt();
        byte[] more = new byte[extra];
        read(extra).get(more);
        return new Forces(e, f, w, more);
    }

    String readHeader() throws IOException {
        byte[] b = new byte[12];
        read(12).get(b);
        return new String(b, StandardCharsets.US_ASCII).strip();
    }

    /** Closes the connection to the client (the server socket stays). */
    void hangUp() throws IOException {
        client.close();
    }

    private ByteBuffer read(int n) throws IOException {
        ByteBuffer b = le(n);
        while (b.hasRemaining()) if (client.read(b) < 0) throw new EOFException("client closed the connection");
        return b.flip();
    }

    private void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) client.write(b);
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() throws IOException {
        try {
            if (client != null) client.close();
            server.close();
        } finally {
            if (unixPath != null) Files.deleteIfExists(unixPath);
        }
    }
}
