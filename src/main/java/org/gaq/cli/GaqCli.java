package org.gaq.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import org.gaq.run.RunStoppedException;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutionException;

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
     * A command failed. A run stopped on purpose (training diverged, MD blew up) prints its message and exits
     * {@link RunStoppedException#EXIT_CODE}. File and I/O problems are usually the user's (a missing or corrupt
     * file) and their message says what is wrong, so print just that (exit 1); anything else is a bug: full stack
     * trace. Work done on a thread pool arrives wrapped in an ExecutionException: its cause is what failed.
     * GAQ_DEBUG=1 always prints the stack trace.
     */
    static int handleFailure(Exception thrown, CommandLine cmd, CommandLine.ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        Throwable ex = unwrap(thrown);
        boolean debug = System.getenv("GAQ_DEBUG") != null && !System.getenv("GAQ_DEBUG").isEmpty();
        String userMessage = UserMessages.of(ex);
        if (userMessage != null && !debug) {
            boolean stopped = ex instanceof RunStoppedException;
            err.println(cmd.getColorScheme().errorText("gaq " + cmd.getCommandName() + (stopped ? ": " : ": error: ") + userMessage));
            if (!stopped) err.println("(set GAQ_DEBUG=1 for the stack trace)");
            err.flush();
            return stopped ? RunStoppedException.EXIT_CODE : cmd.getCommandSpec().exitCodeOnExecutionException();
        }
        err.println(cmd.getColorScheme().errorText("gaq " + cmd.getCommandName() + ": internal error: " + ex));
        ex.printStackTrace(err);
        err.flush();
        return ex instanceof RunStoppedException ? RunStoppedException.EXIT_CODE : cmd.getCommandSpec().exitCodeOnExecutionException();
    }

    /** The failure inside ExecutionException and UncheckedIOException wrappers. */
    static Throwable unwrap(Throwable ex) {
        while ((ex instanceof ExecutionException || ex instanceof UncheckedIOException) && ex.getCause() != null) ex = ex.getCause();
        return ex;
    }
}
