package org.gaq.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import org.gaq.util.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.List;

/**
 * The measurements {@code gaq report} builds docs/results.md from, one JSON file each, written by the
 * command that measured them ({@code gaq eval --record}, {@code gaq bench model --record}) so that the
 * report never retrains or re-measures: an evaluation of a model on a test set ({@link Eval}) and a
 * side-by-side speed measurement ({@link Bench}). Each names the exact command that reproduces it.
 */
public final class Records {
    private Records() {}

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    /**
     * {@code gaq eval} of one model: the paper's metrics (meV, meV/Å) on {@code frames} frames of
     * {@code split}, the per-frame force MAE (the per-structure error distribution), and the model
     * file's SHA-256, so a report can tell when a record no longer describes the file next to it.
     * {@code leeMeVPerA} is null when no rotations were evaluated; the force errors are null (and the per-frame
     * array empty) on data without force labels (QM9).
     */
    public record Eval(String name, String model, String modelSha256, String precision, String data, String split,
                       int frames, int leeRotations, long seed, double energyMaeMeV, Double forceMaeMeVPerA,
                       double energyRmseMeV, Double forceRmseMeVPerA, Double leeMeVPerA,
                       double[] frameForceMaeMeVPerA, String command, String date) {}

    /** One row of a {@code gaq bench model} run: a model on a workload, milliseconds of E+F per molecule. */
    public record BenchRow(String model, String workload, double medianMs, double p10Ms, double p90Ms) {}

    /** A whole {@code gaq bench model} run (every row measured interleaved, in one process). */
    public record Bench(String kernels, String cpu, int threads, List<BenchRow> rows, String command, String date) {}

    public static void write(Path file, Object record) throws IOException {
        AtomicFiles.write(file, (GSON.toJson(record) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Fields a record may leave out (null): everything else must be there, or the report would fail on it later. */
    private static final Set<String> OPTIONAL = Set.of("leeMeVPerA", "frameForceMaeMeVPerA", "forceMaeMeVPerA", "forceRmseMeVPerA");

    public static <T> T read(Path file, Class<T> type) throws IOException {
        if (!Files.exists(file)) throw new IOException("record " + file + " does not exist");
        try {
            JsonElement json = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (json == null || json.isJsonNull()) throw new IOException("record " + file + " is empty");
            requireFields(file, json, type);
            return GSON.fromJson(json, type);
        } catch (JsonParseException | IllegalStateException e) {
            throw new IOException("record " + file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Throws naming the first field of {@code type} (a record) that {@code json} lacks, here or in nested records. */
    private static void requireFields(Path file, JsonElement json, Class<?> type) throws IOException {
        if (!type.isRecord()) return;
        if (!json.isJsonObject()) throw new IOException("record " + file + " is not a JSON object of " + type.getSimpleName());
        JsonObject o = json.getAsJsonObject();
        for (RecordComponent c : type.getRecordComponents()) {
            JsonElement v = o.get(c.getName());
            if (v == null || v.isJsonNull()) {
                if (OPTIONAL.contains(c.getName())) continue;
                throw new IOException("record " + file + " lacks the field '" + c.getName() + "' of a " + type.getSimpleName()
                        + " record: re-run the command that writes it");
            }
            if (v.isJsonArray() && c.getGenericType() instanceof ParameterizedType p && p.getActualTypeArguments()[0] instanceof Class<?> element) {
                for (JsonElement e : v.getAsJsonArray()) requireFields(file, e, element);
            }
        }
    }

    /** The arguments as one shell command line (single-quoted where a word needs it), for a record's command. */
    public static String shellWords(List<String> args) {
        StringBuilder sb = new StringBuilder();
        for (String a : args) {
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(a.matches("[A-Za-z0-9_./:=,+@%-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    /** Hex SHA-256 of a file's bytes. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);   // every JDK has SHA-256
        }
    }
}
