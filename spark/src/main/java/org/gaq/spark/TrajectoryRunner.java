package org.gaq.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.gaq.data.Elements;
import org.gaq.data.ExtXyz;
import org.gaq.data.Frame;
import org.gaq.infer.Potential;
import org.gaq.md.Dynamics;
import org.gaq.md.EnergyDrift;
import org.gaq.md.Integrator;
import org.gaq.md.LangevinBaoab;
import org.gaq.md.MdBlowUpException;
import org.gaq.md.MdState;
import org.gaq.md.ModelForceField;
import org.gaq.md.RunFiles;
import org.gaq.md.Simulation;
import org.gaq.md.VelocityVerlet;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs one trajectory of an ensemble exactly as {@code gaq md} runs it — the same {@link Simulation} (integrator,
 * {@code PhysicsGuard}, energy log, drift fit) in a scratch run folder on the executor's local disk — and turns the
 * folder into result rows: one summary row ({@link #SUMMARY_SCHEMA}) and the sampled frames ({@link #FRAME_SCHEMA}).
 * A blow-up or any other failure becomes the summary row's status and message, never an exception: one bad
 * trajectory must not stop the others.
 */
public final class TrajectoryRunner {
    public static final StructType SUMMARY_SCHEMA = new StructType()
            .add("trajectory", DataTypes.IntegerType, false)
            .add("start_frame", DataTypes.IntegerType, false)
            .add("seed", DataTypes.LongType, false)
            .add("temperature_K", DataTypes.DoubleType, false)
            .add("ensemble", DataTypes.StringType, false)
            .add("status", DataTypes.StringType, false)      // finished, blew_up, failed
            .add("message", DataTypes.StringType, true)
            .add("last_step", DataTypes.LongType, false)     // the last step logged (the blow-up's last good one)
            .add("drift_meV_per_atom_per_ps", DataTypes.DoubleType, true)
            .add("fluctuation_meV_per_atom", DataTypes.DoubleType, true)
            .add("mean_temperature_K", DataTypes.DoubleType, true)
            .add("final_total_energy_eV", DataTypes.DoubleType, true)
            .add("steps_per_second", DataTypes.DoubleType, true);

    public static final StructType FRAME_SCHEMA = new StructType()
            .add("trajectory", DataTypes.IntegerType, false)
            .add("step", DataTypes.LongType, false)
            .add("time_fs", DataTypes.DoubleType, false)
            .add("temperature_K", DataTypes.DoubleType, false)
            .add("energy_eV", DataTypes.DoubleType, false)
            .add("elements", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("positions", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
            .add("forces", DataTypes.createArrayType(DataTypes.DoubleType, false), false);

    /** The summary row and the sampled frames of one trajectory. */
    public record Outcome(Row summary, List<Row> frames) implements Serializable {}

    private TrajectoryRunner() {}

    /**
     * Runs {@code spec} from {@code start} with {@code model} in a fresh folder under {@code scratch}, which is deleted
     * afterwards. {@code modelName} and {@code structure} only label the run's settings file.
     */
    public static Outcome run(Potential model, String modelName, Frame start, String structure, TrajectorySpec spec,
                              EnsembleSettings settings, Path scratch) {
        Path runDir = null;
        String status = "finished", message = null;
        Simulation.Result result = null;
        try {
            Files.createDirectories(scratch);
            runDir = Files.createTempDirectory(scratch, "gaq-md-" + spec.id() + "-");
            RunFiles.Settings run = new RunFiles.Settings(modelName, structure, settings.ensemble(), settings.dtFs(), spec.temperatureK(),
                    settings.frictionPerFs(), spec.seed(), settings.steps(), settings.logEvery(), settings.sampleEvery(),
                    settings.maxForceEvPerA());
            ModelForceField forceField = new ModelForceField(model, start.atomicNumbers());
            Integrator integrator = settings.ensemble().equals("nve") ? new VelocityVerlet()
                    : new LangevinBaoab(spec.temperatureK(), settings.frictionPerFs(), spec.seed());
            Simulation sim = new Simulation(forceField, integrator, run, runDir).plot(false);
            double[] v = Dynamics.maxwellBoltzmann(Elements.masses(start.atomicNumbers()), spec.temperatureK(), spec.seed());
            MdState initial = sim.initialState(start.positions(), v);
            result = sim.run(initial);
        } catch (MdBlowUpException e) {
            status = "blew_up";
            message = e.getMessage();
        } catch (Exception e) {
            status = "failed";
            message = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        try {
            return collect(spec, settings, start, runDir, status, message, result);
        } finally {
            deleteQuietly(runDir);
        }
    }

    private static Outcome collect(TrajectorySpec spec, EnsembleSettings settings, Frame start, Path runDir, String status, String message,
                                   Simulation.Result result) {
        List<RunFiles.EnergyRow> log = List.of();
        List<Row> frames = new ArrayList<>();
        try {
            if (runDir != null && Files.exists(runDir.resolve(RunFiles.ENERGY_LOG))) log = RunFiles.readEnergyLog(runDir);
            Path trajectory = runDir == null ? null : runDir.resolve(RunFiles.TRAJECTORY);
            if (trajectory != null && Files.exists(trajectory)) {
                for (ExtXyz.Entry e : ExtXyz.readEntries(trajectory, ExtXyz.ReadOptions.DEFAULT)) {
                    Frame f = e.frame();
                    frames.add(RowValues.row(spec.id(), Long.parseLong(e.info().get("step")), Double.parseDouble(e.info().get("time_fs")),
                            Double.parseDouble(e.info().get("temperature_K")), f.energy(), RowValues.ints(f.atomicNumbers()),
                            RowValues.doubles(f.positions()), RowValues.doubles(f.forces())));
                }
            }
        } catch (IOException | RuntimeException e) {
            if (message == null) {
                status = "failed";
                message = "reading the run's files back: " + e.getMessage();
            }
        }
        Double drift = null, fluctuation = null, meanT = null, finalTotal = null;
        if (!log.isEmpty()) {
            meanT = log.stream().mapToDouble(RunFiles.EnergyRow::temperatureK).average().orElseThrow();
            finalTotal = log.getLast().totalEv();
        }
        EnergyDrift fit = result != null ? result.drift() : driftOf(log, start.numAtoms());
        // Langevin exchanges energy with the bath: its total energy has no drift to report (as in gaq md).
        if (fit != null && settings.ensemble().equals("nve")) {
            drift = fit.slopeMeVPerAtomPerPs();
            fluctuation = fit.fluctuationMeVPerAtom();
        }
        long lastStep = log.isEmpty() ? 0 : log.getLast().step();
        Row summary = RowValues.row(spec.id(), spec.startFrame(), spec.seed(), spec.temperatureK(), settings.ensemble(), status, message,
                lastStep, drift, fluctuation, meanT, finalTotal, result == null ? null : result.stepsPerSecond());
        return new Outcome(summary, frames);
    }

    /** The drift over the rows logged before a blow-up (what was measured is still reported). */
    private static EnergyDrift driftOf(List<RunFiles.EnergyRow> log, int atoms) {
        if (log.size() < 2) return null;
        double[] t = log.stream().mapToDouble(RunFiles.EnergyRow::timeFs).toArray();
        double[] e = log.stream().mapToDouble(RunFiles.EnergyRow::totalEv).toArray();
        return EnergyDrift.fit(t, e, atoms);
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) return;
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // scratch space of a finished task: the executor's temp cleanup removes what is left
        }
    }
}
