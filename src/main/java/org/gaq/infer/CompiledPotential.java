package org.gaq.infer;

import org.gaq.data.GraphBatch;
import org.gaq.model.ModelConfig;

import java.util.Arrays;

/** A {@link CompiledModel} with one {@link Workspace} per calling thread. */
public final class CompiledPotential implements Potential {
    private final CompiledModel model;
    private final ThreadLocal<Workspace> workspaces;

    public CompiledPotential(CompiledModel model) {
        this.model = model;
        this.workspaces = ThreadLocal.withInitial(model::newWorkspace);
    }

    public CompiledModel model() {
        return model;
    }

    @Override
    public ModelConfig config() {
        return model.config();
    }

    @Override
    public String description() {
        return model.precision() + ", compiled engine";
    }

    @Override
    public Engine engine() {
        return Engine.COMPILED;
    }

    @Override
    public Prediction compute(GraphBatch g, boolean withForces) {
        return compute(g, null, withForces);
    }

    @Override
    public Prediction compute(GraphBatch g, double[] positions, boolean withForces) {
        Workspace ws = workspaces.get();
        model.evaluate(g, positions, ws, withForces);
        double[] energies = Arrays.copyOf(ws.energies(), g.numMolecules());
        float[] forces = withForces ? Arrays.copyOf(ws.forces(), 3 * g.numAtoms()) : null;
        return new Prediction(energies, forces);
    }
}
