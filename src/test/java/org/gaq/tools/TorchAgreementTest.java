package org.gaq.tools;

import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The independent check: tools/torch-reference/check_agreement.py recomputes energies, forces, the
 * training loss and every parameter gradient of that loss in PyTorch (float64 and float32) and asserts
 * agreement with gaq (relative 1e-4; see its README). Runs where Debian's python3-torch is installed
 * (.ci/run installs it) and the rMD17 data is present; skipped otherwise.
 */
class TorchAgreementTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path NPZ = Path.of("..", "shared", "data", "rmd17", "rmd17_ethanol_train_01.npz");

    @Test
    void pytorchReferenceAgrees(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(PYTHON) && run(List.of(PYTHON.toString(), "-c", "import torch, numpy"), dir) == 0,
                "/usr/bin/python3 with torch and numpy (apt-get install python3-torch python3-numpy)");
        assumeTrue(Files.exists(NPZ), "rMD17 ethanol at " + NPZ);

        // An untrained paper-size model with element shifts and scales of realistic size.
        EquivariantTransformer m = new EquivariantTransformer(ModelConfig.paper(), 7);
        float[] shift = m.elementShift(), scale = m.elementScale();
        shift[1] = -13.6f; shift[6] = -1029.5f; shift[8] = -2040.8f;
        scale[1] = 0.7f; scale[6] = 1.3f; scale[8] = 0.9f;
        Path model = dir.resolve("random.safetensors");
        Checkpoint.save(model, m);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = dir.resolve("check.log");
        int code = run(List.of(PYTHON.toString(), "tools/torch-reference/check_agreement.py", model.toString(), NPZ.toString(),
                "--frames", "3", "--java", java, "--jar", System.getProperty("java.class.path")), dir, log);
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, code, "check_agreement.py output:\n" + out);
        assertTrue(out.contains("all quantities agree"), out);
    }

    private static int run(List<String> command, Path dir) throws IOException, InterruptedException {
        return run(command, dir, dir.resolve("probe.log"));
    }

    private static int run(List<String> command, Path dir, Path log) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
