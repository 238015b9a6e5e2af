package org.gaq.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.*;

class GaqCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(CommandLine cmd, String... args) {
        cmd.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        cmd.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        return cmd.execute(args);
    }

    @Test
    void helpListsCommandsAndExitsZero() {
        assertEquals(0, run(new CommandLine(new GaqCli()), "--help"));
        String help = out.toString();
        assertTrue(help.contains("Usage: gaq"), help);
        assertTrue(help.contains("Commands:"), help);
        assertTrue(help.contains("help"), help);
        assertEquals("", err.toString());
    }

    @Test
    void configuredHelpAlsoExitsZero() {
        assertEquals(0, run(GaqCli.newCommandLine(), "--help"));
        assertTrue(out.toString().contains("Commands:"));
    }

    @Test
    void unknownCommandExitsTwoAndNamesIt() {
        assertEquals(2, run(new CommandLine(new GaqCli()), "nosuchcmd"));
        assertTrue(err.toString().contains("nosuchcmd"), err.toString());
    }

    @Test
    void unknownOptionExitsTwoAndNamesIt() {
        assertEquals(2, run(new CommandLine(new GaqCli()), "--frobnicate"));
        assertTrue(err.toString().contains("--frobnicate"), err.toString());
    }

    @Test
    void configuredHandlerPrintsOneErrorLineAndAHint() {
        assertEquals(2, run(GaqCli.newCommandLine(), "--frobnicate"));
        String e = err.toString();
        assertTrue(e.startsWith("gaq: Unknown option: '--frobnicate'"), e);
        assertTrue(e.contains("Run 'gaq --help' for usage."), e);
        assertFalse(e.contains("Usage:"), "the full usage would bury the error: " + e);

        err.getBuffer().setLength(0);
        assertEquals(2, run(GaqCli.newCommandLine(), "hepl"));
        assertTrue(err.toString().contains("'hepl'"), err.toString());
        assertTrue(err.toString().contains("help"), "should suggest 'help': " + err);
    }

    @Test
    void noCommandShowsUsageAndExitsTwo() {
        assertEquals(2, run(GaqCli.newCommandLine()));
        assertTrue(err.toString().contains("Usage: gaq"), err.toString());
        assertTrue(err.toString().contains("Missing command"), err.toString());
    }

    @Command(name = "boom")
    static final class Boom implements Runnable {
        @CommandLine.Option(names = "--io")
        boolean io;

        @Override
        public void run() {
            if (io) {
                throw new java.io.UncheckedIOException(new FileNotFoundException("model.safetensors (No such file or directory)"));
            }
            throw new IllegalStateException("bug");
        }
    }

    @Test
    void subcommandErrorsGoThroughTheHandlers() {
        CommandLine cmd = GaqCli.newCommandLine().addSubcommand(new Boom());
        assertEquals(1, run(cmd, "boom", "--io"));
        assertTrue(err.toString().contains("gaq boom: error: model.safetensors (No such file or directory)"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace for a missing file: " + err);

        err.getBuffer().setLength(0);
        assertEquals(1, run(cmd, "boom"));
        assertTrue(err.toString().contains("internal error: java.lang.IllegalStateException: bug"), err.toString());
        assertTrue(err.toString().contains("\tat "), "bugs keep their stack trace");

        err.getBuffer().setLength(0);
        assertEquals(2, run(cmd, "boom", "--nope"));
        assertTrue(err.toString().contains("Run 'gaq boom --help' for usage."), err.toString());
    }
}
