package org.gaq.cli;

import org.gaq.data.Split;
import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.train.Metrics;
import org.gaq.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The README's main job: a few minutes of training on rMD17 ethanol, then the paper's metrics on test_01. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train a small model on rMD17 ethanol for a few minutes, then evaluate it (and the committed "
                + "full model, if present) on the 1000 test frames: energy MAE, force MAE, LEE.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "rmd17:ethanol", description = "data set (default: ${DEFAULT-VALUE})")
    String spec;
    @Option(names = "--data-dir", paramLabel = "DIR", description = "folder holding rmd17/ (default: $GAQ_DATA_DIR, else ../shared/data)")
    Path dataDir;
    @Option(names = "--minutes", defaultValue = "3", description = "training time (default: ${DEFAULT-VALUE})")
    double minutes;
    @Option(names = "--out", defaultValue = "runs/demo", description = "run folder (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--reference-model", defaultValue = "models/ethanol-fp32.safetensors",
            description = "a fully trained model to evaluate beside the demo's (default: ${DEFAULT-VALUE})")
    Path reference;

    @Override
    public Integer call() throws Exception {
        var source = org.gaq.data.DataSource.resolve(spec, dataDir);
        Split split = source.split(1);
        int threads = Runtime.getRuntime().availableProcessors();
        // A smaller model than the paper's (32+32 channels, 3 layers) learns visibly in minutes.
        var config = new ModelConfig(32, 3, 4, 16, 5.0, true, 18);
        var options = Trainer.Options.fp32(10_000, 8, 2e-3f, 1e-5f, 1, 4, 0.5f, 0.01f, 0.99f, 0f, 1, threads, minutes);
        System.out.printf("[1/2] training a %s model on %d frames of %s for %.1f min (run folder %s)%n",
                "32+32-channel, 3-layer", split.train().size(), source.spec(), minutes, out);
        Trainer.start(new EquivariantTransformer(config, 1), split, options, out, System.out).run();

        System.out.printf("[2/2] evaluating on %s (%d frames)%n", split.test().name(), split.test().size());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            System.out.printf("%n%-40s %12s %16s %14s%n", "model", "energy MAE", "force MAE", "LEE (forces)");
            System.out.printf("%-40s %12s %16s %14s%n", "", "meV", "meV/Å", "meV/Å");
            row(out.resolve("best.safetensors"), split, pool);
            if (Files.exists(reference)) row(reference, split, pool);
            System.out.printf("%-40s %12s %16s %14s%n", "paper, So3krates FP32 (Table II)", "2.25", "4.16", "≈0");
        } finally {
            pool.shutdownNow();
        }
        return 0;
    }

    private static void row(Path model, Split split, ExecutorService pool) throws Exception {
        EquivariantTransformer m = org.gaq.quant.ModelFiles.load(model);
        Metrics.Result r = Metrics.evaluate(m, split.test(), 16, 1, 1, pool);
        System.out.printf("%-40s %12.2f %16.2f %14.5f%n", model, r.energyMaeMeV(), r.forceMaeMeVPerA(), r.leeMeVPerA());
    }
}
