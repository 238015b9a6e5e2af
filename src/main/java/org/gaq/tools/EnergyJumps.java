package org.gaq.tools;

import org.gaq.data.ExtXyz;
import org.gaq.data.Frame;
import org.gaq.infer.Potential;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How far a model's energy is from the integral of its own forces along a trajectory, step by step
 * (docs/quantization.md, "Local-frame MDDQ"): for consecutive frames t, t+1 of an MD trajectory (extended XYZ,
 * e.g. {@code gaq md --trajectory-every 1}),
 * <pre>
 *   r_t = E(x_{t+1}) − E(x_t) + ½ (F(x_t) + F(x_{t+1}))·(x_{t+1} − x_t)
 * </pre>
 * For a smooth energy whose forces are −∇E, r_t is the trapezoid rule's error, O(|Δx|³); a quantized model adds a
 * jump wherever a rounded value changes code, and its straight-through forces are not exactly −∇E in between. The
 * trajectory's own energies and forces are not used: every model is evaluated on the same positions.
 *
 * <pre>
 *   EnergyJumps TRAJECTORY.xyz MODEL...
 * </pre>
 * Prints per model: RMS and largest |r_t| (meV per molecule), the steps with |r_t| above 1 meV, and the mean r_t.
 */
public final class EnergyJumps {
    private EnergyJumps() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: EnergyJumps TRAJECTORY.xyz MODEL...");
            System.exit(2);
        }
        List<Frame> frames = ExtXyz.read(Path.of(args[0])).frames();
        if (frames.size() < 2) throw new IllegalArgumentException(args[0] + ": a trajectory needs at least 2 frames, has " + frames.size());
        System.out.printf(Locale.ROOT, "%s: %d frames of %d atoms%n", args[0], frames.size(), frames.get(0).atomicNumbers().length);
        for (int m = 1; m < args.length; m++) {
            Potential potential = Potential.load(Path.of(args[m]));
            double[] r = residuals(potential, frames);
            double sq = 0, max = 0, mean = 0;
            int above = 0;
            for (double x : r) {
                sq += x * x;
                max = Math.max(max, Math.abs(x));
                mean += x;
                if (Math.abs(x) > 1.0) above++;
            }
            System.out.printf(Locale.ROOT, "%s: r_t RMS %.4f meV, max %.3f meV, %d of %d steps above 1 meV, mean %.5f meV%n",
                    args[m], Math.sqrt(sq / r.length), max, above, r.length, mean / r.length);
        }
    }

    /** r_t in meV for each pair of consecutive frames. */
    static double[] residuals(Potential potential, List<Frame> frames) {
        double[] r = new double[frames.size() - 1];
        Potential.Result previous = potential.energyAndForces(frames.get(0).atomicNumbers(), frames.get(0).positions());
        for (int t = 0; t + 1 < frames.size(); t++) {
            Frame a = frames.get(t), b = frames.get(t + 1);
            if (!Arrays.equals(a.atomicNumbers(), b.atomicNumbers())) throw new IllegalArgumentException("frame " + (t + 1) + " has other atoms than frame " + t);
            Potential.Result next = potential.energyAndForces(b.atomicNumbers(), b.positions());
            double work = 0;
            double[] pa = a.positions(), pb = b.positions();
            for (int k = 0; k < pa.length; k++) work += 0.5 * (previous.forces()[k] + next.forces()[k]) * (pb[k] - pa[k]);
            r[t] = 1000.0 * (next.energy() - previous.energy() + work);
            previous = next;
        }
        return r;
    }
}
