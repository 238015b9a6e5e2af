package org.gaq.cli;

import org.gaq.modelfile.ModelFile;
import org.gaq.data.Elements;
import org.gaq.data.DataSource;
import org.gaq.data.Frame;
import org.gaq.md.Dynamics;
import org.gaq.md.Integrator;
import org.gaq.md.LangevinBaoab;
import org.gaq.md.MdState;
import org.gaq.md.ModelForceField;
import org.gaq.md.RunFiles;
import org.gaq.md.Simulation;
import org.gaq.md.VelocityVerlet;
import org.gaq.model.ModelElements;
import org.gaq.quant.ModelFiles;
import org.gaq.report.Records;
import org.gaq.run.RunLock;
import org.gaq.run.RunOrigin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import org.gaq.bench.ProcessMemory;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code gaq md}: NVE or Langevin MD of one molecule with a gaq model; resumable. */
@Command(name = "md", mixinStandardHelpOptions = true,
        description = {"Molecular dynamics with a gaq model (FP32 or quantized): velocity Verlet (nve) or Langevin BAOAB (langevin).",
                "Writes trajectory.xyz, energy.csv, energy.png and checkpoints (state.json) to the run folder and "
                        + "reports the total-energy drift. Resume an interrupted run with --resume DIR.",
                "Stops (exit code 3, last good frame saved) when the run leaves the physical regime: non-finite values, a force "
                        + "above --max-force, a temperature above 5 × max(--temperature, 300 K), a molecule splitting (an atom "
                        + "3 Å from all others), or in NVE a total-energy jump above k_B·max(--temperature, 300 K) per atom in one step."})
