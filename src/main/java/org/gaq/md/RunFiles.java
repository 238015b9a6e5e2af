package org.gaq.md;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import org.gaq.util.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files of an MD run folder: {@code run.json} (the settings, for resuming), {@code state.json}
 * (the last checkpointed {@link MdState}, exact doubles), {@code energy.csv} and {@code trajectory.xyz}.
 * Every JSON write is atomic (temp file + rename), so a crash leaves the previous version.
 */
public final class RunFiles {
    private RunFiles() {}

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    public static final String SETTINGS = "run.json", STATE = "state.json", ENERGY_LOG = "energy.csv",
            TRAJECTORY = "trajectory.xyz", ENERGY_PLOT = "energy.png", LAST_GOOD = "last_good.xyz", SUMMARY = "summary.json";

    /** One row of {@code energy.csv}: step, time_fs, potential_eV, kinetic_eV, total_eV, temperature_K. */
    public record EnergyRow(long step, double timeFs, double potentialEv, double kineticEv, double totalEv, double temperatureK) {}

    /** The rows of a run folder's energy log (header and blank lines skipped). */
    public static List<EnergyRow> readEnergyLog(Path runDir) throws IOException {
        List<String> lines = Files.readAllLines(runDir.resolve(ENERGY_LOG), StandardCharsets.UTF_8);
        List<EnergyRow> rows = new ArrayList<>();
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            if (line.isBlank()) continue;
            String[] c = line.split(",");
            rows.add(new EnergyRow(Long.parseLong(c[0]), Double.parseDouble(c[1]), Double.parseDouble(c[2]), Double.parseDouble(c[3]),
                    Double.parseDouble(c[4]), Double.parseDouble(c[5])));
        }
        return rows;
    }

    /**
     * What a finished run (or its last resumed part) measured: the drift fit over the whole energy log,
     * and the speed of the part just run on {@code threads}. Null drift fields: fewer than two log rows.
     */
    public record Summary(int atoms, long steps, long stepsRun, double stepsPerSecond, Double driftMeVPerAtomPerPs,
                          Double fluctuationMeVPerAtom, Double durationPs) {}

    /**
     * What a run was started with: enough to resume it. {@code weightsOnly}: a quantized model run with
     * its quantized weights and FP32 activations (see ModelFiles.weightsOnly); false in older run files.
     */
    public record Settings(String model, String structure, String ensemble, double dtFs, double temperatureK,
                           double frictionPerFs, long seed, long steps, int logEvery, int trajectoryEvery,
                           double maxForceEvPerA, boolean weightsOnly) {
        public Settings(String model, String structure, String ensemble, double dtFs, double temperatureK,
                        double frictionPerFs, long seed, long steps, int logEvery, int trajectoryEvery, double maxForceEvPerA) {
            this(model, structure, ensemble, dtFs, temperatureK, frictionPerFs, seed, steps, logEvery, trajectoryEvery, maxForceEvPerA, false);
        }

        /** The same run with another time step (resuming after a blow-up). */
        public Settings withDt(double newDtFs) {
            return new Settings(model, structure, ensemble, newDtFs, temperatureK, frictionPerFs, seed, steps, logEvery,
                    trajectoryEvery, maxForceEvPerA, weightsOnly);
        }

        /** The same run with another total number of steps (extending a run on resume). */
        public Settings withSteps(long newSteps) {
            return new Settings(model, structure, ensemble, dtFs, temperatureK, frictionPerFs, seed, newSteps, logEvery,
                    trajectoryEvery, maxForceEvPerA, weightsOnly);
        }
    }

    public static void writeJson(Path file, Object value) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.write(file, GSON.toJson(value).getBytes(StandardCharsets.UTF_8));
    }

    public static <T> T readJson(Path file, Class<T> type) throws IOException {
        if (!Files.exists(file)) throw new IOException(file + " does not exist: not an MD run folder, or the run never checkpointed");
        try {
            T value = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), type);
            if (value == null) throw new IOException(file + " is empty");
            return value;
        } catch (com.google.gson.JsonParseException e) {
            throw new IOException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    public static MdState readState(Path runDir) throws IOException {
        MdState s = readJson(runDir.resolve(STATE), MdState.class);
        try {
            // Through the canonical constructor, so its checks run (Gson bypasses it).
            return new MdState(s.step(), s.timeFs(), s.positions(), s.velocities(), s.forces(), s.potentialEnergy());
        } catch (RuntimeException e) {
            throw new IOException(runDir.resolve(STATE) + ": invalid state: " + e.getMessage(), e);
        }
    }

    /**
     * Drops what was logged after the checkpoint at {@code step} (a crash between checkpoints leaves
     * rows and frames that the resumed run will write again): energy.csv rows with a larger step, and
     * trajectory frames whose comment says {@code step=} a larger one or a step off the
     * {@code trajectoryEvery} grid (the end frame of a run that is now being extended).
     */
    public static void truncateAfter(Path runDir, long step, int trajectoryEvery) throws IOException {
        Path csv = runDir.resolve(ENERGY_LOG);
        if (Files.exists(csv)) {
            List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
            List<String> kept = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (i == 0 || line.isBlank()) {
                    if (i == 0) kept.add(line);
                    continue;
                }
                if (Long.parseLong(line.substring(0, line.indexOf(','))) <= step) kept.add(line);
            }
            AtomicFiles.write(csv, (String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        Path xyz = runDir.resolve(TRAJECTORY);
        if (Files.exists(xyz)) {
            List<String> lines = Files.readAllLines(xyz, StandardCharsets.UTF_8);
            StringBuilder kept = new StringBuilder();
            int i = 0;
            while (i < lines.size()) {
                if (lines.get(i).isBlank()) { i++; continue; }
                int n = Integer.parseInt(lines.get(i).trim());
                if (i + 1 + n >= lines.size() + 1) break;           // a frame cut short by a crash
                long frameStep = stepOf(lines.get(i + 1));
                if (frameStep <= step && frameStep % trajectoryEvery == 0) {
                    for (int k = i; k <= i + 1 + n && k < lines.size(); k++) kept.append(lines.get(k)).append('\n');
                }
                i += 2 + n;
            }
            AtomicFiles.write(xyz, kept.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static long stepOf(String comment) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:^|\\s)step=(\\d+)").matcher(comment);
        return m.find() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
    }
}
