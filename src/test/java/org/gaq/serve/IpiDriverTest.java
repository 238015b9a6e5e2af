package org.gaq.serve;

import org.gaq.md.ModelForceField;
import org.gaq.infer.TapePotential;
import org.gaq.data.Frame;
import org.gaq.data.NeighborList;
import org.gaq.data.Units;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The driver against {@link FakeIpiServer} over real sockets (TCP and UNIX): the numbers it returns
 * are the model's own, every protocol error ends the session with a message naming it, and nothing
 * hangs (each test runs under a preemptive timeout, the driver under a short read timeout).
 */
class IpiDriverTest {
    private static final Duration LIMIT = Duration.ofSeconds(20);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
    private static final ExecutorService POOL = Executors.newCachedThreadPool();

    /** Ethanol (C C O H H H H H H), a plausible geometry, Å. */
    static final int[] ETHANOL_Z = {6, 6, 8, 1, 1, 1, 1, 1, 1};
    static final double[] ETHANOL_R = {
            0.0072, -0.5687, 0.0000, -1.2854, 0.2499, 0.0000, 1.1304, 0.3147, 0.0000,
            0.0392, -1.1972, 0.8900, 0.0392, -1.1972, -0.8900, -1.3175, 0.8784, 0.8900,
            -1.3175, 0.8784, -0.8900, -2.1422, -0.4239, 0.0000, 1.9116, -0.2279, 0.0000};
    private static final double[] NO_CELL = new double[9];

    /** A small random model: these tests are about transport, not accuracy. */
    private static final EquivariantTransformer MODEL = new EquivariantTransformer(new ModelConfig(16, 2, 2, 8, 5.0, true, 18), 3);
    private static final ModelForceField ENGINE = new ModelForceField(new TapePotential(MODEL), ETHANOL_Z);

    @AfterAll
    static void stopPool() {
        POOL.shutdownNow();
    }

    /** Starts the driver against {@code server} on a pool thread. */
    private static Future<IpiDriver.Summary> startDriver(FakeIpiServer server, boolean ignoreCell, Duration readTimeout,
                                                         PrintStream warnings) {
        IpiDriver driver = new IpiDriver(ENGINE, ignoreCell, "the test structure", warnings);
        return POOL.submit(() -> {
            try (IpiChannel ch = new IpiChannel(server.address().connect(Duration.ofSeconds(5)), readTimeout)) {
                return driver.serve(ch);
            }
        });
    }

    private static Future<IpiDriver.Summary> startDriver(FakeIpiServer server) {
        return startDriver(server, false, READ_TIMEOUT, System.err);
    }

    /** The driver's failure, unwrapped. */
    private static Throwable failure(Future<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return e.getCause();
    }

    /** Positions the driver sees after the round trip through Bohr (what it evaluates). */
    private static double[] throughBohr(double[] r) {
        double[] out = new double[r.length];
        for (int i = 0; i < r.length; i++) out[i] = r[i] / Units.ASE_BOHR_IN_ANGSTROM * Units.ASE_BOHR_IN_ANGSTROM;
        return out;
    }

    private static double[] displaced(int step) {
        double[] r = ETHANOL_R.clone();
        for (int i = 0; i < r.length; i++) r[i] += 0.01 * step * Math.sin(1.7 * i + step);
        return r;
    }

