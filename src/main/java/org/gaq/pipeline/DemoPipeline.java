package org.gaq.pipeline;

import org.gaq.modelfile.ModelFile;
import org.gaq.data.Frame;
import org.gaq.bench.CoreBench;
import org.gaq.bench.ModelBench;
import org.gaq.data.Dataset;
import org.gaq.data.Split;
import org.gaq.engine.IntegerModelFile;
import org.gaq.engine.kernels.Int8Kernels;
import org.gaq.infer.Potential;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationSpec;
import org.gaq.train.Metrics;
import org.gaq.train.QatRecipe;
import org.gaq.train.QatRun;
import org.gaq.train.Trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * The whole GAQ pipeline in a few minutes ({@code gaq demo}): an FP32 model (a given file, or a short
 * training), GAQ quantization-aware fine-tuning to W8A8 and W4A8, export of both to integer model files,
 * evaluation of FP32 and the two integer files on the test set (energy MAE, force MAE, LEE), a short
 * E+F benchmark, and one table of accuracy, size and speed. Every step calls the library code the
 * single commands use ({@code gaq train}, {@code qat}, {@code export}, {@code eval}, {@code bench model}).
 *
 * <p>In the output folder: {@code fp32/} (only if trained), {@code qat-w8a8/}, {@code qat-w4a8/} (QAT run
 * folders; W4A8's frozen-codes stage in {@code qat-w4a8/frozen/}), {@code w8a8.int.safetensors}, {@code w4a8.int.safetensors} and {@code summary.md}.
 */
public final class DemoPipeline {

    /** The small model of the short-training fallback: 32+32 channels, 3 layers, learns visibly in minutes. */
    public static final ModelConfig SMALL = new ModelConfig(32, 3, 4, 16, 5.0, true, 18);

    /**
     * @param out               output folder
     * @param fp32Model         the FP32 model to start from, or null to train one for {@code trainMinutes}
     * @param trainConfig       model size of that training
     * @param qatMinutes        time budget of each QAT run (it ends after the epoch that crosses it, and always
     *                          completes at least one epoch with every branch quantized)
     * @param qatFrames         training frames per QAT epoch (the first ones of the training set), so that a
     *                          short budget still holds several epochs
     * @param qatWarmupEpochs   GAQ's scalar-only warm-up, in those epochs
     * @param calibrationFrames frames that calibrate the activation ranges
     * @param testFrames        test frames evaluated (the first ones), 0: all
     * @param benchWarmup       warm-up seconds per model and workload of the benchmark
     * @param benchSeconds      timed seconds per model and workload
     * @param benchBatch        molecules in the benchmark's batch workload
     */
    public record Settings(Path out, Path fp32Model, ModelConfig trainConfig, double trainMinutes, double qatMinutes, int qatFrames,
                           int qatWarmupEpochs, int calibrationFrames, int testFrames, double benchWarmup, double benchSeconds,
                           int benchBatch, int threads, long seed) {
        public Settings {
            if (!(qatMinutes > 0) || !(trainMinutes > 0) || benchWarmup < 0 || !(benchSeconds > 0)) {
                throw new IllegalArgumentException("training, QAT and benchmark times must be positive, the warm-up non-negative");
            }
            if (qatFrames < 1 || calibrationFrames < 1 || testFrames < 0 || benchBatch < 1 || threads < 1 || qatWarmupEpochs < 0) {
                throw new IllegalArgumentException("--qat-frames, --test-frames, threads and the batch must be positive (test frames 0: all)");
            }
        }
    }

    /** One line of the final table; times in ms per molecule (CPU time, one thread). */
    public record Row(String model, Path file, long bytes, Metrics.Result metrics, double latencyMs, double batchMsPerMolecule) {}

    /** The table: FP32 first, then W8A8 and W4A8 (integer files). */
    public record Summary(List<Row> rows, String testFrames, String testSet, int benchBatch) {
        public Row fp32() {
            return rows.get(0);
        }

        /** The table as markdown. */
        public String markdown() {
            StringBuilder sb = new StringBuilder();
            sb.append("| model | file size, MB (×smaller) | energy MAE, meV | force MAE, meV/Å | LEE, meV/Å | latency 1 molecule, ms | batch-")
                    .append(benchBatch).append(" per molecule, ms | speed ×FP32 (1 molecule / batch) |\n");
            sb.append("|---|---|---|---|---|---|---|---|\n");
            for (Row r : rows) {
                String[] c = cells(r);
                sb.append("| ").append(String.join(" | ", c)).append(" |\n");
            }
            return sb.toString();
        }

        /** The table as aligned plain text. */
        public String text() {
            String[] head = {"model", "size MB (×smaller)", "energy MAE", "force MAE", "LEE", "1 molecule", "batch-" + benchBatch, "speed ×FP32"};
            String[] unit = {"", "", "meV", "meV/Å", "meV/Å", "ms", "ms/molecule", "1 mol / batch"};
            List<String[]> lines = new ArrayList<>(List.of(head, unit));
            for (Row r : rows) lines.add(cells(r));
            int[] w = new int[head.length];
            for (String[] l : lines) for (int i = 0; i < l.length; i++) w[i] = Math.max(w[i], l[i].length());
            StringBuilder sb = new StringBuilder();
            for (String[] l : lines) {
                for (int i = 0; i < l.length; i++) {
                    sb.append(i == 0 ? String.format("%-" + w[i] + "s", l[i]) : String.format("  %" + w[i] + "s", l[i]));
                }
                sb.append('\n');
            }
            return sb.toString();
        }

        private String[] cells(Row r) {
            Row base = fp32();
            Metrics.Result m = r.metrics();
            return new String[]{r.model(),
                    f("%.3f (%.1f×)", r.bytes() / 1e6, (double) base.bytes() / r.bytes()),
                    f("%.2f", m.energyMaeMeV()), f("%.2f", m.forceMaeMeVPerA()), f("%.4f", m.leeMeVPerA()),
                    f("%.2f", r.latencyMs()), f("%.2f", r.batchMsPerMolecule()),
                    f("%.2f× / %.2f×", base.latencyMs() / r.latencyMs(), base.batchMsPerMolecule() / r.batchMsPerMolecule())};
        }
    }

    private static final int STEPS = 6;
    private static final QatRecipe.Bits[] BITS = QatRecipe.Bits.values();

    private final Settings s;
    private final PrintStream log;

    public DemoPipeline(Settings settings, PrintStream log) {
        this.s = settings;
        this.log = log;
    }

    /** Runs the pipeline on {@code split} (named {@code dataName} in the output) and writes {@code summary.md}. */
    public Summary run(Split split, String dataName) throws Exception {
        long started = System.nanoTime();
        Trainer.requireLabels(split.train());
        if (!split.train().allHaveForces()) {
            throw new IllegalArgumentException(dataName + " has energies but no forces: gaq demo compares force errors, LEE and "
                    + "E+F speed (use rmd17:<molecule> or a file with forces); train on energies alone with gaq train");
        }
        Files.createDirectories(s.out());

        // 1. FP32
        Path fp32File;
        if (s.fp32Model() != null) {
            fp32File = s.fp32Model();
            EquivariantTransformer m = ModelFiles.load(fp32File);
            QatRecipe.requireFp32(m, fp32File);
            step(1, "FP32 model: %s (%,d parameters, %,d bytes)", fp32File, m.parameterCount(), Files.size(fp32File));
        } else {
            Path runDir = s.out().resolve("fp32");
            step(1, "FP32 model: training a %d+%d-channel, %d-layer model on %d frames of %s for %.1f min (run folder %s)",
                    s.trainConfig().features(), s.trainConfig().features(), s.trainConfig().layers(), split.train().size(), dataName,
                    s.trainMinutes(), runDir);
            clearRun(runDir);
            var model = new EquivariantTransformer(s.trainConfig(), s.seed());
            Trainer.start(model, split, fp32Options(10_000, s.trainMinutes()), runDir, log).run();
            fp32File = runDir.resolve("best.safetensors");
            if (!Files.exists(fp32File)) {   // a budget shorter than the set-up: at least one epoch
                Trainer.start(model, split, fp32Options(1, 1e5), runDir, log).run();
            }
            if (!Files.exists(fp32File)) throw new IllegalStateException("the training wrote no " + fp32File);
        }

        // 2–3. QAT
        Path[] qat = new Path[BITS.length];
        for (int b = 0; b < BITS.length; b++) qat[b] = qat(b + 2, fp32File, BITS[b], split);

        // 4. export
        Path[] integer = new Path[BITS.length];
        step(4, "exporting to integer model files");
        for (int b = 0; b < BITS.length; b++) {
            integer[b] = s.out().resolve(BITS[b].cliName() + ".int.safetensors");
            IntegerModelFile.export(qat[b], integer[b]);
            log.printf("      %s: %,d bytes (FP32 %s: %,d bytes, %.2f×)%n", integer[b], Files.size(integer[b]), fp32File.getFileName(),
                    Files.size(fp32File), (double) Files.size(fp32File) / Files.size(integer[b]));
        }

        // 5. evaluation
        Dataset test = split.test();
        if (s.testFrames() > 0 && s.testFrames() < test.size()) {
            test = test.subset(IntStream.range(0, s.testFrames()).toArray());
        }
        String frames = test.size() < split.test().size() ? "first " + test.size() + " of " + split.test().size() + " frames" : test.size() + " frames";
        List<String> names = List.of("FP32", "GAQ W8A8 (int8)", "GAQ W4A8 (int4)");
        List<Path> files = List.of(fp32File, integer[0], integer[1]);
        step(5, "evaluating on %s (%s): energy MAE, force MAE, LEE with 1 random rotation per frame", test.name(), frames);
        List<Potential> models = new ArrayList<>();
        List<Metrics.Result> metrics = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Potential m = Potential.of(ModelFile.load(files.get(i)), Potential.Engine.AUTO, log);
            models.add(m);
            Metrics.Result r = Metrics.evaluate(m, test, 16, 1, s.seed(), s.threads());
            metrics.add(r);
            log.printf("      %-16s E %.2f meV  F %.2f meV/Å  LEE %.4f meV/Å  (%s)%n", names.get(i), r.energyMaeMeV(), r.forceMaeMeVPerA(),
                    r.leeMeVPerA(), m.description());
        }

        // 6. benchmark
        List<Frame> batch = split.test().frames().subList(0, Math.min(s.benchBatch(), split.test().size()));
        step(6, "benchmark: E+F of 1 molecule and per molecule in a batch of %d, one thread, %.1f s per model and workload",
                batch.size(), s.benchSeconds());
        var bench = new ModelBench(s.benchWarmup(), s.benchSeconds()).run(names, models, batch.get(0), batch, log);

        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            rows.add(new Row(names.get(i), files.get(i), Files.size(files.get(i)), metrics.get(i),
                    ModelBench.medianMs(bench, names.get(i), false), ModelBench.medianMs(bench, names.get(i), true)));
        }
        Summary summary = new Summary(rows, frames, test.name(), batch.size());
        double minutes = (System.nanoTime() - started) / 60e9;
        log.printf("%n%s%n", summary.text());
        writeMarkdown(summary, dataName, Math.min(s.qatFrames(), split.train().size()), fp32File, qat, integer, minutes);
        log.printf("%s: the same table as markdown. The demo took %.1f min.%n", s.out().resolve("summary.md"), minutes);
        return summary;
    }

    /** GAQ fine-tuning of {@code fp32File} to {@code bits}; returns its best (fully quantized) model file. */
    private Path qat(int k, Path fp32File, QatRecipe.Bits bits, Split split) throws Exception {
        Path runDir = s.out().resolve("qat-" + bits.cliName());
        EquivariantTransformer model = ModelFiles.load(fp32File);
        QatRecipe.requireFp32(model, fp32File);
        QatRecipe.Method method = QatRecipe.Method.GAQ;
        QuantizationSpec spec = QatRecipe.recommendedSpec(bits);
        float lr = bits.recommendedLr();
        int n = QatRecipe.calibrate(model, spec, method, split.train(), s.calibrationFrames());
        Dataset train = split.train();
        if (s.qatFrames() < train.size()) train = train.subset(IntStream.range(0, s.qatFrames()).toArray());
        Split qatSplit = new Split(train, split.validation(), split.test());
        step(k, "GAQ QAT %s: calibrated on %d frames, then fine-tuning on %d frames for %.1f min at lr %.0e (scalar-only warm-up %d epoch%s, "
                        + "LEE weight %.3g; %s: gaq qat --recommended; run folder %s)", bits,
                n, train.size(), s.qatMinutes(), lr, s.qatWarmupEpochs(), s.qatWarmupEpochs() == 1 ? "" : "s", method.defaultLeeWeight(),
                spec.description(), runDir);
        clearRun(runDir);
        clearRun(runDir.resolve("stage1"));
        QatRun run = QatRun.mainStage(QatRecipe.fineTuning(lr).epochs(100_000).plateauPatience(3).seed(s.seed()).threads(s.threads())
                .maxMinutes(s.qatMinutes()).leeWeight(method.defaultLeeWeight()).vectorWarmupEpochs(s.qatWarmupEpochs()).build());
        int frozenEpochs = bits.recommendedFrozenEpochs();
        if (frozenEpochs > 0) {
            // The recipe's second stage for 4-bit weights (gaq qat --recommended --frozen-epochs): codes fixed, half the budget.
            log.printf("      then up to %d epochs with the weight codes frozen (%.1f min)%n", frozenEpochs, s.qatMinutes() / 2);
            run.thenFrozenCodes(QatRecipe.fineTuning(lr).epochs(frozenEpochs).plateauPatience(QatRecipe.FROZEN_STAGE_PATIENCE).seed(s.seed())
                    .threads(s.threads()).maxMinutes(s.qatMinutes() / 2).leeWeight(method.defaultLeeWeight()).build());
        }
        return run.run(model, qatSplit, runDir, log);
    }

    private Trainer.Options fp32Options(int epochs, double minutes) {
        return Trainer.Options.builder().epochs(epochs).learningRate(2e-3f).warmupEpochs(1).plateauPatience(4).seed(s.seed())
                .threads(s.threads()).maxMinutes(minutes).build();
    }

    /** Removes the files a previous demo left in a run folder, so a stale best model can't be picked up. */
    private static void clearRun(Path runDir) throws IOException {
        for (String f : List.of("best.safetensors", "last.safetensors", "train.csv", "learning_curve.png")) {
            Files.deleteIfExists(runDir.resolve(f));
        }
    }

    private void step(int k, String format, Object... args) {
        log.printf("[%d/%d] %s%n", k, STEPS, String.format(format, args));
    }

    private void writeMarkdown(Summary summary, String dataName, int qatTrainFrames, Path fp32File, Path[] qat, Path[] integer, double minutes) throws IOException {
        StringBuilder sb = new StringBuilder("# gaq demo\n\n");
        sb.append(f("Data: %s; accuracy on %s (%s), LEE with one random rotation per frame. FP32 model: `%s`; "
                        + "GAQ QAT: %.1f min each on %d training frames (`%s`, `%s`), exported to `%s` and `%s`. "
                        + "Speed: E+F, one thread, CPU time, median of %.1f s of repetitions per model and workload, models interleaved. "
                        + "Whole demo: %.1f min.%n%n",
                dataName, summary.testSet(), summary.testFrames(), fp32File, s.qatMinutes(), qatTrainFrames,
                qat[0], qat[1], integer[0], integer[1], s.benchSeconds(), minutes));
        sb.append(summary.markdown());
        sb.append(f("%nMachine: %s; integer kernels: %s.%n", CoreBench.environment(), Int8Kernels.describe()));
        sb.append("\nThis is a few minutes of QAT on a subset of the training frames: the committed models of seven rMD17 molecules "
                + "(models/table2/, 30 CPU minutes per QAT stage on all 950 frames), the baselines and ablations are in docs/results.md, "
                + "measured speeds in docs/performance.md.\n");
        Path file = s.out().resolve("summary.md");
        Files.writeString(file, sb.toString());
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
