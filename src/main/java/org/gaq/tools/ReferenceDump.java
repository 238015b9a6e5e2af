package org.gaq.tools;

import org.gaq.train.Trainer;
import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.data.Rmd17Reader;
import org.gaq.io.SafeTensors;
import org.gaq.io.TensorEntry;
import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.Autograd;
import org.gaq.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Dumps what the model computes on one batch, for the PyTorch cross-check in tools/torch-reference.
 *
 * <pre>
 *   ReferenceDump MODEL.safetensors NPZ FIRST COUNT OUT.safetensors [W_E W_F]
 * </pre>
 *
 * Reads frames FIRST..FIRST+COUNT−1 of the rMD17 npz, builds one batch, and writes to OUT:
 * {@code energies} [M] (eV), {@code forces} [N,3] (eV/Å), {@code loss} [1] (the training loss of
 * Trainer.lossAndGradients with w_E = 0.01, w_F = 0.99 unless W_E W_F are given) and {@code grad.<name>} for every parameter.
 * Also {@code positions}, {@code atomic_numbers}, {@code center}, {@code neighbor} (the graph as built here).
 */
public final class ReferenceDump {
    public static final float ENERGY_WEIGHT = 0.01f;
    public static final float FORCE_WEIGHT = 0.99f;

    private ReferenceDump() {}

    /** Loss and parameter gradients, exactly as Trainer.lossAndGradients (one worker, the whole batch). */
    public record Result(double[] energies, Tensor forces, float loss, Tensor[] grads) {}

    public static Result lossAndGradients(EquivariantTransformer model, List<Frame> frames, float energyWeight,
                                          float forceWeight) {
        GraphBatch g = NeighborList.batch(frames, model.config().cutoff());
        return lossAndGradients(model, g, energyWeight, forceWeight);
    }

    public static Result lossAndGradients(EquivariantTransformer model, GraphBatch g, float energyWeight,
                                          float forceWeight) {
        // Trainer.step: energyNorm = 1/B, forceNorm = 1/(3·atoms)
        float energyNorm = 1f / g.numMolecules(), forceNorm = 1f / (3f * g.numAtoms());
        var pred = model.predict(g, true);
        Tensor loss = Trainer.loss(model, g, pred, energyWeight * energyNorm, forceWeight * forceNorm);
        Tensor[] params = model.parameters().values().toArray(new Tensor[0]);
        Tensor[] grads = Autograd.grad(loss, params, false);
        return new Result(pred.energies(), pred.forces(), loss.item(), grads);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5 && args.length != 7) {
            System.err.println("usage: ReferenceDump MODEL.safetensors NPZ FIRST COUNT OUT.safetensors [W_E W_F]");
            System.exit(2);
        }
        EquivariantTransformer model = Checkpoint.loadModel(Path.of(args[0]));
        Dataset data = Rmd17Reader.read(Path.of(args[1]));
        int first = Integer.parseInt(args[2]), count = Integer.parseInt(args[3]);
        List<Frame> frames = new ArrayList<>(data.frames().subList(first, first + count));
        GraphBatch g = NeighborList.batch(frames, model.config().cutoff());
        float wE = args.length == 7 ? Float.parseFloat(args[5]) : ENERGY_WEIGHT;
        float wF = args.length == 7 ? Float.parseFloat(args[6]) : FORCE_WEIGHT;
        Result r = lossAndGradients(model, g, wE, wF);

        List<TensorEntry> out = new ArrayList<>();
        out.add(TensorEntry.ofDoubles("energies", r.energies(), g.numMolecules()));
        out.add(TensorEntry.ofFloats("forces", r.forces().toArray(), g.numAtoms(), 3));
        out.add(TensorEntry.ofFloats("loss", new float[]{r.loss()}, 1));
        out.add(TensorEntry.ofFloats("positions", g.positions(), g.numAtoms(), 3));
        out.add(TensorEntry.ofInts("atomic_numbers", g.atomicNumbers(), g.numAtoms()));
        out.add(TensorEntry.ofInts("center", g.center(), g.numEdges()));
        out.add(TensorEntry.ofInts("neighbor", g.neighbor(), g.numEdges()));
        int p = 0;
        for (var e : model.parameters().entrySet()) {
            int[] shape = e.getValue().shape();
            long[] s = new long[shape.length];
            for (int i = 0; i < shape.length; i++) s[i] = shape[i];
            out.add(TensorEntry.ofFloats("grad." + e.getKey(), r.grads()[p++].toArray(), s));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", args[0]);
        meta.put("data", args[1]);
        meta.put("first", String.valueOf(first));
        meta.put("count", String.valueOf(count));
        meta.put("energy_weight", String.valueOf(wE));
        meta.put("force_weight", String.valueOf(wF));
        SafeTensors.write(Path.of(args[4]), meta, out);
        System.out.printf("wrote %s: %d molecules, %d atoms, %d edges, loss %.6g%n", args[4], g.numMolecules(),
                g.numAtoms(), g.numEdges(), r.loss());
    }
}