    @Test
    void tcpServesTheModelsOwnEnergiesAndForces() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.tcp()) {
                servesTheModelsOwnNumbers(server);
            }
        });
    }

    @Test
    void unixSocketServesTheModelsOwnEnergiesAndForces() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.unix()) {
                assertTrue(server.address().toString().contains("/tmp/ipi_gaqtest-"), server.address().toString());
                servesTheModelsOwnNumbers(server);
            }
        });
    }

    private static void servesTheModelsOwnNumbers(FakeIpiServer server) throws Exception {
        Future<IpiDriver.Summary> driver = startDriver(server);
        server.accept();
        assertEquals("NEEDINIT", server.status());
        server.sendInit(0, "x");
        assertEquals("READY", server.status());
        for (int step = 0; step < 3; step++) {
            double[] r = displaced(step);
            server.sendPositions(NO_CELL, r, ETHANOL_Z.length);
            assertEquals("HAVEDATA", server.status());
            assertEquals("HAVEDATA", server.status());   // asking twice changes nothing
            FakeIpiServer.Forces got = server.getForce();
            assertEquals("READY", server.status());

            // The reference: the model's own predict on the positions the driver received.
            double[] seen = throughBohr(r);
            var g = NeighborList.batch(List.of(Frame.unlabeled(ETHANOL_Z, seen)), MODEL.config().cutoff());
            var p = MODEL.predict(g, false);
            double energy = p.energies()[0];
            float[] f = p.forces().data();
            // Transport is float64 and the unit factors cancel to a few ulp: 1e-14 relative is "exact".
            assertEquals(energy, got.energy(), 1e-14 * Math.abs(energy), "energy at step " + step);
            double fmax = 0;
            for (float x : f) fmax = Math.max(fmax, Math.abs(x));
            for (int i = 0; i < f.length; i++)
                assertEquals(f[i], got.forces()[i], 1e-14 * fmax, "force component " + i + " at step " + step);
            double[] w = Virial.of(seen, got.forces());
            for (int i = 0; i < 9; i++) assertEquals(w[i], got.virial()[i], 1e-12 * fmax, "virial " + i);
            assertEquals(0, got.extra().length);
        }
        server.send("EXIT");
        IpiDriver.Summary s = driver.get(10, TimeUnit.SECONDS);
        assertEquals(3, s.forceCalls());
        assertEquals(IpiDriver.Ending.EXIT_MESSAGE, s.ending());
    }

    @Test
    void serverClosingBetweenMessagesIsACleanEnd() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.unix()) {
                Future<IpiDriver.Summary> driver = startDriver(server);
                server.accept();
                // ASE's way: straight to READY-less POSDATA is fine for ASE's client, and ASE never sends EXIT.
                server.sendPositions(NO_CELL, ETHANOL_R, ETHANOL_Z.length);
                server.getForce();
                server.hangUp();
                IpiDriver.Summary s = driver.get(10, TimeUnit.SECONDS);
                assertEquals(1, s.forceCalls());
                assertEquals(IpiDriver.Ending.SERVER_CLOSED, s.ending());
            }
        });
    }

    @Test
    void malformedHeaderIsNamed() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.tcp()) {
                Future<IpiDriver.Summary> driver = startDriver(server);
                server.accept();
                server.sendRaw("HELLO WORLD!".getBytes(StandardCharsets.US_ASCII));
                Throwable e = failure(driver);
                assertInstanceOf(IpiProtocolException.class, e);
                assertTrue(e.getMessage().contains("malformed header \"HELLO WORLD!\""), e.getMessage());
            }
        });
    }

    @Test
    void binaryGarbageIsAMalformedHeader() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.tcp()) {
                Future<IpiDriver.Summary> driver = startDriver(server);
                server.accept();
                server.sendRaw(new byte[]{'S', 'T', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
                Throwable e = failure(driver);
                assertInstanceOf(IpiProtocolException.class, e);
                assertTrue(e.getMessage().contains("malformed header \"ST\\x00\\x01"), e.getMessage());
            }
        });
    }

    @Test
    void truncatedPayloadIsNamed() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.unix()) {
                Future<IpiDriver.Summary> driver = startDriver(server);
                server.accept();
                server.send("POSDATA");
                server.sendRaw(new byte[40]);   // 5 of the cell's 9 doubles, then the server goes away
                server.hangUp();
                Throwable e = failure(driver);
                assertInstanceOf(IpiProtocolException.class, e);
                assertTrue(e.getMessage().contains("truncated message") && e.getMessage().contains("40 of the 72 bytes of POSDATA's cell"),
                        e.getMessage());
            }
        });
    }

    @Test
    void truncatedHeaderIsNotACleanEnd() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.tcp()) {
                Future<IpiDriver.Summary> driver = startDriver(server);
                server.accept();
                server.sendRaw("STAT".getBytes(StandardCharsets.US_ASCII));
                server.hangUp();
                Throwable e = failure(driver);
                assertTrue(e.getMessage().contains("4 of the 12 bytes of the next message header"), e.getMessage());
            }
        });
    }

    @Test
    void wrongAtomCountIsNamed() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.tcp()) {
                Future<IpiDriver.Summary> driver = startDriver(server);
                server.accept();
                double[] eight = java.util.Arrays.copyOf(ETHANOL_R, 24);
                server.sendPositions(NO_CELL, eight, 8);
                Throwable e = failure(driver);
                assertInstanceOf(IpiProtocolException.class, e);
                assertTrue(e.getMessage().contains("server sent 8 atoms, but the test structure has 9"), e.getMessage());
            }
        });
    }

    @Test
    void nonFinitePositionIsNamed() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.tcp()) {
                Future<IpiDriver.Summary> driver = startDriver(server);
                server.accept();
                double[] r = ETHANOL_R.clone();
                r[3 * 4 + 1] = Double.NaN;
                server.sendPositions(NO_CELL, r, 9);
                Throwable e = failure(driver);
                assertInstanceOf(IpiProtocolException.class, e);
                assertTrue(e.getMessage().contains("coordinate y of atom 4 is NaN"), e.getMessage());
            }
        });
    }

    @Test
    void unexpectedMessagesAreNamed() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.tcp()) {
                Future<IpiDriver.Summary> driver = startDriver(server);
                server.accept();
                server.send("GETFORCE");
                Throwable e = failure(driver);
                assertTrue(e.getMessage().contains("unexpected GETFORCE"), e.getMessage());
            }
            try (FakeIpiServer server = FakeIpiServer.tcp()) {
                Future<IpiDriver.Summary> driver = startDriver(server);
                server.accept();
                server.send("FORCEREADY");
                Throwable e = failure(driver);
                assertTrue(e.getMessage().contains("unexpected message FORCEREADY"), e.getMessage());
            }
            try (FakeIpiServer server = FakeIpiServer.tcp()) {
                Future<IpiDriver.Summary> driver = startDriver(server);
                server.accept();
                server.sendPositions(NO_CELL, ETHANOL_R, 9);
                server.sendPositions(NO_CELL, ETHANOL_R, 9);
                Throwable e = failure(driver);
                assertTrue(e.getMessage().contains("unexpected POSDATA"), e.getMessage());
            }
        });
    }

    @Test
    void silentServerTimesOut() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.unix()) {
                Future<IpiDriver.Summary> driver = startDriver(server, false, Duration.ofMillis(300), System.err);
                server.accept();
                server.send("POSDATA");   // and then nothing
                Throwable e = failure(driver);
                assertInstanceOf(SocketTimeoutException.class, e);
                assertTrue(e.getMessage().contains("no data from the i-PI server for 0.3 s while waiting for POSDATA's cell"),
                        e.getMessage());
            }
        });
    }

    @Test
    void periodicCellNeedsIgnoreCell() throws Exception {
        double[] box = {20, 0, 0, 0, 20, 0, 0, 0, 20};
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FakeIpiServer server = FakeIpiServer.tcp()) {
                Future<IpiDriver.Summary> driver = startDriver(server);
                server.accept();
                server.sendPositions(box, ETHANOL_R, 9);
                Throwable e = failure(driver);
                assertTrue(e.getMessage().contains("periodic cell") && e.getMessage().contains("--ignore-cell"), e.getMessage());
            }
            // With --ignore-cell: evaluated as isolated; a 20 Å box leaves room, a 6 Å one earns a warning.
            ByteArrayOutputStream warnings = new ByteArrayOutputStream();
            try (FakeIpiServer server = FakeIpiServer.tcp(); PrintStream w = new PrintStream(warnings, true, StandardCharsets.UTF_8)) {
                Future<IpiDriver.Summary> driver = startDriver(server, true, READ_TIMEOUT, w);
                server.accept();
                server.sendPositions(box, ETHANOL_R, 9);
                double e20 = server.getForce().energy();
                assertEquals("", warnings.toString(StandardCharsets.UTF_8));
                server.sendPositions(new double[]{6, 0, 0, 0, 6, 0, 0, 0, 6}, ETHANOL_R, 9);
                assertEquals(e20, server.getForce().energy(), 0.0);
                server.send("EXIT");
                assertEquals(2, driver.get(10, TimeUnit.SECONDS).forceCalls());
                assertTrue(warnings.toString(StandardCharsets.UTF_8).contains("periodic images would interact"), warnings.toString());
            }
        });
    }

    @Test
    void connectRetriesWhileTheServerStarts() throws Exception {
        assertTimeoutPreemptively(LIMIT, () -> {
            IpiAddress.Unix a = IpiAddress.unixNamed("gaqtest-late-" + ProcessHandle.current().pid());
            Future<java.nio.channels.SocketChannel> client = POOL.submit(() -> a.connect(Duration.ofSeconds(5)));
            Thread.sleep(400);
            try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
                server.bind(java.net.UnixDomainSocketAddress.of(a.path()));
                try (var accepted = server.accept(); var c = client.get(5, TimeUnit.SECONDS)) {
                    assertTrue(c.isConnected());
                }
            } finally {
                java.nio.file.Files.deleteIfExists(a.path());
            }
            IOException e = assertThrows(IOException.class, () -> a.connect(Duration.ofMillis(200)));
            assertTrue(e.getMessage().contains("cannot connect to the i-PI server at unix socket /tmp/ipi_gaqtest-late-"), e.getMessage());
        });
    }

    @Test
    void headersAndAddressesParse() throws Exception {
        assertArrayEquals("STATUS      ".getBytes(StandardCharsets.US_ASCII), IpiMessage.STATUS.header());
        assertEquals(IpiMessage.FORCEREADY, IpiMessage.parse("FORCEREADY  ".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(IpiMessage.INIT, IpiMessage.parse("INIT\0\0\0\0\0\0\0\0".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(IpiProtocolException.class, () -> IpiMessage.parse("status      ".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(IpiProtocolException.class, () -> IpiMessage.parse(" STATUS     ".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(new IpiAddress.Tcp("localhost", 31415), IpiAddress.parseHostPort("localhost:31415"));
        assertEquals(new IpiAddress.Tcp("::1", 3141), IpiAddress.parseHostPort("[::1]:3141"));
        assertThrows(IllegalArgumentException.class, () -> IpiAddress.parseHostPort("localhost"));
        assertThrows(IllegalArgumentException.class, () -> IpiAddress.parseHostPort("localhost:http"));
        assertThrows(IllegalArgumentException.class, () -> IpiAddress.parseHostPort("localhost:70000"));
        assertEquals(java.nio.file.Path.of("/tmp/ipi_eth"), IpiAddress.unixNamed("eth").path());
        assertThrows(IllegalArgumentException.class, () -> IpiAddress.unixNamed("a/b"));
    }
}
