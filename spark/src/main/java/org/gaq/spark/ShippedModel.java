package org.gaq.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.gaq.infer.Potential;
import org.gaq.report.Records;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model file shipped to the executors once, as a broadcast variable (model files are 0.2–1.3 MB), and loaded
 * once per executor JVM: every task of that JVM shares the same {@link Potential} (the compiled engine keeps one set
 * of buffers per thread, so sharing is safe). Nothing has to be passed with {@code --files}; the file only has to
 * be readable by the driver.
 *
 * @param name   the file's name, for logs and result rows
 * @param sha256 identifies the model in the executor's cache
 */
public record ShippedModel(String name, String sha256, Broadcast<byte[]> bytes) implements Serializable {

    private static final Map<String, Potential> LOADED = new ConcurrentHashMap<>();

    /** Reads {@code file} on the driver and broadcasts its bytes. */
    public static ShippedModel ship(JavaSparkContext sc, Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("model file " + file + " does not exist");
        byte[] content = Files.readAllBytes(file);
        Potential.load(file);   // fail on the driver, with the file's own error, rather than in every task
        return new ShippedModel(file.getFileName().toString(), Records.sha256(file), sc.broadcast(content));
    }

    /** The model on this JVM's compiled engine, loaded by the first task that asks. */
    public Potential potential() {
        return LOADED.computeIfAbsent(sha256, key -> {
            try {
                Path local = Files.createTempFile("gaq-model-" + key.substring(0, 12) + "-", "-" + name);
                try {
                    Files.write(local, bytes.value());
                    return Potential.load(local);
                } finally {
                    Files.deleteIfExists(local);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("loading the shipped model " + name + " on an executor: " + e.getMessage(), e);
            }
        });
    }

    /** How many distinct models this JVM has loaded (tests check that tasks share them). */
    static int loadedInThisJvm() {
        return LOADED.size();
    }
}
