package org.gaq.cli;

import org.gaq.train.QatRecipe;
import org.gaq.data.DataSource;
import org.gaq.data.Split;
import org.gaq.pipeline.DemoPipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * The README's main job: the whole GAQ pipeline on rMD17 ethanol in a few minutes (see {@link DemoPipeline}):
 * FP32 model, GAQ QAT to W8A8 and W4A8, integer export, evaluation, a short benchmark, one table.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The whole GAQ pipeline on rMD17 ethanol in a few minutes: the committed FP32 model (or a short "
                + "training), GAQ quantization-aware fine-tuning to W8A8 and W4A8 (gaq qat --recommended), export to integer model files, evaluation "
                + "on the test set (energy MAE, force MAE, LEE) and a short E+F benchmark, ending with one table of accuracy, "
                + "file size and speed (also written to <out>/summary.md)."})
public final class DemoCommand implements Callable<Integer> {
    static final String DEFAULT_DATA = "rmd17:ethanol";

    /** The committed FP32 model of an rMD17 molecule (scripts/train-table2.sh), or null for other data. */
    static Path committedModel(String dataSpec) {
        if (!dataSpec.startsWith("rmd17:")) return null;
        return Path.of("models", "table2", dataSpec.substring("rmd17:".length()) + "-fp32.safetensors");
    }

    @Option(names = "--data", defaultValue = DEFAULT_DATA,
            description = "data set (default: ${DEFAULT-VALUE}); each Table II molecule, rmd17:<molecule>, starts from its committed FP32 model")
    String spec;
    @Option(names = "--data-dir", paramLabel = "DIR", description = "folder holding rmd17/ (default: $GAQ_DATA_DIR, else ../shared/data)")
    Path dataDir;
    @Option(names = "--fp32-model", paramLabel = "FILE",
            description = "FP32 model to quantize (default for rmd17:<molecule>: the committed models/table2/<molecule>-fp32.safetensors, "
                    + "looked up in the working directory and then in gaq's own folder; without one, a short training)")
    Path fp32Model;
    @Option(names = "--train", description = "train a small FP32 model for --minutes instead of using the committed one")
    boolean train;
    @Option(names = "--minutes", defaultValue = "3", description = "training time when the demo trains its FP32 model (--train, or no committed model) (default: ${DEFAULT-VALUE})")
    double minutes;
    @Option(names = "--qat-minutes", defaultValue = "2", description = "time budget of each of the two QAT runs (default: ${DEFAULT-VALUE})")
    double qatMinutes;
    @Option(names = "--qat-frames", defaultValue = "256",
            description = "training frames per QAT epoch, so that the short budget holds several epochs (default: ${DEFAULT-VALUE})")
    int qatFrames;
    @Option(names = "--qat-warmup-epochs", defaultValue = "1", description = "GAQ's scalar-only warm-up epochs (default: ${DEFAULT-VALUE})")
    int qatWarmup;
    @Option(names = "--test-frames", defaultValue = "0",
            description = "evaluate on the first N test frames only (default: ${DEFAULT-VALUE} = all 1000 of test_01, about a minute "
                    + "for the three models on 2 cores)")
    int testFrames;
    @Option(names = "--bench-seconds", defaultValue = "1.5", description = "timed seconds per model and workload (default: ${DEFAULT-VALUE})")
    double benchSeconds;
    @Option(names = "--bench-warmup", defaultValue = "1", description = "warm-up seconds per model and workload (default: ${DEFAULT-VALUE})")
    double benchWarmup;
    @Mixin ThreadsOption threadsOption;
    @Mixin SeedOption seedOption;
    @Option(names = "--out", defaultValue = "runs/demo", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws Exception {
        var source = DataSource.resolve(spec, dataDir);   // a missing data folder is reported here, before any work
        Path fp32 = fp32Model;
        if (fp32 != null && !Files.isRegularFile(fp32)) throw new IllegalArgumentException("--fp32-model " + fp32 + " does not exist");
        if (fp32 != null && train) throw new IllegalArgumentException("--train and --fp32-model exclude each other");
        Path committed = committedModel(spec);
        if (fp32 == null && !train && committed != null) {
            fp32 = locate(committed);
            if (fp32 == null) System.out.println("no committed FP32 model (" + committed + ") found: training a small one instead");
        }
        int workers = threadsOption.workers();
        long seed = seedOption.seed;
        var settings = new DemoPipeline.Settings(out, fp32, DemoPipeline.SMALL, minutes, qatMinutes, qatFrames, qatWarmup,
                QatRecipe.RECOMMENDED_CALIBRATION_FRAMES,
                testFrames, benchWarmup, benchSeconds, 64, workers, seed);
        Split split = source.split(seed);
        new DemoPipeline(settings, System.out).run(split, source.spec());
        return 0;
    }

    /** {@code relative} in the working directory, else in the folder gaq runs from (target/gaq.jar → the repository), else null. */
    static Path locate(Path relative) {
        if (Files.isRegularFile(relative)) return relative;
        try {
            var src = DemoCommand.class.getProtectionDomain().getCodeSource();
            if (src == null) return null;
            Path dir = Path.of(src.getLocation().toURI()).toAbsolutePath().getParent();
            for (int up = 0; up < 3 && dir != null; up++, dir = dir.getParent()) {
                if (Files.isRegularFile(dir.resolve(relative))) return dir.resolve(relative);
            }
        } catch (Exception e) {
            return null;   // an unusual class loader: just train
        }
        return null;
    }
}
