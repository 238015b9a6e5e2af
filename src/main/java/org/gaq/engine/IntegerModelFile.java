package org.gaq.engine;

import org.gaq.model.Checkpoint;
import org.gaq.model.QuantizationSites;
import com.google.gson.Gson;
import org.gaq.engine.kernels.Int8Gemm;
import org.gaq.engine.kernels.Int8Kernels;
import org.gaq.io.SafeTensors;
import org.gaq.io.SafeTensorsException;
import org.gaq.io.TensorEntry;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.gaq.quant.QuantizedWeight;
import org.gaq.quant.WeightQuantizer;
import org.gaq.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compact integer model file ({@code gaq export}): a safetensors file with
 * <ul>
 *   <li>for each quantized weight W [in, out]: {@code <name>.codes}, I8 [in, out] (int8) or U8 [⌈in·out/2⌉]
 *       (int4, two codes per byte, low nibble first), and {@code <name>.scales}, F32 [groups, out];</li>
 *   <li>every other parameter in F32 (embedding, layer norms, biases, temperatures, energy head),
 *       {@code element_shift}/{@code element_scale}, and the activation steps {@code quant.scalar.*},
 *       {@code quant.vector.*} (F32 [1]);</li>
 *   <li>metadata: format {@value #FORMAT}, version, config and quantization spec (JSON).</li>
 * </ul>
 * Loading builds the model with {@link IntegerSites}: the quantized weights exist only as codes.
 */
public final class IntegerModelFile {
    private IntegerModelFile() {}

    public static final String FORMAT = "gaq-integer-model", VERSION = "1";
    private static final Gson GSON = new Gson();

    /** Reads the fake-quantized model file {@code from} and writes its integer form to {@code to} ({@code gaq export}). */
    public static void export(Path from, Path to) throws IOException {
        export(ModelFiles.load(from), to);
    }

    /** Writes the integer form of a fake-quantized (QAT or PTQ) model. */
    public static void export(EquivariantTransformer model, Path file) throws IOException {
        if (!(model.sites() instanceof QuantizationPlan plan)) {
            throw new IllegalArgumentException("only a quantized model (from gaq qat or gaq ptq) can be exported to integers");
        }
        QuantizationSpec spec = plan.spec();
        if (spec.weightBits() == 32 || spec.activationBits() != 8) {
            throw new IllegalArgumentException("integer export needs int8 or int4 weights and int8 scalar activations; this model is " + spec);
        }
        List<TensorEntry> tensors = new ArrayList<>();
        for (var e : model.parameters().entrySet()) {
            Tensor t = e.getValue();
            if (QuantizationSites.isQuantizedWeight(e.getKey())) {
                QuantizedWeight q = plan.quantizedWeight(e.getKey(), t);
                tensors.add(q.bits() == 8
                        ? TensorEntry.ofBytes(e.getKey() + ".codes", "I8", q.codes(), q.in(), q.out())
                        : TensorEntry.ofBytes(e.getKey() + ".codes", "U8", WeightQuantizer.packInt4(q.codes()), (q.codes().length + 1) / 2));
                tensors.add(TensorEntry.ofFloats(e.getKey() + ".scales", q.scales(), q.groups(), q.out()));
            } else {
                tensors.add(TensorEntry.ofFloats(e.getKey(), t.data(), Arrays.stream(t.shape()).asLongStream().toArray()));
            }
        }
        tensors.add(TensorEntry.ofFloats("element_shift", model.elementShift(), model.elementShift().length));
        tensors.add(TensorEntry.ofFloats("element_scale", model.elementScale(), model.elementScale().length));
        plan.steps().forEach((k, v) -> tensors.add(TensorEntry.ofFloats(k, v, v.length)));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("version", VERSION);
        meta.put("units", Checkpoint.UNITS);
        meta.put("config", GSON.toJson(model.config()));
        meta.put(ModelFiles.SPEC_KEY, GSON.toJson(spec));
        SafeTensors.write(file, meta, tensors);
    }

    /** True if {@code file}'s header says it is an integer model. */
    public static boolean isIntegerModel(SafeTensors st) {
        return FORMAT.equals(st.metadata().get("format"));
    }

    public static EquivariantTransformer load(Path file) throws IOException {
        return load(file, SafeTensors.read(file), Int8Kernels.best());
    }

    /** Reads and validates an integer model; every tensor's presence, dtype, shape and finiteness is checked. */
    public static EquivariantTransformer load(Path file, SafeTensors st, Int8Gemm gemm) throws IOException {
        Map<String, String> meta = st.metadata();
        if (!isIntegerModel(st)) throw new SafeTensorsException(file, "not a gaq integer model (format is " + meta.get("format") + ")");
        if (!VERSION.equals(meta.get("version"))) throw new SafeTensorsException(file, "integer model version " + meta.get("version") + " is not supported (this gaq reads " + VERSION + ")");
        ModelConfig config = Checkpoint.parseConfig(file, meta.get("config"));
        QuantizationSpec spec = ModelFiles.parseSpec(file, meta.get(ModelFiles.SPEC_KEY));
        if (spec.weightBits() != 8 && spec.weightBits() != 4) throw new SafeTensorsException(file, "weights must be int8 or int4, the header says " + spec.weightBits());
        EquivariantTransformer model = new EquivariantTransformer(config, 0);
        Map<String, float[]> steps = new LinkedHashMap<>();
        for (TensorEntry t : st.tensors()) {
            if (t.name().startsWith("quant.")) steps.put(t.name(), floats(file, t, (int) Math.min(Integer.MAX_VALUE, t.numel())));
        }
        for (var e : steps.entrySet()) ModelFiles.checkSteps(file, e.getKey(), e.getValue(), spec);
        Map<String, IntegerLinear> layers = new LinkedHashMap<>();
        for (String name : List.copyOf(model.parameters().keySet())) {
            Tensor p = model.parameters().get(name);
            if (!QuantizationSites.isQuantizedWeight(name)) {
                float[] v = floats(file, require(file, st, name), p.size());
                checkShape(file, st.get(name), p.shape());
                System.arraycopy(v, 0, p.leafData(), 0, v.length);
                continue;
            }
            int in = p.dim(0), out = p.dim(1);
            int groupSize = spec.weightBits() == 8 ? in : WeightQuantizer.INT4_GROUP_SIZE;
            int groups = (in + groupSize - 1) / groupSize;
            TensorEntry codes = require(file, st, name + ".codes");
            byte[] q;
            if (spec.weightBits() == 8) {
                if (!codes.dtype().equals("I8") || !Arrays.equals(codes.shape(), new long[]{in, out})) {
                    throw new SafeTensorsException(file, name + ".codes must be I8 [" + in + ", " + out + "], got " + codes.dtype() + Arrays.toString(codes.shape()));
                }
                q = codes.asBytes();
                for (byte b : q) if (b == -128) throw new SafeTensorsException(file, name + ".codes holds −128, outside the symmetric int8 range");
            } else {
                if (!codes.dtype().equals("U8") || !Arrays.equals(codes.shape(), new long[]{(in * (long) out + 1) / 2})) {
                    throw new SafeTensorsException(file, name + ".codes must be U8 [" + (in * (long) out + 1) / 2 + "], got " + codes.dtype() + Arrays.toString(codes.shape()));
                }
                q = WeightQuantizer.unpackInt4(codes.asBytes(), in * out);
                for (byte b : q) if (b < -7) throw new SafeTensorsException(file, name + ".codes holds −8, outside the symmetric int4 range");
            }
            TensorEntry scalesEntry = require(file, st, name + ".scales");
            checkShape(file, scalesEntry, new int[]{groups, out});
            float[] scales = floats(file, scalesEntry, groups * out);
            QuantizedWeight weight = new QuantizedWeight(in, out, spec.weightBits(), groupSize, q, scales);
            String site = QuantizationPlan.scalarInputSite(name);
            float[] inputSteps = {Float.NaN};
            if (site != null && !spec.isFullPrecision(site)) {
                inputSteps = steps.get("quant.scalar." + site);
                if (inputSteps == null) throw new SafeTensorsException(file, "activation step quant.scalar." + site + " (input of " + name + ") is missing");
                if (inputSteps.length != 1 && inputSteps.length != in) {
                    throw new SafeTensorsException(file, "quant.scalar." + site + " has " + inputSteps.length + " steps; " + name + " has " + in + " inputs");
                }
            }
            layers.put(name, new IntegerLinear(name, weight, inputSteps, gemm));
            model.releaseWeight(name);
        }
        float[] shift = floats(file, require(file, st, "element_shift"), model.elementShift().length);
        float[] scale = floats(file, require(file, st, "element_scale"), model.elementScale().length);
        System.arraycopy(shift, 0, model.elementShift(), 0, shift.length);
        System.arraycopy(scale, 0, model.elementScale(), 0, scale.length);
        model.setSites(new IntegerSites(QuantizationPlan.withSavedSteps(spec, steps), layers));
        return model;
    }

    private static TensorEntry require(Path file, SafeTensors st, String name) throws SafeTensorsException {
        if (!st.contains(name)) throw new SafeTensorsException(file, "tensor '" + name + "' is missing");
        return st.get(name);
    }

    private static void checkShape(Path file, TensorEntry t, int[] shape) throws SafeTensorsException {
        if (!Arrays.equals(t.shape(), Arrays.stream(shape).asLongStream().toArray())) {
            throw new SafeTensorsException(file, "tensor '" + t.name() + "' has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
        }
    }

    private static float[] floats(Path file, TensorEntry t, int count) throws SafeTensorsException {
        if (!t.dtype().equals("F32") || t.numel() != count) {
            throw new SafeTensorsException(file, "tensor '" + t.name() + "' must be F32 with " + count + " values, got " + t.dtype() + Arrays.toString(t.shape()));
        }
        float[] v = t.asFloats();
        for (float x : v) if (!Float.isFinite(x)) throw new SafeTensorsException(file, "tensor '" + t.name() + "' holds NaN or infinite values");
        return v;
    }
}
