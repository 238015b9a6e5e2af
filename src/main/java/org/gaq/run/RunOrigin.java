package org.gaq.run;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import org.gaq.util.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@value #FILE} of a run folder: what made the run, so the folder explains itself and gaq can tell its results
 * from another run's. {@code data}: the data (spec, and each part's name, frame count and
 * {@link org.gaq.data.DataFingerprint}); {@code model}: the model (its config, or the model file and its SHA-256);
 * {@code command}: the command line; {@code resumed}: the command lines that continued it, with their dates.
 */
public record RunOrigin(String command, String created, Map<String, String> data, Map<String, String> model, List<String> resumed) {
    public static final String FILE = "origin.json";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    /** A new run's origin, dated now. */
    public static RunOrigin now(String command, Map<String, String> data, Map<String, String> model) {
        return new RunOrigin(command, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), data, model, List.of());
    }

    public void write(Path runDir) throws IOException {
        AtomicFiles.write(runDir.resolve(FILE), (GSON.toJson(this) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The origin in {@code runDir}, or null if it has none (a folder from before gaq wrote them). */
    public static RunOrigin read(Path runDir) throws IOException {
        Path file = runDir.resolve(FILE);
        if (!Files.exists(file)) return null;
        try {
            RunOrigin o = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), RunOrigin.class);
            if (o == null || o.command() == null) throw new IOException(file + " is not a run's origin record");
            return o;
        } catch (JsonParseException e) {
            throw new IOException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Adds {@code command} (dated now) to the origin in {@code runDir}, if it has one. */
    public static void recordResume(Path runDir, String command) throws IOException {
        RunOrigin o = read(runDir);
        if (o == null) return;
        List<String> resumed = new ArrayList<>(o.resumed() == null ? List.of() : o.resumed());
        resumed.add(Instant.now().truncatedTo(ChronoUnit.SECONDS) + ": " + command);
        new RunOrigin(o.command(), o.created(), o.data(), o.model(), resumed).write(runDir);
    }
}
