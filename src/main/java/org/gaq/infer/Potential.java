package org.gaq.infer;

import org.gaq.modelfile.ModelFile;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.quant.ModelFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.io.PrintStream;

/**
 * Energies and forces of a gaq model: the public entry point for JVM code ({@link #load}, {@link #energyAndForces}),
 * and what evaluation, MD, the i-PI driver and the benchmarks call, whichever engine computes them. {@link #of} picks
 * the compiled engine ({@link CompiledModel}) unless the model has sites only
 * the tape can run, or the tape is asked for ({@link Engine#TAPE}, to time both side by side).
 * Implementations are safe to call from several threads at once.
 */
public sealed interface Potential permits CompiledPotential, TapePotential {

    ModelConfig config();

    /** The engine actually used and the model's precision, for logs and tables. */
    String description();

    Engine engine();

    /** Energies (eV, one per molecule) and, with {@code withForces}, forces (eV/Å, [N, 3]) of the batch. */
    Prediction compute(GraphBatch g, boolean withForces);

    /** As {@link #compute(GraphBatch, boolean)} with the positions [3N] in double (exact edge vectors on the compiled engine). */
    Prediction compute(GraphBatch g, double[] positions, boolean withForces);

    /** @param forces null when not asked for */
    record Prediction(double[] energies, float[] forces) {}

    /**
     * Energy and forces of one molecule.
     *
     * @param energy eV
     * @param forces eV/Å, [3N] as x0 y0 z0 x1 …
     */
    record Result(double energy, double[] forces) {}

    /**
     * Loads any gaq model file — FP32, fake-quantized ({@code gaq qat}/{@code gaq ptq}) or integer
     * ({@code gaq export}) — onto the compiled engine (the tape for the few sites only it runs).
     */
    static Potential load(Path file) throws IOException {
        return of(ModelFile.load(file));
    }

    /**
     * Energy and forces of one molecule: atomic numbers Z and positions (Å, [3N] as x0 y0 z0 x1 …). Neighbours
     * are all pairs closer than the model's cutoff; no periodic cell.
     */
    default Result energyAndForces(int[] atomicNumbers, double[] positions) {
        GraphBatch g = NeighborList.batch(List.of(Frame.unlabeled(atomicNumbers, positions)), config().cutoff());
        Prediction p = compute(g, positions, true);
        double[] forces = new double[p.forces().length];
        for (int i = 0; i < forces.length; i++) forces[i] = p.forces()[i];
        return new Result(p.energies()[0], forces);
    }

    /** Energies and forces of several molecules, evaluated together as one batch. */
    default List<Result> energyAndForces(List<Frame> molecules) {
        GraphBatch g = NeighborList.batch(molecules, config().cutoff());
        Prediction p = compute(g, true);
        List<Result> results = new ArrayList<>(molecules.size());
        for (int m = 0; m < molecules.size(); m++) {
            int first = g.atomOffsets()[m], atoms = g.atomsIn(m);
            double[] forces = new double[3 * atoms];
            for (int i = 0; i < forces.length; i++) forces[i] = p.forces()[3 * first + i];
            results.add(new Result(p.energies()[m], forces));
        }
        return results;
    }

    /** Which engine computes energies and forces. */
    enum Engine {
        /** The compiled engine where the model's sites allow it, else the tape (say so on stderr). */
        AUTO,
        /** The compiled engine; a model it cannot run is an error. */
        COMPILED,
        /** The autodiff tape of training: the reference, and the path for sites only it runs. */
        TAPE
    }

    /**
     * The model on {@code engine}. With {@link Engine#AUTO} a model the compiled engine cannot run (e.g.
     * Degree-Quant's protective masking) runs on the tape, and {@code notes} (may be null) hears why.
     */
    static Potential of(EquivariantTransformer model, Engine engine, PrintStream notes) {
        if (engine == Engine.TAPE) return new TapePotential(model);
        try {
            return new CompiledPotential(ModelCompiler.compile(model));
        } catch (UnsupportedOperationException e) {
            if (engine == Engine.COMPILED) throw new IllegalArgumentException("the compiled engine cannot run this model: " + e.getMessage()
                    + " (use --engine tape)");
            if (notes != null) notes.println("note: running on the tape engine: " + e.getMessage());
            return new TapePotential(model);
        }
    }

    /** The model on the compiled engine where possible (see {@link #of}), notes to stderr. */
    static Potential of(EquivariantTransformer model) {
        return of(model, Engine.AUTO, System.err);
    }
}
