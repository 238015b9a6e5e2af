package org.gaq.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/** Entry point of the {@code gaq} command line: one picocli subcommand per job. */
@Command(name = "gaq",
        mixinStandardHelpOptions = true,
        version = "gaq 0.1.0",
        description = "Train, quantize and run SO(3)-equivariant molecular force fields on the CPU.",
        subcommands = {
                CommandLine.HelpCommand.class,
                DemoCommand.class,
                ReportCommand.class,
                TrainCommand.class,
                EvalCommand.class,
                RefitShiftsCommand.class,
                QatCommand.class,
                PtqCommand.class,
                BenchCommand.class,
                MdCommand.class,
                DriveCommand.class,
                ExportCommand.class,
        })
public final class GaqCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // No subcommand given: show the usage, like `gaq --help`, and exit 2 (a usage error).
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: choose one of the commands above.");
    }

    /** The configured command line (error handlers installed); main and tests use this. */
    public static CommandLine newCommandLine() {
        return new CommandLine(new GaqCli())
                .setParameterExceptionHandler(GaqCli::handleUsageError)
                .setExecutionExceptionHandler(GaqCli::handleFailure);
    }

    public static void main(String[] args) {
        int code = newCommandLine().execute(args);
        System.exit(code);
    }

    /**
     * Bad command line: a one-line error naming the problem, picocli's "did you mean" suggestions,
     * and a pointer to the help of the (sub)command that was being parsed, instead of the full usage
     * text, which buries the error. Exit code 2, the convention for usage errors.
     */
    static int handleUsageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getColorScheme().errorText("gaq: " + ex.getMessage()));
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * A command failed. File and I/O problems are usually the user's (a missing or corrupt file) and
     * their message says what is wrong, so print just that; anything else is a bug: full stack trace.
     * GAQ_DEBUG=1 always prints the stack trace. Exit code 1.
     */
    static int handleFailure(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        boolean userProblem = ex instanceof IOException || ex instanceof UncheckedIOException
                || ex instanceof IllegalArgumentException;   // bad specs, sizes, elements: the message says what
        boolean debug = System.getenv("GAQ_DEBUG") != null && !System.getenv("GAQ_DEBUG").isEmpty();
        if (userProblem && !debug) {
            String msg = ex instanceof UncheckedIOException u && u.getCause() != null ? u.getCause().getMessage() : ex.getMessage();
            err.println(cmd.getColorScheme().errorText("gaq " + cmd.getCommandName() + ": error: "
                    + (msg != null ? msg : ex.getClass().getSimpleName())));
            err.println("(set GAQ_DEBUG=1 for the stack trace)");
        } else {
            err.println(cmd.getColorScheme().errorText("gaq " + cmd.getCommandName() + ": internal error: " + ex));
            ex.printStackTrace(err);
        }
        err.flush();
        return cmd.getCommandSpec().exitCodeOnExecutionException();
    }
}
