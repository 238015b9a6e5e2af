package org.gaq.cli;

import org.gaq.run.RunFolders;
import org.gaq.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** The last step of `gaq train`, on its own: refit a model's per-element energy shifts on training data. */
@Command(name = "refit-shifts", mixinStandardHelpOptions = true,
        description = "Refit a trained model's per-element energy shifts (least squares of the training-set energy "
                + "residuals on element counts). `gaq train` does this to its best model at the end.")
public final class RefitShiftsCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL") Path modelFile;
    @Mixin DataOptions data;
    @Option(names = "--out", required = true, paramLabel = "FILE") Path out;
    @Option(names = "--seed", defaultValue = "1", description = "split seed (the training frames only are used)") long seed;

    @Override
    public Integer call() throws Exception {
        RunFolders.requireOutputFile(out, modelFile, "--out");
        var train = data.resolve().split(seed).train();
        double rms = Trainer.refitEnergyShifts(modelFile, out, train);
        System.out.printf("refitted on %d training frames: RMS energy change %.3f meV -> %s%n", train.size(), 1000 * rms, out);
        return 0;
    }
}
