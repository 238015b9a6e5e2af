package org.gaq.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** One `gaq` command run in-process, with what it printed; and the small files such tests feed it. */
final class CliRun {
    final int code;
    final String out, err;

    private CliRun(int code, String out, String err) {
        this.code = code;
        this.out = out;
        this.err = err;
    }

    static CliRun of(Object... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cmd = GaqCli.newCommandLine();
        cmd.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        cmd.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        String[] words = new String[args.length];
        for (int i = 0; i < args.length; i++) words[i] = args[i].toString();
        int code = cmd.execute(words);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** True if stderr holds a Java stack trace. */
    boolean stackTrace() {
        return err.contains("\tat ");
    }

    /** Stderr's lines, for "one line" assertions. */
    long errorLines() {
        return err.lines().filter(l -> !l.isBlank() && !l.startsWith("(set GAQ_DEBUG")).count();
    }

    @Override
    public String toString() {
        return "exit " + code + ", stderr: " + err;
    }

    /** A tiny untrained FP32 model file (8 features, 1 layer, elements up to Ar). */
    static Path tinyModel(Path file) throws IOException {
        org.gaq.model.Checkpoint.save(file, new org.gaq.model.EquivariantTransformer(
                new org.gaq.model.ModelConfig(8, 1, 2, 4, 5.0, true, 18), 1));
        return file;
    }

    /** {@code n} frames of H₂ near its bond length, with energies and forces of a harmonic bond, as extended XYZ. */
    static Path h2Frames(Path file, int n) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < n; k++) {
            double d = 0.70 + 0.08 * k / Math.max(1, n - 1), f = 2 * (d - 0.74);
            sb.append(String.format(Locale.ROOT, "2\nProperties=species:S:1:pos:R:3:forces:R:3 energy=%.6f pbc=\"F F F\"\n"
                    + "H 0 0 0 0 0 %.6f\nH 0 0 %.6f 0 0 %.6f\n", -31.7 + (d - 0.74) * (d - 0.74), f, d, -f));
        }
        Files.writeString(file, sb.toString());
        return file;
    }

    /** Tiny-model training options for {@code gaq train} (seconds per run). */
    static final String[] TINY_TRAINING = {"--features", "8", "--layers", "1", "--heads", "2", "--threads", "1", "--warmup-epochs", "0"};

    /** The ethanol-like test geometry as a one-frame extended-XYZ file. */
    static Path ethanolXyz(Path file) throws IOException {
        int[] z = org.gaq.model.TestMolecules.ETHANOL_ELEMENTS;
        double[] x = org.gaq.model.TestMolecules.ETHANOL_POSITIONS;
        StringBuilder sb = new StringBuilder(z.length + "\nProperties=species:S:1:pos:R:3 pbc=\"F F F\"\n");
        for (int i = 0; i < z.length; i++) {
            sb.append(String.format(Locale.ROOT, "%s %.4f %.4f %.4f%n", org.gaq.data.Elements.symbol(z[i]), x[3 * i], x[3 * i + 1], x[3 * i + 2]));
        }
        Files.writeString(file, sb.toString());
        return file;
    }

    /** The committed FP32 ethanol model (tests that need a trained model skip without it). */
    static Path ethanolModel() {
        Path model = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "models/ethanol-fp32.safetensors");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(model), "no committed model " + model);
        return model;
    }
}
