package org.gaq.md;

import org.gaq.data.Elements;
import org.gaq.data.ExtXyz;
import org.gaq.data.Frame;
import org.gaq.plot.LinePlot;
import org.gaq.util.CsvLog;
import org.gaq.util.Progress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs an integrator and keeps its record in a run folder ({@link RunFiles}): every {@code logEvery}
 * steps a row of energy.csv, every {@code trajectoryEvery} steps a frame of trajectory.xyz and a
 * checkpoint (state.json), and both at the last step; at the end energy.png and the {@link EnergyDrift}. Every step is
 * checked by a {@link PhysicsGuard} (non-finite values, a force above {@code maxForce}, overheating, a molecule splitting,
 * an NVE energy jump): a failed check stops the run with {@link MdBlowUpException}, after writing the last good frame
 * (last_good.xyz) and its state, from which the run can be resumed.
 */
public final class Simulation {
    private final ForceField forceField;
    private final Integrator integrator;
    private final double[] masses;
    private final int[] atomicNumbers;
    private final RunFiles.Settings settings;
    private final Path runDir;
    private final PhysicsGuard guard;
    private boolean plot = true;

    public record Result(MdState finalState, EnergyDrift drift, double stepsPerSecond, long stepsRun) {}

    public Simulation(ForceField forceField, Integrator integrator, RunFiles.Settings settings, Path runDir) {
        if (!(settings.dtFs() > 0) || settings.dtFs() > 10) throw new IllegalArgumentException("--dt must be in (0, 10] fs, got " + settings.dtFs());
        if (settings.logEvery() < 1 || settings.trajectoryEvery() < 1) throw new IllegalArgumentException("log and trajectory intervals must be ≥ 1");
        if (!(settings.maxForceEvPerA() > 0)) throw new IllegalArgumentException("the force limit must be > 0 eV/Å");
        this.forceField = forceField;
        this.integrator = integrator;
        this.atomicNumbers = forceField.atomicNumbers();
        this.masses = Elements.masses(atomicNumbers);
        this.settings = settings;
        this.runDir = runDir;
        this.guard = new PhysicsGuard(atomicNumbers, masses, integrator, settings);
    }

    /** Whether {@link #run} ends with energy.png (on by default; rendering costs seconds in a cold JVM). */
    public Simulation plot(boolean on) {
        this.plot = on;
        return this;
    }

    /** The starting state: positions and velocities given, forces and energy evaluated. */
    public MdState initialState(double[] positions, double[] velocities) {
        ForceField.Evaluation e = forceField.evaluate(positions);
        MdState s = new MdState(0, 0, positions.clone(), velocities.clone(), e.forces(), e.energy());
        check(s, null);
        return s;
    }

