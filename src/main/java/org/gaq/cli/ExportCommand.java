package org.gaq.cli;

import org.gaq.engine.IntegerModelFile;
import org.gaq.engine.IntegerSites;
import org.gaq.engine.kernels.Int8Kernels;
import org.gaq.model.EquivariantTransformer;
import org.gaq.modelfile.ModelFile;
import org.gaq.run.RunFolders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code gaq export}: a fake-quantized model to the compact integer model file. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write the integer form of a quantized (QAT or PTQ) model: int8 or packed int4 weight codes with their "
                + "scales, FP32 only for the embedding, norms, biases and energy head. gaq eval, md and drive run it in integers.")
public final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "QUANTIZED_MODEL") Path from;
    @Option(names = "--out", required = true, paramLabel = "FILE") Path out;
    @Option(names = "--fp32", paramLabel = "FP32_MODEL", description = "also report the size of this FP32 model file for comparison") Path fp32;

    @Override
    public Integer call() throws Exception {
        RunFolders.requireOutputFile(out, from, "--out");
        EquivariantTransformer model = switch (ModelFile.read(from)) {
            case ModelFile.FakeQuantized fake -> fake.model();
            case ModelFile.IntegerModel integer -> throw new IllegalArgumentException(from + " is already an integer model file (written by "
                    + "gaq export): export takes the fake-quantized model that gaq qat or gaq ptq wrote");
            case ModelFile.Fp32 fp32Model -> throw new IllegalArgumentException(from + " is an FP32 model: quantize it first (gaq qat or "
                    + "gaq ptq), then export that model");
        };
        IntegerModelFile.export(model, out);
        var integer = IntegerModelFile.load(out);
        long resident = ((IntegerSites) integer.sites()).residentWeightBytes();
        System.out.printf("wrote %s: %,d bytes (%s)%n", out, Files.size(out), ((IntegerSites) integer.sites()).activations().spec().description());
        if (fp32 != null) {
            System.out.printf("FP32 model %s: %,d bytes, %.2f× the integer file%n", fp32, Files.size(fp32), (double) Files.size(fp32) / Files.size(out));
        }
        System.out.printf("integer layers hold %,d bytes of weight codes and scales (the kernels add their layouts on first use); kernels: %s%n",
                resident, Int8Kernels.describe());
        return 0;
    }
}
