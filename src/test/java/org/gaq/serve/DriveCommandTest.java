package org.gaq.serve;

import org.gaq.cli.GaqCli;
import org.gaq.data.ExtXyz;
import org.gaq.data.Frame;
import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code gaq drive} as a command: exit codes and one-line errors, against the fake server. */
class DriveCommandTest {
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = GaqCli.newCommandLine();
        cmd.setErr(new PrintWriter(err, true));
        cmd.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        return cmd.execute(args);
    }

    private static Path model(Path dir) throws Exception {
        Path file = dir.resolve("small.safetensors");
        Checkpoint.save(file, new EquivariantTransformer(new ModelConfig(16, 1, 2, 8, 5.0, true, 18), 5));
        return file;
    }

    private static Path structure(Path dir) throws Exception {
        Path file = dir.resolve("ethanol.xyz");
        ExtXyz.write(file, List.of(Frame.unlabeled(IpiDriverTest.ETHANOL_Z, IpiDriverTest.ETHANOL_R)));
        return file;
    }

    @Test
    void servesUntilExitAndExitsZero(@TempDir Path dir) throws Exception {
        Path model = model(dir), xyz = structure(dir);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                try (FakeIpiServer server = FakeIpiServer.unix()) {
                    String name = server.address().toString().substring(server.address().toString().indexOf("ipi_") + 4);
                    Future<Integer> code = pool.submit(() -> run("drive", model.toString(), "--unix", name,
                            "--structure", xyz.toString(), "--timeout", "10"));
                    server.accept();
                    assertEquals("NEEDINIT", server.status());
                    server.sendInit(0, "");
                    server.sendPositions(new double[9], IpiDriverTest.ETHANOL_R, 9);
                    assertTrue(Double.isFinite(server.getForce().energy()));
                    server.send("EXIT");
                    assertEquals(0, code.get(10, TimeUnit.SECONDS), err.toString());
                }
            });
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void wrongAtomCountExitsOneWithOneLine(@TempDir Path dir) throws Exception {
        Path model = model(dir), xyz = structure(dir);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                try (FakeIpiServer server = FakeIpiServer.tcp()) {
                    Future<Integer> code = pool.submit(() -> run("drive", model.toString(), "--ipi",
                            server.address().toString(), "--structure", xyz.toString()));
                    server.accept();
                    server.sendPositions(new double[9], new double[30], 10);
                    assertEquals(1, code.get(10, TimeUnit.SECONDS), err.toString());
                    assertTrue(err.toString().startsWith("gaq drive: error: wrong number of atoms: the server sent 10 atoms, "
                            + "but --structure " + xyz + " has 9"), err.toString());
                }
            });
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void noServerExitsOneAfterTheRetry(@TempDir Path dir) throws Exception {
        Path model = model(dir), xyz = structure(dir);
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            assertEquals(1, run("drive", model.toString(), "--unix", "gaqtest-nobody-" + ProcessHandle.current().pid(),
                    "--structure", xyz.toString(), "--connect-retry", "0.3"));
            assertTrue(err.toString().contains("cannot connect to the i-PI server at unix socket /tmp/ipi_gaqtest-nobody-"),
                    err.toString());
        });
    }

    @Test
    void addressIsRequiredAndExclusive(@TempDir Path dir) throws Exception {
        Path model = model(dir), xyz = structure(dir);
        assertEquals(2, run("drive", model.toString(), "--structure", xyz.toString()));
        assertTrue(err.toString().contains("--ipi") && err.toString().contains("--unix"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, run("drive", model.toString(), "--ipi", "localhost:31415", "--unix", "x", "--structure", xyz.toString()));
        assertTrue(err.toString().contains("mutually exclusive"), err.toString());
    }
}
