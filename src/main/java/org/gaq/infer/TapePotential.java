package org.gaq.infer;

import org.gaq.modelfile.ModelFile;
import org.gaq.data.GraphBatch;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.quant.ModelFiles;

/** The model on the autodiff tape ({@link EquivariantTransformer#predict}), positions rounded to float. */
public final class TapePotential implements Potential {
    private final EquivariantTransformer model;

    public TapePotential(EquivariantTransformer model) {
        this.model = model;
    }

    @Override
    public ModelConfig config() {
        return model.config();
    }

    @Override
    public String description() {
        return ModelFile.describePrecision(model) + ", tape engine";
    }

    @Override
    public Engine engine() {
        return Engine.TAPE;
    }

    @Override
    public Prediction compute(GraphBatch g, boolean withForces) {
        if (!withForces) return new Prediction(model.predictEnergies(g), null);
        var p = model.predict(g, false);
        return new Prediction(p.energies(), p.forces().data());
    }

    @Override
    public Prediction compute(GraphBatch g, double[] positions, boolean withForces) {
        return compute(g, withForces);
    }
}
