package org.gaq.serve;

import org.gaq.data.Elements;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.EquivariantTransformer;

import java.util.List;

/**
 * A gaq model as a {@link ForceEngine}: one molecule with fixed elements, new positions each call.
 * Evaluation is exactly what {@code gaq eval} and MD do: a neighbour list within the model's cutoff,
 * then {@link EquivariantTransformer#predict} without the second-order graph.
 */
public final class ModelForceEngine implements ForceEngine {
    private final EquivariantTransformer model;
    private final int[] atomicNumbers;

    public ModelForceEngine(EquivariantTransformer model, int[] atomicNumbers) {
        if (atomicNumbers.length == 0) throw new IllegalArgumentException("the structure has no atoms");
        int maxZ = model.config().maxAtomicNumber();
        for (int i = 0; i < atomicNumbers.length; i++) {
            if (atomicNumbers[i] < 1 || atomicNumbers[i] > maxZ)
                throw new IllegalArgumentException("atom " + i + " is " + describe(atomicNumbers[i])
                        + ", which the model does not know (it covers atomic numbers 1.." + maxZ + ")");
        }
        this.model = model;
        this.atomicNumbers = atomicNumbers.clone();
    }

    @Override
    public int numAtoms() {
        return atomicNumbers.length;
    }

    @Override
    public double cutoff() {
        return model.config().cutoff();
    }

    @Override
    public Result compute(double[] positions) {
        Frame frame = Frame.unlabeled(atomicNumbers, positions);
        GraphBatch batch = NeighborList.batch(List.of(frame), model.config().cutoff());
        EquivariantTransformer.Prediction p = model.predict(batch, false);
        float[] f = p.forces().data();
        double[] forces = new double[f.length];
        for (int i = 0; i < f.length; i++) forces[i] = f[i];
        return new Result(p.energies()[0], forces);
    }

    private static String describe(int z) {
        return Elements.isKnown(z) ? Elements.symbol(z) + " (Z = " + z + ")" : "Z = " + z;
    }
}
