package org.gaq.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One trajectory of an ensemble: which start frame, which seed (Maxwell–Boltzmann velocities and, for Langevin,
 * the noise) and which temperature.
 */
public record TrajectorySpec(int id, int startFrame, long seed, double temperatureK) implements Serializable {

    /**
     * {@code count} trajectories: trajectory i starts from {@code startFrames[i mod #frames]} at
     * {@code temperatures[(i / #frames) mod #temperatures]} (so the first trajectories cover every start frame at the
     * first temperature, then the next temperature) with seed {@code firstSeed + i}.
     */
    public static List<TrajectorySpec> grid(int count, int[] startFrames, double[] temperatures, long firstSeed) {
        if (count < 1) throw new IllegalArgumentException("--trajectories must be ≥ 1, got " + count);
        if (startFrames.length == 0 || temperatures.length == 0) throw new IllegalArgumentException("give at least one start frame and one temperature");
        for (double t : temperatures) if (!(t > 0)) throw new IllegalArgumentException("temperatures must be > 0 K, got " + t);
        List<TrajectorySpec> specs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            specs.add(new TrajectorySpec(i, startFrames[i % startFrames.length],
                    firstSeed + i, temperatures[(i / startFrames.length) % temperatures.length]));
        }
        return specs;
    }
}
