package org.gaq.serve;

import org.gaq.data.Units;
import org.gaq.md.ForceField;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * The client side of the i-PI protocol: answers a server's requests with a {@link ForceField}'s
 * energies and forces until the server says EXIT or closes the connection.
 *
 * <p>The conversation, driven entirely by the server:
 * <pre>
 *   server → STATUS              client → NEEDINIT (until the first INIT), READY, or HAVEDATA
 *   server → INIT   bead, string (ignored: one model serves every bead)
 *   server → POSDATA cell, inverse cell, natoms, positions      (client computes)
 *   server → GETFORCE            client → FORCEREADY energy, natoms, forces, virial, extra string
 *   server → EXIT, or closes the socket between messages        (client returns)
 * </pre>
 * Like i-PI's reference driver, the client starts in NEEDINIT and stays initialised once it has an
 * INIT; a POSDATA before any INIT is accepted too, as ASE's own client does. Everything else ends
 * the session with an {@link IpiProtocolException} naming the problem: a malformed header, a client's
 * message coming from the server, GETFORCE with no positions, POSDATA while forces are still
 * waiting to be collected, a wrong atom count, a truncated payload, non-finite numbers.
 *
 * <p>Units on the wire are atomic (Bohr, Hartree), converted with ASE's constants
 * ({@link Units#ASE_BOHR_IN_ANGSTROM}, {@link Units#ASE_HARTREE_IN_EV}).
 */
public final class IpiDriver {

    /** How a session ended normally. */
    public enum Ending {
        EXIT_MESSAGE("the server sent EXIT"),
        SERVER_CLOSED("the server closed the connection");

        private final String description;

        Ending(String description) { this.description = description; }

        public String description() { return description; }
    }

    /**
     * @param forceCalls   POSDATA messages evaluated
     * @param computeNanos time spent in the force engine, summed
     * @param ending       why the session ended
     */
    public record Summary(int forceCalls, long computeNanos, Ending ending) {
        public double meanMillisPerCall() {
            return forceCalls == 0 ? Double.NaN : computeNanos / 1e6 / forceCalls;
        }
    }

    /** Client states, named after the STATUS reply each one gives. */
    private enum State { NEEDINIT, READY, HAVEDATA }

    /** Longest INIT string accepted; real servers send a few bytes, a huge length means a corrupt stream. */
    static final int MAX_INIT_BYTES = 1 << 20;

    private final ForceField engine;
    private final boolean ignoreCell;
    private final String structureName;
    private final PrintStream warnings;

    /**
     * @param ignoreCell    evaluate the molecule as isolated even if the server sends a periodic cell
     * @param structureName where the atoms came from, for the wrong-atom-count message
     * @param warnings      where one-time warnings go (stderr in the CLI)
     */
    public IpiDriver(ForceField engine, boolean ignoreCell, String structureName, PrintStream warnings) {
        this.engine = engine;
        this.ignoreCell = ignoreCell;
        this.structureName = structureName;
        this.warnings = warnings;
    }

    /** Serves one connection until the server ends it; closes nothing (the caller owns the channel). */
    public Summary serve(IpiChannel channel) throws IOException {
        State state = State.NEEDINIT;
        ForceField.Evaluation result = null;
        double[] positions = null;
        int calls = 0;
        long nanos = 0;
        boolean warnedAboutCell = false;
        while (true) {
            IpiMessage m = channel.readHeaderOrEnd();
            if (m == null) return new Summary(calls, nanos, Ending.SERVER_CLOSED);
            switch (m) {
                case STATUS -> channel.send(IpiMessage.valueOf(state.name()));
                case INIT -> {
                    channel.readInt32("INIT's bead index");
                    int length = channel.readInt32("INIT's string length");
                    if (length < 0 || length > MAX_INIT_BYTES)
                        throw new IpiProtocolException("INIT announces a string of " + length
                                + " bytes (expected 0.." + MAX_INIT_BYTES + "): corrupt stream?");
                    channel.readBytes(length, "INIT's string");
                    if (state == State.NEEDINIT) state = State.READY;
                }
                case POSDATA -> {
                    if (state == State.HAVEDATA)
                        throw new IpiProtocolException("unexpected POSDATA: the forces for the previous positions "
                                + "have not been collected with GETFORCE yet");
                    PositionData data = PositionData.read(channel, engine.atomicNumbers().length, structureName);
                    if (data.hasCell()) warnedAboutCell = checkCell(data, warnedAboutCell);
                    long t0 = System.nanoTime();
                    result = engine.evaluate(data.positions());
                    nanos += System.nanoTime() - t0;
                    calls++;
                    checkFinite(result, calls);
                    positions = data.positions();
                    state = State.HAVEDATA;
                }
                case GETFORCE -> {
                    if (state != State.HAVEDATA)
                        throw new IpiProtocolException("unexpected GETFORCE: no positions have been sent (POSDATA) "
                                + "since the last forces were collected");
                    channel.write(forceReady(result, positions));
                    state = State.READY;
                }
                case EXIT -> {
                    return new Summary(calls, nanos, Ending.EXIT_MESSAGE);
                }
                case READY, HAVEDATA, NEEDINIT, FORCEREADY -> throw new IpiProtocolException("unexpected message "
                        + m + " from the server: that is a client's reply (is the other end a server?)");
            }
        }
    }

    /**
     * A FORCEREADY message: header, energy (Ha), natoms (int32), forces (Ha/Bohr, natoms×3), virial
     * (Ha, 3×3) and an extra string (int32 length + bytes). The virial goes out transposed, as ASE's
     * client and i-PI's Python drivers send it (ASE transposes it back when it reads); W is symmetric
     * for a rotation-invariant model anyway, up to rounding. The extra string is empty: i-PI and ASE both
     * accept a zero length, and anything we sent would have to be JSON for i-PI.
     */
    static ByteBuffer forceReady(ForceField.Evaluation r, double[] positions) {
        int n = r.forces().length / 3;
        ByteBuffer b = IpiChannel.buffer(IpiMessage.HEADER_BYTES + 8 + 4 + 24 * n + 72 + 4);
        b.put(IpiMessage.FORCEREADY.header());
        b.putDouble(r.energy() / Units.ASE_HARTREE_IN_EV);
        b.putInt(n);
        double forceUnit = Units.ASE_BOHR_IN_ANGSTROM / Units.ASE_HARTREE_IN_EV;   // eV/Å → Ha/Bohr
        for (double f : r.forces()) b.putDouble(f * forceUnit);
        double[] w = Virial.of(positions, r.forces());
        for (int a = 0; a < 3; a++)
            for (int c = 0; c < 3; c++) b.putDouble(w[3 * c + a] / Units.ASE_HARTREE_IN_EV);
        b.putInt(0);
        return b.flip();
    }

    /** Without --ignore-cell a cell is an error; with it, warn once if periodic images would be within reach. */
    private boolean checkCell(PositionData data, boolean warned) throws IOException {
        double[] c = data.cell();
        if (!ignoreCell)
            throw new IOException(String.format(Locale.ROOT, "the server sent a periodic cell (a = [%.4g, %.4g, %.4g], "
                    + "b = [%.4g, %.4g, %.4g], c = [%.4g, %.4g, %.4g] Å), but gaq models have no periodic boundary conditions. "
                    + "For a molecule in a large box pass --ignore-cell to evaluate it as isolated (exact while every atom "
                    + "stays more than the model's cutoff, %.3g Å, from the periodic images of the others)",
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], engine.cutoff()));
        if (warned) return true;
        double clearance = data.imageClearance();
        if (clearance < engine.cutoff()) {
            warnings.printf(Locale.ROOT, "gaq drive: warning: with --ignore-cell the molecule is evaluated as isolated, "
                    + "but the cell leaves only %.3f Å between it and its periodic images (the model's cutoff is %.3g Å), "
                    + "so real periodic images would interact; results differ from a periodic calculation "
                    + "(warned once)%n", clearance, engine.cutoff());
            return true;
        }
        return false;
    }

    private static void checkFinite(ForceField.Evaluation r, int call) throws IOException {
        boolean finite = Double.isFinite(r.energy());
        for (double f : r.forces()) finite &= Double.isFinite(f);
        if (!finite)
            throw new IOException("the model produced a non-finite energy or force at force call " + call
                    + " (atoms on top of each other? a simulation that blew up?)");
    }
}
