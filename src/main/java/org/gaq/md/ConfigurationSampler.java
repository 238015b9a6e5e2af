package org.gaq.md;

import org.gaq.data.Elements;
import org.gaq.data.Frame;
import org.gaq.data.Splits;
import org.gaq.infer.Potential;
import org.gaq.util.Progress;

import java.util.ArrayList;
import java.util.List;

/**
 * Configurations a teacher model visits, labelled with its own energies and forces: training data for distilling
 * the teacher into a quantized student (issue #20; docs/quantization.md, "Teacher frames"). Short Langevin
 * trajectories of the teacher at one temperature start from given frames (each from Maxwell–Boltzmann velocities),
 * and after a warm-up one frame is kept every {@code interval} steps.
 */
public final class ConfigurationSampler {
    /** The force limit of `gaq md`'s default --max-force. */
    static final double MAX_FORCE_EV_PER_A = 50;

    private ConfigurationSampler() {}

    /**
     * @param frames         frames to produce
     * @param temperatureK   thermostat temperature
     * @param warmupSteps    steps of each trajectory before its first frame
     * @param interval       steps between kept frames
     * @param framesPerStart frames kept from each trajectory (then the next start frame)
     * @param dtFs           time step
     * @param frictionPerFs  Langevin friction γ
     * @param seed           start frames' order, velocities and noise
     */
    public record Settings(int frames, double temperatureK, int warmupSteps, int interval, int framesPerStart,
                           double dtFs, double frictionPerFs, long seed) {
        public Settings {
            if (frames < 1) throw new IllegalArgumentException("teacher frames must be ≥ 1, got " + frames);
            if (!(temperatureK > 0) || temperatureK > 5000) throw new IllegalArgumentException("teacher temperature must be in (0, 5000] K, got " + temperatureK);
            if (warmupSteps < 0 || interval < 1 || framesPerStart < 1) {
                throw new IllegalArgumentException("warm-up must be ≥ 0 steps, interval and frames per start ≥ 1");
            }
            if (!(dtFs > 0) || !(frictionPerFs > 0)) throw new IllegalArgumentException("time step and friction must be > 0");
        }

        /**
         * {@code frames} frames at {@code temperatureK}: 200 warm-up steps (100 fs), then 10 frames 10 fs apart per
         * start frame; dt 0.5 fs, γ = 0.01/fs.
         */
        public static Settings of(int frames, double temperatureK, long seed) {
            return new Settings(frames, temperatureK, 200, 20, 10, 0.5, 0.01, seed);
        }
    }

    /**
     * Frames sampled from the teacher's dynamics from {@code starts} (used in a shuffled order, again from the first
     * when there are fewer starts than trajectories), each with the teacher's energy and forces as labels.
     *
     * @throws IllegalStateException when a trajectory leaves the physical regime ({@link PhysicsGuard}: the teacher is
     *                               unstable at that temperature)
     */
    public static List<Frame> sample(Potential teacher, List<Frame> starts, Settings s) {
        if (starts.isEmpty()) throw new IllegalArgumentException("no start frames to sample from");
        int[] order = Splits.permutation(starts.size(), s.seed());
        List<Frame> out = new ArrayList<>(s.frames());
        try (Progress progress = Progress.start("teacher frames at " + (int) s.temperatureK() + " K", s.frames())) {
            for (int trajectory = 0; out.size() < s.frames(); trajectory++) {
                Frame start = starts.get(order[trajectory % order.length]);
                long seed = s.seed() * 0x9E3779B97F4A7C15L + trajectory;
                ForceField field = new ModelForceField(teacher, start.atomicNumbers());
                double[] masses = Elements.masses(start.atomicNumbers());
                double[] x = start.positions().clone();
                ForceField.Evaluation e = field.evaluate(x);
                MdState state = new MdState(0, 0, x, Dynamics.maxwellBoltzmann(masses, s.temperatureK(), seed), e.forces(), e.energy());
                Integrator thermostat = new LangevinBaoab(s.temperatureK(), s.frictionPerFs(), seed);
                PhysicsGuard guard = new PhysicsGuard(start.atomicNumbers(), masses, thermostat, new RunFiles.Settings("teacher",
                        "training frame", thermostat.name(), s.dtFs(), s.temperatureK(), s.frictionPerFs(), seed, 0, 1, 0, MAX_FORCE_EV_PER_A));
                for (int k = 0; k < s.warmupSteps(); k++) state = step(thermostat, guard, state, field, masses, s);
                for (int kept = 0; kept < s.framesPerStart() && out.size() < s.frames(); kept++) {
                    for (int k = 0; k < s.interval(); k++) state = step(thermostat, guard, state, field, masses, s);
                    out.add(start.withPositions(state.positions()).withLabels(state.potentialEnergy(), state.forces()));
                    progress.step();
                }
            }
        }
        return out;
    }

    /** One step, checked as `gaq md` checks its runs: a frame of a molecule that broke apart must not become a label. */
    private static MdState step(Integrator integrator, PhysicsGuard guard, MdState s, ForceField field, double[] masses, Settings settings) {
        MdState next = integrator.step(s, field, masses, settings.dtFs());
        String problem = guard.problem(next, s);
        if (problem != null) {
            throw new IllegalStateException("a teacher trajectory at " + settings.temperatureK() + " K left the physical regime at step "
                    + next.step() + " (" + problem + "): sample at a lower temperature");
        }
        return next;
    }
}
