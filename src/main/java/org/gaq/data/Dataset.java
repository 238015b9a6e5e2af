package org.gaq.data;

import java.util.ArrayList;
import java.util.List;

/**
 * A named, immutable list of frames (one file, or one part of a split).
 *
 * @param name   human-readable origin, e.g. "rmd17_ethanol_train_01" or "rmd17_ethanol_train_01[validation]"
 * @param frames the frames, in file order unless stated otherwise
 */
public record Dataset(String name, List<Frame> frames) {

    public Dataset {
        if (name == null) throw new IllegalArgumentException("name is null");
        frames = List.copyOf(frames);
    }

    public int size() { return frames.size(); }

    public Frame frame(int i) { return frames.get(i); }

    /** Frames at the given indices, in the given order; the name is kept. */
    public Dataset subset(int[] indices) {
        return subset(name, indices);
    }

    /** Frames at the given indices, in the given order, under a new name. */
    public Dataset subset(String newName, int[] indices) {
        List<Frame> out = new ArrayList<>(indices.length);
        for (int i : indices) {
            if (i < 0 || i >= frames.size())
                throw new IndexOutOfBoundsException("index " + i + " out of range for " + name
                        + " with " + frames.size() + " frames");
            out.add(frames.get(i));
        }
        return new Dataset(newName, out);
    }

    /** True if every frame has an energy label. */
    public boolean allHaveEnergies() {
        for (Frame f : frames) if (!f.hasEnergy()) return false;
        return true;
    }

    /** True if every frame has forces. */
    public boolean allHaveForces() {
        for (Frame f : frames) if (!f.hasForces()) return false;
        return !frames.isEmpty();
    }

    /** Total number of atoms over all frames (force MAE denominators use 3 × this). */
    public long totalAtoms() {
        long n = 0;
        for (Frame f : frames) n += f.numAtoms();
        return n;
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", " + frames.size() + " frames]";
    }
}
