package org.gaq.cli;

import org.gaq.modelfile.ModelFile;
import org.gaq.data.Dataset;
import org.gaq.infer.Potential;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelElements;
import org.gaq.quant.ModelFiles;
import org.gaq.report.Records;
import org.gaq.run.RunFolders;
import org.gaq.train.Labels;
import org.gaq.train.Metrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Energy MAE (meV), force MAE (meV/Å) and LEE (meV/Å, random rotations) of a model on a data set.")
public final class EvalCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "a .safetensors model")
    Path modelFile;
    @Mixin DataOptions data;
    @Mixin EngineOption engineOption;
    @Option(names = "--split", description = "test, validation, train or all (default: all frames of an explicit data file; the test "
            + "part of rmd17:<molecule> or qm9)")
    String which;
    @Option(names = "--lee-rotations", defaultValue = "1", description = "random rotations per frame for the LEE (0: skip)")
    int leeRotations;
    @Option(names = "--batch-size", defaultValue = "16") int batchSize;
    @Mixin SeedOption seedOption;
    @Mixin ThreadsOption threadsOption;
    @Option(names = "--record", paramLabel = "FILE", description = "also write the result as a JSON record (what `gaq report` reads), "
            + "with the per-frame force errors and the model file's SHA-256")
    Path record;
    @Option(names = "--weights-only", description = "evaluate a fake-quantized model with its quantized weights and FP32 activations")
    boolean weightsOnly;
    @Option(names = "--name", description = "the record's name (default: the model file's name)") String name;
    @Option(names = "--against", paramLabel = "REFERENCE_MODEL", description = "measure against this model's energies and forces "
            + "instead of the data's labels (a quantized model against its FP32 parent: the error quantization adds)")
    Path against;
    @Spec CommandSpec commandSpec;

    @Override
    public Integer call() throws Exception {
        CommandChecks.positive("--batch-size", batchSize);
        int workers = threadsOption.workers();
        long seed = seedOption.seed;
        if (leeRotations < 0) throw new IllegalArgumentException("--lee-rotations must be 0 (skip the LEE) or more, got " + leeRotations);
        if (record != null) RunFolders.requireOutputFile(record, modelFile, "--record");
        EquivariantTransformer model = ModelFile.load(modelFile);
        if (weightsOnly) ModelFiles.weightsOnly(model, modelFile);
        var source = data.resolve();
        if (record != null) {
            RunFolders.requireOutputFile(record, source.file(), "--record");
            if (against != null) RunFolders.requireOutputFile(record, against, "--record");
        }
        if (which == null) which = source.explicitFile() ? "all" : "test";
        EvalFrames frames = EvalFrames.of(source, which, seed);
        Dataset set = frames.data();
        if (against == null) {                            // (--against labels the frames with a model's predictions)
            requireEnergyLabels(set);
            Labels.of(set);                               // forces on every frame or on none: no force MAE over a subset
        }
        ModelElements.requireKnown(model, set);
        ModelElements.warnUnseen(model, set, commandSpec.commandLine().getErr());
        if (against != null) {
            if (record != null) throw new IllegalArgumentException("--record keeps errors against the data's labels: not with --against");
            set = Metrics.relabelled(engineOption.potential(ModelFile.load(against), System.err), set, batchSize);
        }
        Potential potential = engineOption.potential(model, System.err);
        Metrics.Result r = Metrics.evaluate(potential, set, batchSize, leeRotations, seed, workers);
        PrintWriter out = commandSpec.commandLine().getOut();
        String precision = ModelFile.describePrecision(model);
        out.printf("%-22s %s%n", "model", modelFile);
        out.printf("%-22s %s%n", "frames", frames.description() + (set.allHaveForces() ? "" : ", energies only (no force labels)"));
        if (against != null) out.printf("%-22s %s (errors below are against its predictions)%n", "reference", against);
        out.printf("%-22s %s%n", "precision", precision);
        out.printf("%-22s %s%n", "engine", potential.engine().name().toLowerCase(Locale.ROOT));
        out.printf("%-22s %10.3f%n", "energy MAE (meV)", r.energyMaeMeV());
        out.printf("%-22s %10.3f%n", "energy RMSE (meV)", r.energyRmseMeV());
        if (r.hasForces()) {
            out.printf("%-22s %10.3f%n", "force MAE (meV/Å)", r.forceMaeMeVPerA());
            out.printf("%-22s %10.3f%n", "force RMSE (meV/Å)", r.forceRmseMeVPerA());
        }
        if (leeRotations > 0) out.printf("%-22s %10.5f%n", "LEE forces (meV/Å)", r.leeMeVPerA());
        if (record != null) {
            String args = Records.shellWords(commandSpec.commandLine().getParseResult().originalArgs());
            Records.write(record, new Records.Eval(name != null ? name : modelFile.getFileName().toString(), modelFile.toString(),
                    Records.sha256(modelFile), precision, data.spec, which, r.frames(), leeRotations, seed, r.energyMaeMeV(),
                    r.hasForces() ? r.forceMaeMeVPerA() : null, r.energyRmseMeV(), r.hasForces() ? r.forceRmseMeVPerA() : null,
                    leeRotations > 0 ? r.leeMeVPerA() : null,
                    r.frameForceMaeMeVPerA(), "./gaq " + args, LocalDate.now().toString()));
            out.println("record: " + record);
        }
        out.flush();
        return 0;
    }

    /** Errors need labels: a frame without an energy would make every average NaN. */
    private static void requireEnergyLabels(Dataset set) {
        for (int f = 0; f < set.size(); f++) {
            if (!set.frame(f).hasEnergy()) {
                throw new IllegalArgumentException(set.name() + " frame " + f + " has no energy label: gaq eval measures errors against "
                        + "labels (gaq md and gaq drive compute energies of unlabelled structures)");
            }
        }
    }
}