    /** Runs from {@code start} (step 0 for a new run, a checkpoint when resuming) to settings.steps(). */
    public Result run(MdState start) throws IOException {
        Files.createDirectories(runDir);
        RunFiles.writeJson(runDir.resolve(RunFiles.SETTINGS), settings);
        boolean fresh = start.step() == 0;
        if (fresh) {
            Files.deleteIfExists(runDir.resolve(RunFiles.ENERGY_LOG));
            Files.deleteIfExists(runDir.resolve(RunFiles.TRAJECTORY));
        } else {
            RunFiles.truncateAfter(runDir, start.step(), settings.trajectoryEvery());
        }
        long remaining = settings.steps() - start.step();
        MdState s = start;
        long t0 = System.nanoTime();
        try (CsvLog log = CsvLog.open(runDir.resolve(RunFiles.ENERGY_LOG), "step", "time_fs", "potential_eV", "kinetic_eV", "total_eV", "temperature_K");
             ExtXyz.Writer trajectory = ExtXyz.Writer.append(runDir.resolve(RunFiles.TRAJECTORY));
             Progress progress = Progress.start("md " + integrator.name() + " " + Elements.formula(atomicNumbers), Math.max(0, remaining))) {
            if (fresh) record(s, log, trajectory);
            while (s.step() < settings.steps()) {
                MdState next = integrator.step(s, forceField, masses, settings.dtFs());
                check(next, s);
                s = next;
                if (s.step() % settings.logEvery() == 0 || s.step() == settings.steps()) record(s, log, trajectory);
                progress.step();
                if (s.step() % 100 == 0) {
                    double rate = (s.step() - start.step()) / ((System.nanoTime() - t0) / 1e9);
                    progress.setExtra(String.format("%.0f steps/s, T %.0f K", rate,
                            Dynamics.temperature(Dynamics.kineticEnergy(masses, s.velocities()), integrator.degreesOfFreedom(masses.length))));
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        EnergyDrift drift = plotAndFitDrift();
        Result result = new Result(s, drift, remaining / Math.max(seconds, 1e-9), remaining);
        RunFiles.writeJson(runDir.resolve(RunFiles.SUMMARY), new RunFiles.Summary(masses.length, s.step(), remaining, result.stepsPerSecond(),
                drift == null ? null : drift.slopeMeVPerAtomPerPs(), drift == null ? null : drift.fluctuationMeVPerAtom(),
                drift == null ? null : drift.durationPs()));
        return result;
    }

    private void record(MdState s, CsvLog log, ExtXyz.Writer trajectory) throws IOException {
        double kinetic = Dynamics.kineticEnergy(masses, s.velocities());
        double temperature = Dynamics.temperature(kinetic, integrator.degreesOfFreedom(masses.length));
        log.row(s.step(), s.timeFs(), s.potentialEnergy(), kinetic, s.potentialEnergy() + kinetic, temperature);
        if (s.step() % settings.trajectoryEvery() == 0 || s.step() == settings.steps()) {
            trajectory.write(frame(s), Map.of("step", s.step(), "time_fs", s.timeFs(), "temperature_K", temperature));
        }
        // The checkpoint goes with the trajectory frames (a JSON write costs milliseconds; a resume drops the
        // log rows written after it and writes them again), and after the row, so a resume never skips one.
        if (s.step() % settings.trajectoryEvery() == 0 || s.step() == settings.steps()) {
            RunFiles.writeJson(runDir.resolve(RunFiles.STATE), s);
        }
    }

    private Frame frame(MdState s) {
        return new Frame(atomicNumbers, s.positions(), s.potentialEnergy(), s.forces());
    }

    /** Stops the run if {@code s} is not physical ({@link PhysicsGuard}); {@code lastGood} (null at the start) is saved first. */
    private void check(MdState s, MdState lastGood) {
        String problem = guard.problem(s, lastGood);
        if (problem == null) return;
        String where = String.format("step %d (t = %.1f fs): %s", s.step(), s.timeFs(), problem);
        if (lastGood == null) throw new MdBlowUpException(s.step(), "the starting structure is not usable: " + where);
        try {
            ExtXyz.write(runDir.resolve(RunFiles.LAST_GOOD), List.of(frame(lastGood)));
            RunFiles.writeJson(runDir.resolve(RunFiles.STATE), lastGood);
        } catch (IOException e) {
            where += " (and saving the last good state failed: " + e.getMessage() + ")";
        }
        throw new MdBlowUpException(s.step(), "MD stopped at " + where + ". The last good frame (step " + lastGood.step() + ") is in "
                + runDir.resolve(RunFiles.LAST_GOOD) + " and state.json; the energy log is kept. Continue from it with gaq md --resume "
                + runDir + " and a smaller --dt.");
    }

    /** Reads energy.csv back, writes energy.png (energies relative to the first row, meV) and fits the drift. */
    private EnergyDrift plotAndFitDrift() throws IOException {
        List<RunFiles.EnergyRow> rows = RunFiles.readEnergyLog(runDir);
        if (rows.size() < 2) return null;
        int n = rows.size();
        RunFiles.EnergyRow first = rows.get(0);
        double[] t = new double[n], tFs = new double[n], pot = new double[n], kin = new double[n], tot = new double[n], totEv = new double[n];
        for (int i = 0; i < n; i++) {
            RunFiles.EnergyRow r = rows.get(i);
            tFs[i] = r.timeFs();
            t[i] = r.timeFs() / 1000;                           // ps
            pot[i] = 1000 * (r.potentialEv() - first.potentialEv());
            kin[i] = 1000 * r.kineticEv();
            tot[i] = 1000 * (r.totalEv() - first.totalEv());
            totEv[i] = r.totalEv();
        }
        if (plot) new LinePlot("MD " + integrator.name() + ", " + Elements.formula(atomicNumbers) + ", dt " + settings.dtFs() + " fs",
                "time (ps)", "energy (meV, relative to t = 0)")
                .add("potential", t, pot).add("kinetic", t, kin).add("total", t, tot)
                .save(runDir.resolve(RunFiles.ENERGY_PLOT));
        return EnergyDrift.fit(tFs, totEv, masses.length);
    }

    /** A summary for printing: drift, fluctuation, speed. */
    public static Map<String, String> describe(Result r) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("steps", String.valueOf(r.stepsRun()));
        m.put("steps/s", String.format("%.1f", r.stepsPerSecond()));
        if (r.drift() != null) {
            m.put("drift (meV/atom/ps)", String.format("%.4f", r.drift().slopeMeVPerAtomPerPs()));
            m.put("fluctuation (meV/atom)", String.format("%.4f", r.drift().fluctuationMeVPerAtom()));
            m.put("duration (ps)", String.format("%.3f", r.drift().durationPs()));
        }
        return m;
    }
}
