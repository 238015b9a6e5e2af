package org.gaq.train;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import org.gaq.data.DataFingerprint;
import org.gaq.data.Split;
import org.gaq.io.SafeTensorsException;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a checkpoint must match to be resumed. A training checkpoint records the fingerprints of its training and
 * validation data and the options it was started with; continuing it on other data (an ethanol run resumed on
 * aspirin) would silently turn one model into another and mix two runs in one log.
 */
public final class ResumeCheck {
    private ResumeCheck() {}

    static final String DATA_KEY = "train.data_fingerprint", OPTIONS_KEY = "train.options", NAME_KEY = "train.dataset";
    private static final Gson GSON = new Gson();

    /** The checkpoint metadata that identifies a run's data and options. */
    static Map<String, String> metadata(Split split, Trainer.Options options) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(NAME_KEY, split.train().name());
        m.put(DATA_KEY, fingerprint(split));
        m.put(OPTIONS_KEY, GSON.toJson(options));
        return m;
    }

    private static String fingerprint(Split split) {
        return DataFingerprint.of(split.train()) + " " + DataFingerprint.of(split.validation());
    }

    /** The options the checkpoint's run was started with, or null for a checkpoint from before gaq recorded them. */
    public static Trainer.Options recordedOptions(Path checkpoint, Map<String, String> metadata) throws SafeTensorsException {
        String json = metadata.get(OPTIONS_KEY);
        if (json == null) return null;
        try {
            JsonObject o = JsonParser.parseString(json).getAsJsonObject();
            return o.has("schedule") ? GSON.fromJson(o, Trainer.Options.class) : GSON.fromJson(o, FlatOptions.class).grouped();
        } catch (JsonParseException | IllegalArgumentException | IllegalStateException e) {
            throw new SafeTensorsException(checkpoint, "invalid training options in header: " + e.getMessage());
        }
    }

    /** The options as checkpoints before the grouped {@link Trainer.Options} recorded them (one flat object). */
    private record FlatOptions(int epochs, int batchSize, float learningRate, float minLearningRate, int warmupEpochs,
                               int plateauPatience, float plateauFactor, float energyWeight, float forceWeight,
                               float weightDecay, long seed, int threads, double maxMinutes, float leeWeight,
                               int vectorWarmupEpochs, float stepRateFactor, float weightScaleRateFactor, float weightAverageDecay) {
        Trainer.Options grouped() {
            return Trainer.Options.builder().epochs(epochs).batchSize(batchSize).learningRate(learningRate).minLearningRate(minLearningRate)
                    .warmupEpochs(warmupEpochs).plateauPatience(plateauPatience).plateauFactor(plateauFactor).energyWeight(energyWeight)
                    .forceWeight(forceWeight).weightDecay(weightDecay).seed(seed).threads(threads).maxMinutes(maxMinutes).leeWeight(leeWeight)
                    .vectorWarmupEpochs(vectorWarmupEpochs).stepRateFactor(stepRateFactor).weightScaleRateFactor(weightScaleRateFactor)
                    .weightAverageDecay(weightAverageDecay).build();     // absent in older files: 0, no average, as they ran
        }
    }

    /**
     * Throws unless {@code split} holds the training and validation frames the checkpoint was trained on (for older
     * checkpoints without fingerprints: the training set's name).
     */
    public static void requireSameData(Path checkpoint, Map<String, String> metadata, Split split) {
        String recorded = metadata.get(DATA_KEY);
        String given = recorded != null ? fingerprint(split) : split.train().name();
        String expected = recorded != null ? recorded : metadata.get(NAME_KEY);
        if (expected == null || expected.equals(given)) return;
        throw new IllegalArgumentException(checkpoint + " was trained on " + metadata.getOrDefault(NAME_KEY, "other data")
                + (recorded != null ? " (fingerprints " + recorded + ")" : "") + ", but this command gives "
                + DataFingerprint.describe(split.train()) + " and validation " + DataFingerprint.describe(split.validation())
                + ": --resume continues a run on its own data (the same --data, --seed and --train-frames); "
                + "to train on this data, start a new run with another --out");
    }
}
