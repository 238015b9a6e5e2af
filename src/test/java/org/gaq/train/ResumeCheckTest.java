package org.gaq.train;

import com.google.gson.Gson;
import org.gaq.io.SafeTensorsException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The options a checkpoint records: read back as they were written, also from checkpoints of the flat format before the groups. */
class ResumeCheckTest {
    private static final Path FILE = Path.of("last.safetensors");

    @Test
    void recordedOptionsReadBackEqual() throws Exception {
        var options = Trainer.Options.builder().epochs(7).batchSize(5).learningRate(2e-3f).plateauPatience(4).energyWeight(0.1f)
                .forceWeight(0.9f).seed(9).threads(1).maxMinutes(33).leeWeight(0.02f).vectorWarmupEpochs(2).weightAverageDecay(0.99f).build();
        Map<String, String> meta = ResumeCheck.metadata(TrainerTest.split(), options);
        assertEquals(options, ResumeCheck.recordedOptions(FILE, meta));
    }

    @Test
    void flatOptionsOfOlderCheckpointsReadIntoTheGroups() throws Exception {
        Map<String, Object> flat = new LinkedHashMap<>();
        flat.put("epochs", 1000); flat.put("batchSize", 8); flat.put("learningRate", 1e-3); flat.put("minLearningRate", 1e-5);
        flat.put("warmupEpochs", 2); flat.put("plateauPatience", 8); flat.put("plateauFactor", 0.5); flat.put("energyWeight", 0.01);
        flat.put("forceWeight", 0.99); flat.put("weightDecay", 0); flat.put("seed", 1); flat.put("threads", 2); flat.put("maxMinutes", 600.0);
        flat.put("leeWeight", 0); flat.put("vectorWarmupEpochs", 0); flat.put("stepRateFactor", 0); flat.put("weightScaleRateFactor", 0);
        var read = ResumeCheck.recordedOptions(FILE, Map.of("train.options", new Gson().toJson(flat)));
        var expected = Trainer.Options.builder().threads(2).maxMinutes(600).weightAverageDecay(0f).build();
        assertEquals(expected, read, "no weightAverageDecay in the file: the run had no average, and resumes without one");
        var broken = assertThrows(SafeTensorsException.class, () -> ResumeCheck.recordedOptions(FILE, Map.of("train.options", "{\"schedule\": 3}")));
        assertTrue(broken.getMessage().contains("invalid training options"), broken.getMessage());
    }
}
