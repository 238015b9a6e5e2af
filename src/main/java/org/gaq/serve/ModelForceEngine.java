package org.gaq.serve;

import org.gaq.md.ModelForceField;
import org.gaq.infer.Potential;

/**
 * A gaq model as a {@link ForceEngine}: one molecule with fixed elements, new positions each call,
 * evaluated exactly as MD does it ({@link ModelForceField}: a neighbour list within the model's cutoff,
 * then the model's energy and forces on its engine).
 */
public final class ModelForceEngine implements ForceEngine {
    private final ModelForceField forceField;
    private final double cutoff;

    public ModelForceEngine(Potential model, int[] atomicNumbers) {
        this.forceField = new ModelForceField(model, atomicNumbers);
        this.cutoff = model.config().cutoff();
    }

    @Override
    public int numAtoms() {
        return forceField.atomicNumbers().length;
    }

    @Override
    public double cutoff() {
        return cutoff;
    }

    @Override
    public Result compute(double[] positions) {
        ModelForceField.Evaluation e = forceField.evaluate(positions);
        return new Result(e.energy(), e.forces());
    }
}
