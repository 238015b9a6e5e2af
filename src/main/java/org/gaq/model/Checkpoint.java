package org.gaq.model;

import com.google.gson.Gson;
import org.gaq.io.SafeTensors;
import org.gaq.io.SafeTensorsException;
import org.gaq.io.TensorEntry;
import org.gaq.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model on disk: safetensors with every parameter (F32), the per-element energy shift and
 * scale, and a JSON header (format, version, config, units). Optional extra tensors and metadata
 * (the optimizer state, the training state) ride along so that training can resume.
 * Writes are atomic (temporary file, then rename) — see {@link SafeTensors#write}.
 */
public final class Checkpoint {
    public static final String FORMAT = "gaq-equivariant-transformer";
    public static final String VERSION = "1";
    public static final String UNITS = "length=angstrom energy=eV forces=eV/angstrom";
    private static final Gson GSON = new Gson();

    private Checkpoint() {}

    /** What a checkpoint file holds. {@code extras} and {@code extraMetadata} are empty for a plain model. */
    public record Contents(EquivariantTransformer model, Map<String, float[]> extras, Map<String, String> extraMetadata) {}

    public static void save(Path file, EquivariantTransformer model, Map<String, float[]> extras,
                            Map<String, String> extraMetadata) throws IOException {
        requireFinite(file, model);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("version", VERSION);
        meta.put("units", UNITS);
        meta.put("config", GSON.toJson(model.config()));
        meta.putAll(extraMetadata);
        List<TensorEntry> tensors = new ArrayList<>();
        for (var e : model.parameters().entrySet()) {
            tensors.add(TensorEntry.ofFloats(e.getKey(), e.getValue().data(), toLong(e.getValue().shape())));
        }
        tensors.add(TensorEntry.ofFloats("element_shift", model.elementShift(), model.elementShift().length));
        tensors.add(TensorEntry.ofFloats("element_scale", model.elementScale(), model.elementScale().length));
        for (var e : extras.entrySet()) tensors.add(TensorEntry.ofFloats(e.getKey(), e.getValue(), e.getValue().length));
        SafeTensors.write(file, meta, tensors);
    }

    public static void save(Path file, EquivariantTransformer model) throws IOException {
        save(file, model, Map.of(), Map.of());
    }

    public static EquivariantTransformer loadModel(Path file) throws IOException {
        return load(file).model();
    }

    /** Reads and validates a checkpoint: format, version, config, and every parameter's presence and shape. */
    public static Contents load(Path file) throws IOException {
        return load(file, SafeTensors.read(file));
    }

    /** {@link #load(Path)} of a file already read ({@code file} names it in error messages). */
    public static Contents load(Path file, SafeTensors st) throws IOException {
        Map<String, String> meta = st.metadata();
        if (!FORMAT.equals(meta.get("format"))) {
            throw new SafeTensorsException(file, "not a gaq model (format is " + meta.get("format") + ", expected " + FORMAT + ")");
        }
        if (!VERSION.equals(meta.get("version"))) {
            throw new SafeTensorsException(file, "model format version " + meta.get("version") + " is not supported (this gaq reads " + VERSION + ")");
        }
        ModelConfig config = parseConfig(file, meta.get("config"));
        EquivariantTransformer model = new EquivariantTransformer(config, 0);
        for (var e : model.parameters().entrySet()) {
            copyInto(file, st, e.getKey(), e.getValue().shape(), e.getValue().leafData());
        }
        copyInto(file, st, "element_shift", new int[]{model.elementShift().length}, model.elementShift());
        copyInto(file, st, "element_scale", new int[]{model.elementScale().length}, model.elementScale());
        Map<String, float[]> extras = new LinkedHashMap<>();
        for (TensorEntry t : st.tensors()) {
            if (!model.parameters().containsKey(t.name()) && !t.name().startsWith("element_")) extras.put(t.name(), t.asFloats());
        }
        Map<String, String> extraMeta = new LinkedHashMap<>(meta);
        extraMeta.keySet().removeAll(List.of("format", "version", "units", "config"));
        return new Contents(model, extras, extraMeta);
    }

    /** The model config of a file's header, through the record's checks (Gson bypasses the constructor). */
    public static ModelConfig parseConfig(Path file, String json) throws SafeTensorsException {
        try {
            ModelConfig c = GSON.fromJson(json, ModelConfig.class);
            return new ModelConfig(c.features(), c.layers(), c.heads(), c.radialBasis(), c.cutoff(), c.cosineAttention(), c.maxAtomicNumber());
        } catch (RuntimeException e) {
            throw new SafeTensorsException(file, "invalid model config in header: " + e.getMessage());
        }
    }

    private static void copyInto(Path file, SafeTensors st, String name, int[] shape, float[] target) throws SafeTensorsException {
        if (!st.contains(name)) throw new SafeTensorsException(file, "tensor '" + name + "' is missing");
        TensorEntry t = st.get(name);
        if (!Arrays.equals(t.shape(), toLong(shape)) || !"F32".equals(t.dtype())) {
            throw new SafeTensorsException(file, "tensor '" + name + "' has " + t.dtype() + Arrays.toString(t.shape())
                    + ", the config needs F32" + Arrays.toString(shape));
        }
        float[] values = t.asFloats();
        for (float v : values) {
            if (!Float.isFinite(v)) throw new SafeTensorsException(file, "tensor '" + name + "' holds NaN or infinite values");
        }
        System.arraycopy(values, 0, target, 0, values.length);
    }

    /**
     * Refuses to write a model with a NaN or infinite parameter, shift or scale: {@link #load} would refuse the file,
     * so writing it could only replace a good file (a previous checkpoint) by one that nothing can read.
     */
    private static void requireFinite(Path file, EquivariantTransformer model) throws SafeTensorsException {
        for (var e : model.parameters().entrySet()) requireFinite(file, e.getKey(), e.getValue().data());
        requireFinite(file, "element_shift", model.elementShift());
        requireFinite(file, "element_scale", model.elementScale());
    }

    private static void requireFinite(Path file, String name, float[] values) throws SafeTensorsException {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                throw new SafeTensorsException(file, "not written: tensor '" + name + "' holds NaN or infinite values (the file, if any, is unchanged)");
            }
        }
    }

    static long[] toLong(int[] shape) {
        long[] l = new long[shape.length];
        for (int i = 0; i < shape.length; i++) l[i] = shape[i];
        return l;
    }

}
