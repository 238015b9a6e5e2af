package org.gaq.quant;

import org.gaq.io.SafeTensors;
import org.gaq.tensor.GradMode;
import org.gaq.model.QuantizationSites;
import com.google.gson.Gson;
import org.gaq.io.SafeTensorsException;
import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reading and writing any gaq model file, FP32 or fake-quantized. A fake-quantized model is an FP32
 * checkpoint plus its {@link QuantizationPlan}: the spec in the header ({@code quant.spec}, JSON) and
 * one learned step per site ({@code quant.scalar.<site>}, {@code quant.vector.<site>}).
 */
public final class ModelFiles {
    public static final String SPEC_KEY = "quant.spec";
    private static final Gson GSON = new Gson();

    private ModelFiles() {}

    public static void save(Path file, EquivariantTransformer model, Map<String, float[]> extras, Map<String, String> metadata)
            throws IOException {
        Map<String, float[]> tensors = new LinkedHashMap<>(extras);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        if (model.sites() instanceof Calibrator) throw new IllegalStateException("save a quantized model after calibration, not during it");
        if (model.sites() instanceof QuantizationPlan plan) {
            tensors.putAll(plan.steps());
            meta.put(SPEC_KEY, GSON.toJson(plan.spec()));
        }
        Checkpoint.save(file, model, tensors, meta);
    }

    public static void save(Path file, EquivariantTransformer model) throws IOException {
        save(file, model, Map.of(), Map.of());
    }

    /** The model with its quantization plan attached (if the file has one), plus the file's other contents. */
    public static Checkpoint.Contents loadContents(Path file) throws IOException {
        return loadContents(file, SafeTensors.read(file));
    }

    public static Checkpoint.Contents loadContents(Path file, SafeTensors st) throws IOException {
        Checkpoint.Contents c = Checkpoint.load(file, st);
        String specJson = c.extraMetadata().get(SPEC_KEY);
        if (specJson != null) {
            QuantizationSpec spec = parseSpec(file, specJson);
            Map<String, float[]> steps = new LinkedHashMap<>();
            c.extras().forEach((k, v) -> { if (k.startsWith("quant.")) steps.put(k, v); });
            for (var e : steps.entrySet()) checkSteps(file, e.getKey(), e.getValue(), spec);
            c.model().setSites(QuantizationPlan.withSavedSteps(spec, steps));
        }
        return c;
    }

    /**
     * The weight-only form of a fake-quantized model: its quantized weights with FP32 activations (every
     * activation quantizer switched off). With quantized activations the energy is a step function of the
     * positions and the straight-through forces are not its gradient, so NVE MD cannot conserve energy;
     * with FP32 activations the energy is smooth and the forces are its exact gradient.
     */
    public static EquivariantTransformer weightsOnly(EquivariantTransformer model, Path file) {
        if (!(model.sites() instanceof QuantizationPlan plan)) {
            throw new IllegalArgumentException(file + " is not a fake-quantized model file: --weights-only needs one "
                    + "(the output of gaq qat or gaq ptq; integer files from gaq export keep int8 activations)");
        }
        plan.setScalarBranch(false);
        plan.setVectorBranch(false);
        // Round the weights once, into the parameters, instead of on every call: as fast as FP32, same values.
        if (plan.weightBranch()) {
            try (var noGrad = GradMode.noGrad()) {
                for (var e : model.parameters().entrySet()) {
                    if (!QuantizationSites.isQuantizedWeight(e.getKey())) continue;
                    float[] rounded = plan.weight(e.getKey(), e.getValue()).data();
                    System.arraycopy(rounded, 0, e.getValue().leafData(), 0, rounded.length);
                }
            }
            plan.setWeightBranch(false);
        }
        return model;
    }

    /**
     * An FP32 or fake-quantized model file (an integer model from {@code gaq export} is refused: it is read, with every
     * other kind, by {@code org.gaq.modelfile.ModelFile}).
     */
    public static EquivariantTransformer load(Path file) throws IOException {
        return loadContents(file, SafeTensors.read(file)).model();
    }

    /** Throws unless {@code steps} are positive and finite, and one per tensor unless the spec has per-channel steps. */
    public static void checkSteps(Path file, String name, float[] steps, QuantizationSpec spec) throws SafeTensorsException {
        if (steps.length == 0 || (steps.length != 1 && !spec.perChannel())) {
            throw new SafeTensorsException(file, "quantizer step " + name + " must be one positive number, got " + steps.length);
        }
        for (float v : steps) {
            if (!(v > 0) || Float.isInfinite(v)) throw new SafeTensorsException(file, "quantizer step " + name + " must be positive and finite, got " + v);
        }
    }

    /** The quantization spec of a file's header, through the record's checks (Gson bypasses the constructor). */
    public static QuantizationSpec parseSpec(Path file, String json) throws SafeTensorsException {
        try {
            QuantizationSpec r = GSON.fromJson(json, QuantizationSpec.class);
            return new QuantizationSpec(r.weightBits(), r.activationBits(), r.vectorScheme(), r.vectorBits(),
                    r.directionBits(), r.geometricSte(), r.calibration(), r.perChannel(), r.fullPrecisionSites(), r.gradient(), r.weightRange());
        } catch (RuntimeException e) {
            throw new SafeTensorsException(file, "invalid quantization spec in header: " + e.getMessage());
        }
    }
}
