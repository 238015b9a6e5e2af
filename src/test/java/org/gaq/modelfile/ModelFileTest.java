package org.gaq.modelfile;

import org.gaq.io.SafeTensorsException;
import org.gaq.quant.ModelFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** One loader for every kind of model file; quantization's own loader keeps to the kinds it writes. */
class ModelFileTest {
    private static final Path MODELS = Path.of("models");

    @Test
    void readsEachKindIntoItsOwnType() throws Exception {
        assertInstanceOf(ModelFile.Fp32.class, ModelFile.read(MODELS.resolve("ethanol-fp32.safetensors")));
        var fake = assertInstanceOf(ModelFile.FakeQuantized.class, ModelFile.read(MODELS.resolve("ethanol-gaq-w4a8-recommended.safetensors")));
        assertSame(fake.plan(), fake.model().sites());
        var integer = assertInstanceOf(ModelFile.IntegerModel.class, ModelFile.read(MODELS.resolve("ethanol-gaq-w4a8-recommended.int.safetensors")));
        assertTrue(ModelFile.describePrecision(integer.model()).startsWith("integer GAQ W4A8"), ModelFile.describePrecision(integer.model()));
        assertEquals("FP32", ModelFile.describePrecision(ModelFile.load(MODELS.resolve("ethanol-fp32.safetensors"))));
    }

    @Test
    void quantizationsLoaderRefusesAnIntegerFileAndNoLoaderTakesAnythingElse(@TempDir Path dir) throws Exception {
        assertThrows(SafeTensorsException.class, () -> ModelFiles.load(MODELS.resolve("ethanol-gaq-w4a8-recommended.int.safetensors")));
        Path junk = Files.writeString(dir.resolve("junk.safetensors"), "not a model");
        var e = assertThrows(SafeTensorsException.class, () -> ModelFile.read(junk));
        assertTrue(e.getMessage().contains("junk.safetensors"), e.getMessage());
    }
}
