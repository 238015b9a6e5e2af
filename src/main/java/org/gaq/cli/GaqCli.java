package org.gaq.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code gaq} command line: one picocli subcommand per job. */
@Command(name = "gaq",
        mixinStandardHelpOptions = true,
        version = "gaq 0.1.0",
        description = "Train, quantize and run SO(3)-equivariant molecular force fields on the CPU.",
        subcommands = {
                CommandLine.HelpCommand.class,
                BenchCommand.class,
        })
public final class GaqCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // No subcommand given: show the usage, like `gaq --help`, and exit 2 (a usage error).
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: choose one of the commands below.");
    }

    public static void main(String[] args) {
        int code = new CommandLine(new GaqCli()).execute(args);
        System.exit(code);
    }
}
