package org.gaq.modelfile;

import org.gaq.engine.IntegerModelFile;
import org.gaq.engine.IntegerSites;
import org.gaq.engine.kernels.Int8Kernels;
import org.gaq.io.SafeTensors;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Any gaq model file, read by one loader: an FP32 checkpoint, a fake-quantized model (an FP32 checkpoint with its
 * quantization spec and steps, {@link ModelFiles}) or an integer model from {@code gaq export} ({@link IntegerModelFile}).
 * The commands that take any model (eval, md, drive, bench, the demo's evaluation) read it here; this package sits above
 * quantization and the integer engine, so neither depends on the other to load a file.
 */
public sealed interface ModelFile permits ModelFile.Fp32, ModelFile.FakeQuantized, ModelFile.IntegerModel {
    /** The model, ready for the tape or the compiled engine. */
    EquivariantTransformer model();

    record Fp32(EquivariantTransformer model) implements ModelFile {}

    record FakeQuantized(EquivariantTransformer model, QuantizationPlan plan) implements ModelFile {}

    record IntegerModel(EquivariantTransformer model, IntegerSites sites) implements ModelFile {}

    /** Reads {@code file}, whatever its kind; throws {@link org.gaq.io.SafeTensorsException} naming the file if it is none. */
    static ModelFile read(Path file) throws IOException {
        SafeTensors st = SafeTensors.read(file);
        EquivariantTransformer model = IntegerModelFile.isIntegerModel(st)
                ? IntegerModelFile.load(file, st, Int8Kernels.best())
                : ModelFiles.loadContents(file, st).model();
        return switch (model.sites()) {
            case IntegerSites integer -> new IntegerModel(model, integer);
            case QuantizationPlan plan -> new FakeQuantized(model, plan);
            default -> new Fp32(model);
        };
    }

    /** The model of any gaq model file ({@link #read}). */
    static EquivariantTransformer load(Path file) throws IOException {
        return read(file).model();
    }

    /** "FP32", "fake-quantized &lt;spec&gt;", "weights only …" or "integer &lt;spec&gt;, kernels &lt;name&gt;". */
    static String describePrecision(EquivariantTransformer model) {
        return switch (model.sites()) {
            case QuantizationPlan plan when !plan.scalarBranch() && !plan.vectorBranch() -> "weights only (FP32 activations) of fake-quantized " + plan.spec().description();
            case QuantizationPlan plan -> "fake-quantized " + plan.spec().description();
            case IntegerSites integer -> "integer " + integer.activations().spec().description() + ", kernels " + Int8Kernels.best().name();
            default -> "FP32";
        };
    }
}