public final class MdCommand implements Callable<Integer> {
    @Mixin EngineOption engineOption;
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "a .safetensors model (not needed with --resume)") Path modelFile;
    @Option(names = "--structure", paramLabel = "SPEC", description = "start structure: an extended-XYZ or .npz file, or rmd17:<molecule>") String structure;
    @Option(names = "--frame", defaultValue = "0", description = "which frame of the structure source (default: ${DEFAULT-VALUE})") int frameIndex;
    @Option(names = "--data-dir", paramLabel = "DIR", description = "folder holding rmd17/ (default: $GAQ_DATA_DIR, else ../shared/data)") Path dataDir;
    @Option(names = "--steps", description = "total number of steps (default: 1000; with --resume: the run's own)") Long steps;
    @Option(names = "--dt", defaultValue = "0.5", description = "time step in fs (default: ${DEFAULT-VALUE}); with --resume, a new "
            + "time step for the rest of the run (e.g. smaller, after a blow-up)") double dt;
    @Option(names = "--ensemble", defaultValue = "nve", description = "nve or langevin (default: ${DEFAULT-VALUE})") String ensemble;
    @Option(names = "--temperature", defaultValue = "300", description = "K: Maxwell–Boltzmann start and Langevin bath (default: ${DEFAULT-VALUE})") double temperature;
    @Option(names = "--friction", defaultValue = "0.01", description = "Langevin friction in 1/fs (default: ${DEFAULT-VALUE})") double friction;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--log-every", defaultValue = "10", description = "steps between energy-log rows and checkpoints (default: ${DEFAULT-VALUE})") int logEvery;
    @Option(names = "--trajectory-every", defaultValue = "100", description = "steps between trajectory frames (default: ${DEFAULT-VALUE})") int trajectoryEvery;
    @Option(names = "--max-force", defaultValue = "50", description = "eV/Å; a larger force stops the run as a blow-up (default: ${DEFAULT-VALUE})") double maxForce;
    @Mixin RunFolderOption runFolder;
    @Option(names = "--resume", paramLabel = "DIR", description = "continue the run in DIR from its last checkpoint") Path resume;
    @Option(names = "--weights-only", description = "run a fake-quantized model with its quantized weights and FP32 activations: "
            + "a smooth energy whose exact gradient are the forces (energy-conserving NVE)") boolean weightsOnly;
    @Spec CommandSpec commandSpec;

    @Override
    public Integer call() throws Exception {
        RunFiles.Settings settings;
        Path runDir;
        if (resume != null) {
            runDir = resume;
            RunFiles.Settings saved = RunFiles.readJson(runDir.resolve(RunFiles.SETTINGS), RunFiles.Settings.class);
            for (String option : List.of("--structure", "--frame", "--ensemble", "--temperature", "--friction", "--seed", "--log-every",
                    "--trajectory-every", "--max-force", "--out")) {
                if (commandSpec.commandLine().getParseResult().hasMatchedOption(option)) {
                    throw new IllegalArgumentException("--resume continues the run as it was started (only --steps and --dt may change): leave out " + option);
                }
            }
            settings = steps == null ? saved : saved.withSteps(steps);
            if (commandSpec.commandLine().getParseResult().hasMatchedOption("--dt")) settings = settings.withDt(dt);
            if (weightsOnly && !saved.weightsOnly()) throw new IllegalArgumentException("--resume continues the run as it was started; it was not started with --weights-only");
            if (modelFile != null && !modelFile.toString().equals(saved.model())) {
                throw new IllegalArgumentException("--resume continues with the run's own model " + saved.model() + "; do not pass another one");
            }
        } else {
            if (modelFile == null) throw new IllegalArgumentException("give a MODEL file (or --resume DIR)");
            if (structure == null) throw new IllegalArgumentException("give --structure FILE or rmd17:<molecule>");
            runDir = runFolder.fresh(Path.of("runs", "md-" + ensemble), "continue it with gaq md --resume DIR");
            settings = new RunFiles.Settings(modelFile.toString(), structure, ensemble, dt, temperature, friction, seed,
                    steps == null ? 1000 : steps, logEvery, trajectoryEvery, maxForce, weightsOnly);
        }
        if (settings.steps() < 1) throw new IllegalArgumentException("--steps must be ≥ 1");
        String command = CommandChecks.commandLine(commandSpec);
        try (RunLock lock = RunLock.acquire(runDir, command, System.err)) {
            if (resume != null) RunOrigin.recordResume(runDir, command);
            else RunOrigin.now(command, Map.of("structure", settings.structure(), "frame", String.valueOf(frameIndex)),
                    Map.of("file", settings.model(), "sha256", Records.sha256(Path.of(settings.model())))).write(runDir);
            return run(settings, runDir);
        }
    }

    private int run(RunFiles.Settings settings, Path runDir) throws Exception {
        Frame start = startFrame(settings.structure());
        var model = ModelFile.load(Path.of(settings.model()));
        if (settings.weightsOnly()) ModelFiles.weightsOnly(model, Path.of(settings.model()));
        ModelForceField forceField = new ModelForceField(engineOption.potential(model, System.err), start.atomicNumbers());
        ModelElements.warnUnseen(model, start.atomicNumbers(), commandSpec.commandLine().getErr());
        Integrator integrator = switch (settings.ensemble()) {
            case "nve" -> new VelocityVerlet();
            case "langevin" -> new LangevinBaoab(settings.temperatureK(), settings.frictionPerFs(), settings.seed());
            default -> throw new IllegalArgumentException("--ensemble must be nve or langevin, not '" + settings.ensemble() + "'");
        };
        Simulation sim = new Simulation(forceField, integrator, settings, runDir);
        MdState initial;
        if (resume != null) {
            initial = RunFiles.readState(runDir);
            if (initial.numAtoms() != start.numAtoms()) throw new IllegalArgumentException(runDir + ": the checkpoint has " + initial.numAtoms() + " atoms, the structure " + start.numAtoms());
            System.out.printf("resuming %s at step %d (t = %.1f fs)%n", runDir, initial.step(), initial.timeFs());
        } else {
            double[] v = Dynamics.maxwellBoltzmann(Elements.masses(start.atomicNumbers()), settings.temperatureK(), settings.seed());
            initial = sim.initialState(start.positions(), v);
        }
        System.out.printf("%s MD of %s (%d atoms) with %s (%s): dt %.3g fs, %d steps -> %s%n", settings.ensemble(),
                Elements.formula(start.atomicNumbers()), start.numAtoms(), settings.model(), forceField.describe(),
                settings.dtFs(), settings.steps(), runDir);
        Simulation.Result r = sim.run(initial);
        Simulation.describe(r).forEach((k, v) -> {
            if (settings.ensemble().equals("nve") || !k.startsWith("drift")) System.out.printf("%-24s %s%n", k, v);
        });
        System.out.printf("%-24s %s%n", "memory", ProcessMemory.describe());
        System.out.println("files: " + runDir.resolve(RunFiles.TRAJECTORY) + ", " + runDir.resolve(RunFiles.ENERGY_LOG) + ", " + runDir.resolve(RunFiles.ENERGY_PLOT));
        return 0;
    }

    private Frame startFrame(String spec) throws Exception {
        var data = DataSource.resolve(spec, dataDir).load();
        if (frameIndex < 0 || frameIndex >= data.size()) throw new IllegalArgumentException("--frame " + frameIndex + " is outside 0.." + (data.size() - 1) + " of " + spec);
        return data.frame(frameIndex);
    }
}
