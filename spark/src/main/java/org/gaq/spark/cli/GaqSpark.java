package org.gaq.spark.cli;

import org.gaq.spark.SparkErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code gaq-spark}: the main class for {@code spark-submit --class org.gaq.spark.cli.GaqSpark gaq-spark.jar …} and
 * for {@code ./gaq spark …}, which runs the same jobs in local mode (docs/spark.md).
 */
@Command(name = "gaq spark", mixinStandardHelpOptions = true,
        description = "gaq on Apache Spark: bulk evaluation and MD ensembles, in local mode or on a cluster (docs/spark.md).",
        subcommands = {EvaluateCommand.class, MdEnsembleCommand.class, SparkBenchCommand.class})
public final class GaqSpark implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: evaluate, md-ensemble or bench");
    }

    public static CommandLine newCommandLine() {
        return new CommandLine(new GaqSpark()).setExecutionExceptionHandler((ex, cl, parse) -> {
            if (System.getenv("GAQ_DEBUG") != null) ex.printStackTrace(cl.getErr());
            cl.getErr().println("error: " + SparkErrors.message(ex));
            return 1;
        });
    }

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }
}
