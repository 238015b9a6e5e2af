package org.gaq.md;

import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.data.Elements;
import org.gaq.infer.Potential;

import java.util.List;

/**
 * A gaq model (FP32 or quantized, on either engine) as a {@link ForceField}: one molecule, neighbour list rebuilt
 * every call, positions passed on in double (the compiled engine takes exact differences of them).
 */
public final class ModelForceField implements ForceField {
    private final Potential model;
    private final int[] atomicNumbers;

    public ModelForceField(Potential model, int[] atomicNumbers) {
        if (atomicNumbers.length == 0) throw new IllegalArgumentException("the structure has no atoms");
        int maxZ = model.config().maxAtomicNumber();
        for (int i = 0; i < atomicNumbers.length; i++) {
            int z = atomicNumbers[i];
            if (z < 1 || z > maxZ) {
                throw new IllegalArgumentException("atom " + i + " is " + (Elements.isKnown(z) ? Elements.symbol(z) + " (Z = " + z + ")" : "Z = " + z)
                        + ", which the model does not know (it covers atomic numbers 1.." + maxZ + ")");
            }
        }
        this.model = model;
        this.atomicNumbers = atomicNumbers.clone();
    }

    @Override
    public double cutoff() {
        return model.config().cutoff();
    }

    @Override
    public Evaluation evaluate(double[] positions) {
        if (positions.length != 3 * atomicNumbers.length) {
            throw new IllegalArgumentException("expected " + 3 * atomicNumbers.length + " coordinates, got " + positions.length);
        }
        GraphBatch g = NeighborList.batch(List.of(Frame.unlabeled(atomicNumbers, positions)), model.config().cutoff());
        var p = model.compute(g, positions, true);
        float[] f = p.forces();
        double[] forces = new double[f.length];
        for (int i = 0; i < f.length; i++) forces[i] = f[i];
        return new Evaluation(p.energies()[0], forces);
    }

    /** The model and the engine that computes it. */
    public String describe() {
        return model.description();
    }

    @Override
    public int[] atomicNumbers() {
        return atomicNumbers.clone();
    }
}
