package org.gaq.cli;

import org.gaq.data.DataSource;
import org.gaq.data.Dataset;
import org.gaq.infer.Potential;
import org.gaq.modelfile.ModelFile;
import org.gaq.train.Metrics;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The committed Table II models (models/table2/, issue #20) are usable out of the box for each molecule: the FP32
 * model `gaq demo --data rmd17:<molecule>` quantizes, and its two integer models, each predicting its own molecule's
 * forces (a model of another molecule, or an untrained one, is off by hundreds of meV/Å).
 */
class CommittedModelsTest {

    @ParameterizedTest
    @ValueSource(strings = {"aspirin", "ethanol", "malonaldehyde", "naphthalene", "salicylic", "toluene", "uracil"})
    void eachTableTwoMoleculeHasItsThreeModelsAndTheyPredictItsForces(String molecule) throws Exception {
        Path fp32 = DemoCommand.committedModel("rmd17:" + molecule);
        assertEquals(Path.of("models", "table2", molecule + "-fp32.safetensors"), fp32);
        assertInstanceOf(ModelFile.Fp32.class, ModelFile.read(fp32));
        Path w8 = fp32.resolveSibling(molecule + "-gaq-w8a8.int.safetensors");
        Path w4 = fp32.resolveSibling(molecule + "-gaq-w4a8.int.safetensors");
        assertTrue(Files.isRegularFile(w8) && Files.isRegularFile(w4), "integer models of " + molecule + " are missing");
        assertTrue(ModelFile.describePrecision(ModelFile.load(w8)).startsWith("integer GAQ W8A8"));
        assertTrue(ModelFile.describePrecision(ModelFile.load(w4)).startsWith("integer GAQ W4A8"));

        Dataset frames = DataSource.resolve("rmd17:" + molecule, null).loadTest().subset(new int[]{0, 1, 2, 3});
        for (Path model : List.of(fp32, w8, w4)) {
            double maeMeV = Metrics.evaluate(Potential.load(model), frames, 4, 0, 1, null).forceMaeMeVPerA();
            assertTrue(maeMeV < 60, model + ": force MAE " + maeMeV + " meV/Å on 4 test frames of " + molecule);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qm9", "some.xyz"})
    void dataOtherThanRmd17HasNoCommittedModel(String spec) {
        assertNull(DemoCommand.committedModel(spec));
    }
}
