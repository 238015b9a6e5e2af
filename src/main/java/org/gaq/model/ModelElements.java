package org.gaq.model;

import org.gaq.data.Dataset;
import org.gaq.data.Elements;

import java.io.PrintWriter;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which elements a model can speak for. Its embedding table covers atomic numbers 1..maxAtomicNumber; beyond that
 * it has nothing to say (an error). Inside the table, an element it never saw in training has the untouched
 * energy shift μ_Z = 0 (the least-squares fit leaves elements without data at zero) and an untrained
 * embedding: its energies are off by its whole atomic energy (10⁵ meV for N), so commands warn.
 */
public final class ModelElements {
    private ModelElements() {}

    /** Throws naming the frame, atom and element if {@code data} has an element outside the model's table. */
    public static void requireKnown(EquivariantTransformer model, Dataset data) {
        int maxZ = model.config().maxAtomicNumber();
        for (int f = 0; f < data.size(); f++) {
            int[] z = data.frame(f).atomicNumbers();
            for (int i = 0; i < z.length; i++) {
                if (z[i] < 1 || z[i] > maxZ) {
                    throw new IllegalArgumentException(data.name() + " frame " + f + ", atom " + i + ": " + describe(z[i])
                            + " is outside the model's elements (atomic numbers 1.." + maxZ + "); it cannot be evaluated with this model");
                }
            }
        }
    }

    /** The elements among {@code atomicNumbers} that the model's training data had none of (energy shift exactly 0). */
    public static Set<Integer> unseen(EquivariantTransformer model, int[] atomicNumbers) {
        Set<Integer> out = new TreeSet<>();
        for (int z : atomicNumbers) {
            if (z >= 1 && z < model.elementShift().length && model.elementShift()[z] == 0f) out.add(z);
        }
        return out;
    }

    /** Writes one warning line to {@code err} for each element of {@code data} the model never saw in training. */
    public static void warnUnseen(EquivariantTransformer model, Dataset data, PrintWriter err) {
        Set<Integer> all = new TreeSet<>();
        for (var f : data.frames()) all.addAll(unseen(model, f.atomicNumbers()));
        warn(all, err);
    }

    /** {@link #warnUnseen} for one structure's atoms. */
    public static void warnUnseen(EquivariantTransformer model, int[] atomicNumbers, PrintWriter err) {
        warn(unseen(model, atomicNumbers), err);
    }

    private static void warn(Set<Integer> unseen, PrintWriter err) {
        for (int z : unseen) {
            err.println("warning: the model never saw " + describe(z) + " in training (its energy shift is 0): energies "
                    + "and forces of structures with " + Elements.symbol(z) + " are not meaningful");
        }
        err.flush();
    }

    private static String describe(int z) {
        return Elements.isKnown(z) ? Elements.symbol(z) + " (Z = " + z + ")" : "Z = " + z;
    }
}
