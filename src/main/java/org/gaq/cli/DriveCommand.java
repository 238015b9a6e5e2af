package org.gaq.cli;

import org.gaq.modelfile.ModelFile;
import org.gaq.data.Elements;
import org.gaq.infer.Potential;
import org.gaq.md.ModelForceField;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelElements;
import org.gaq.quant.ModelFiles;
import org.gaq.serve.IpiAddress;
import org.gaq.serve.IpiChannel;
import org.gaq.serve.IpiDriver;
import org.gaq.serve.StructureElements;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import org.gaq.bench.ProcessMemory;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "drive", mixinStandardHelpOptions = true,
        description = {"Serve a model's energies and forces to an MD program over the i-PI socket protocol "
                + "(i-PI, ASE's SocketIOCalculator, LAMMPS fix ipi, CP2K, ...). gaq is the client: start the server "
                + "first (it may still be starting: gaq retries the connection for --connect-retry seconds).",
                "The protocol does not send elements: --structure gives them, in the server's atom order. "
                + "Ends with exit code 0 when the server sends EXIT or closes the connection. See docs/serving.md."})
public final class DriveCommand implements Callable<Integer> {
    @Mixin EngineOption engineOption;
    @Parameters(index = "0", paramLabel = "MODEL", description = "a .safetensors model (FP32 or fake-quantized)")
    Path modelFile;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Address address;

    static final class Address {
        @Option(names = "--ipi", paramLabel = "HOST:PORT", description = "TCP address of the server, e.g. localhost:31415")
        String hostPort;
        @Option(names = "--unix", paramLabel = "NAME", description = "UNIX socket /tmp/ipi_NAME (i-PI's and ASE's naming)")
        String unixName;
    }

    @Option(names = "--structure", required = true, paramLabel = "FILE|rmd17:<mol>",
            description = "the atoms' elements, in the server's order: an XYZ file (first frame; only the element column "
                    + "is read, so periodic and i-PI-style files are fine) or rmd17:<molecule> (first frame of its train file)")
    String structure;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "folder holding rmd17/ (default: $GAQ_DATA_DIR, else ../shared/data)")
    Path dataDir;

    @Option(names = "--ignore-cell",
            description = "evaluate the molecule as isolated even if the server sends a periodic cell (i-PI always does)")
    boolean ignoreCell;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "give up if the server sends nothing for this long; generous because a server may be slow "
                    + "between steps (default: ${DEFAULT-VALUE})")
    double timeoutSeconds;

    @Option(names = "--connect-retry", paramLabel = "SECONDS", defaultValue = "10",
            description = "keep trying to connect this long while the server is starting (default: ${DEFAULT-VALUE})")
    double connectRetrySeconds;

    @Override
    public Integer call() throws Exception {
        if (!(timeoutSeconds > 0) || !(connectRetrySeconds >= 0))
            throw new IllegalArgumentException("--timeout must be positive and --connect-retry non-negative");
        IpiAddress where = address.hostPort != null ? IpiAddress.parseHostPort(address.hostPort)
                : IpiAddress.unixNamed(address.unixName);
        EquivariantTransformer model = ModelFile.load(modelFile);
        int[] elements = StructureElements.read(structure, dataDir);
        Potential potential = engineOption.potential(model, System.err);
        ModelForceField engine = new ModelForceField(potential, elements);
        ModelElements.warnUnseen(model, elements, new PrintWriter(System.err, true));   // with drive's other status lines
        String structureName = "--structure " + structure;
        System.err.printf(Locale.ROOT, "gaq drive: %s (%s) for %d atoms (%s) from %s; connecting to %s%n", modelFile,
                potential.description(), elements.length, Elements.formula(elements), structure, where);

        IpiDriver driver = new IpiDriver(engine, ignoreCell, structureName, System.err);
        SocketChannel socket = where.connect(seconds(connectRetrySeconds));   // fails with its own clear message
        System.err.println("gaq drive: connected");
        IpiDriver.Summary summary;
        try (IpiChannel channel = new IpiChannel(socket, seconds(timeoutSeconds))) {
            summary = driver.serve(channel);
        } finally {
            socket.close();
        }
        int calls = summary.forceCalls();
        System.out.printf(Locale.ROOT, "gaq drive: served %d force call%s, %.2f ms per call (mean); %s%n",
                calls, calls == 1 ? "" : "s", calls == 0 ? 0.0 : summary.meanMillisPerCall(), summary.ending().description());
        System.out.println("gaq drive: " + ProcessMemory.describe());
        return 0;
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos(Math.round(s * 1e9));
    }
}
