package org.gaq.serve;

import org.gaq.modelfile.ModelFile;
import org.gaq.data.DataSource;
import org.gaq.data.ExtXyz;
import org.gaq.data.Frame;
import org.gaq.data.NeighborList;
import org.gaq.data.Units;
import org.gaq.model.EquivariantTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real thing: ASE's {@code SocketIOCalculator} (UNIX socket) runs 100 Velocity-Verlet steps of
 * 0.5 fs on ethanol with {@code gaq drive}, started by ASE as a separate JVM from this build's classes,
 * as its force engine (tools/ase-client/ase_md_with_gaq.py). Then every frame's positions, as ASE
 * had them, are evaluated here with the same model, and the forces and energies ASE received must
 * be the model's.
 *
 * <p>Tolerance 1e-4 eV/Å and 1e-4 eV. Transport is float64 and gaq converts with ASE's own Bohr and
 * Hartree, so the protocol adds ~1e-15 relative (the fake-server test checks that to 1e-14). The
 * model runs in float32 (ε = 6e-8): the driver process and this one execute the same code, but the
 * Vector API may sum the lanes of a reduction in a different order in interpreted and in compiled code,
 * so the last float32 bits of intermediate sums can differ, which through six layers moves forces of
 * a few eV/Å by up to ~1e-6 eV/Å. 1e-4 eV/Å leaves a margin of 100 over that and is still far below
 * any physical mistake: a sign, a transposed array, eV vs Hartree or Å vs Bohr would be off by O(1)
 * eV/Å, and a lost step would show up as a position mismatch.
 *
 * <p>Skipped (with the reason) if /usr/bin/python3 or ASE is missing; .ci/run installs python3-ase.
 */
class AseSocketIntegrationTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SCRIPT = Path.of("tools", "ase-client", "ase_md_with_gaq.py");
    private static final Path MODEL = Path.of("models", "ethanol-fp32.safetensors");
    private static final int STEPS = 100;
    private static final double FORCE_TOLERANCE = 1e-4;   // eV/Å, see the class comment
    private static final double ENERGY_TOLERANCE = 1e-4;  // eV

    @Test
    void aseVelocityVerletWithGaqDriveGetsTheModelsForces(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "no " + PYTHON + " (the ASE integration test needs python3 with ASE)");
        assumeTrue(run(List.of(PYTHON.toString(), "-c", "import ase.calculators.socketio, ase.md.verlet"), dir,
                dir.resolve("probe.log"), 60) == 0, "no ASE for " + PYTHON + " (apt-get install python3-ase; .ci/run does)");
        assumeTrue(Files.isRegularFile(MODEL), "no trained model at " + MODEL);

        Frame start = ethanol();
        Path structure = dir.resolve("ethanol.xyz");
        ExtXyz.write(structure, List.of(start));
        Path out = dir.resolve("md.txt");
        Path log = dir.resolve("ase.log");

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // A fresh name: a socket file left behind by a killed run would make ASE's bind fail.
        String socket = "gaqtest-ase-" + ProcessHandle.current().pid() + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), SCRIPT.toString(),
                "--structure", structure.toString(), "--out", out.toString(), "--steps", Integer.toString(STEPS),
                "--dt", "0.5", "--socket", socket, "--timeout", "120", "--",
                java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "org.gaq.cli.GaqCli",
                "drive", MODEL.toString(), "--structure", structure.toString(), "--timeout", "120"));
        long t0 = System.nanoTime();
        int code = run(command, dir, log, 180);
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, code, "ase_md_with_gaq.py failed:\n" + output);
        assertTrue(output.contains("gaq drive: served " + (STEPS + 1) + " force calls"), output);
        assertTrue(output.contains("the server closed the connection"), output);

        List<AseFrame> frames = readFrames(out, start.numAtoms());
        assertEquals(STEPS + 1, frames.size(), "frames written by the script");
        EquivariantTransformer model = ModelFile.load(MODEL);
        double worstForce = 0, worstEnergy = 0, moved = 0;
        for (int k = 0; k < frames.size(); k++) {
            AseFrame f = frames.get(k);
            // What the driver evaluated: ASE's Å positions after the trip through Bohr.
            double[] seen = new double[f.positions.length];
            for (int i = 0; i < seen.length; i++) seen[i] = f.positions[i] / Units.ASE_BOHR_IN_ANGSTROM * Units.ASE_BOHR_IN_ANGSTROM;
            var p = model.predict(NeighborList.batch(List.of(Frame.unlabeled(start.atomicNumbers(), seen)),
                    model.config().cutoff()), false);
            float[] forces = p.forces().data();
            for (int i = 0; i < forces.length; i++) worstForce = Math.max(worstForce, Math.abs(forces[i] - f.forces[i]));
            worstEnergy = Math.max(worstEnergy, Math.abs(p.energies()[0] - f.energy));
            for (int i = 0; i < seen.length; i++) moved = Math.max(moved, Math.abs(seen[i] - start.positions()[i]));
        }
        String summary = String.format(Locale.ROOT, "%d frames in %.1f s: max |ΔF| = %.2e eV/Å, max |ΔE| = %.2e eV, "
                + "atoms moved up to %.3f Å", frames.size(), (System.nanoTime() - t0) / 1e9, worstForce, worstEnergy, moved);
        System.out.println("AseSocketIntegrationTest: " + summary);
        assertTrue(worstForce <= FORCE_TOLERANCE, summary);
        assertTrue(worstEnergy <= ENERGY_TOLERANCE, summary);
        assertTrue(moved > 0.01, "the MD must actually move the atoms: " + summary);
    }

    /** The first rMD17 ethanol frame if the data is there, else a fixed ethanol geometry. */
    private static Frame ethanol() {
        try {
            Frame f = DataSource.resolve("rmd17:ethanol", null).load().frame(0);
            return Frame.unlabeled(f.atomicNumbers(), f.positions());
        } catch (IOException | RuntimeException e) {
            return Frame.unlabeled(IpiDriverTest.ETHANOL_Z, IpiDriverTest.ETHANOL_R);
        }
    }

    private record AseFrame(double energy, double[] positions, double[] forces) {}

    /**
     * The script's output: "ase_units Bohr B Hartree H", then per frame "frame K energy E" and
     * "x y z fx fy fz" per atom. ASE's constants must be the ones gaq converts with: otherwise
     * positions, energies and forces would be off by ~1e-8 relative on every round trip.
     */
    private static List<AseFrame> readFrames(Path file, int atoms) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        String[] units = lines.getFirst().trim().split("\\s+");
        assertEquals("ase_units", units[0], "first line of " + file);
        assertEquals(Units.ASE_BOHR_IN_ANGSTROM, Double.parseDouble(units[2]), 0.0,
                "ASE's Bohr changed (a new CODATA default?): update Units.ASE_BOHR_IN_ANGSTROM");
        assertEquals(Units.ASE_HARTREE_IN_EV, Double.parseDouble(units[4]), 0.0,
                "ASE's Hartree changed (a new CODATA default?): update Units.ASE_HARTREE_IN_EV");
        List<AseFrame> frames = new ArrayList<>();
        for (int at = 1; at < lines.size(); at += atoms + 1) {
            String[] head = lines.get(at).trim().split("\\s+");
            assertEquals("frame", head[0], "line " + (at + 1) + " of " + file);
            double[] r = new double[3 * atoms], f = new double[3 * atoms];
            for (int i = 0; i < atoms; i++) {
                String[] t = lines.get(at + 1 + i).trim().split("\\s+");
                for (int c = 0; c < 3; c++) {
                    r[3 * i + c] = Double.parseDouble(t[c]);
                    f[3 * i + c] = Double.parseDouble(t[3 + c]);
                }
            }
            frames.add(new AseFrame(Double.parseDouble(head[3]), r, f));
        }
        return frames;
    }

    private static int run(List<String> command, Path dir, Path log, int timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
