package org.gaq.tools;

import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.model.TestMolecules;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PeerBenchTest {
    /** Labels offset from the model's own predictions by known amounts give back those amounts as MAE, across chunks of 50. */
    @Test
    void accuracyIsTheMeanAbsoluteError() {
        EquivariantTransformer model = new EquivariantTransformer(ModelConfig.paper(), 3);
        List<Frame> geometries = TestMolecules.ethanolLike(60, 11);
        GraphBatch g = NeighborList.batch(geometries, model.config().cutoff());
        double[] e = model.predictEnergies(g);
        float[] f = model.predict(g, false).forces().data();
        List<Frame> labelled = new ArrayList<>();
        for (int k = 0; k < geometries.size(); k++) {
            Frame fr = geometries.get(k);
            double[] forces = new double[fr.positions().length];
            for (int c = 0; c < forces.length; c++) forces[c] = f[forces.length * k + c] + (c % 2 == 0 ? 0.001 : -0.001);
            labelled.add(new Frame(fr.atomicNumbers(), fr.positions(), e[k] + (k % 2 == 0 ? 0.002 : -0.002), forces));
        }
        double[] mae = PeerBench.accuracy(model, labelled);
        assertEquals(2.0, mae[0], 1e-3);   // meV
        assertEquals(1.0, mae[1], 1e-3);   // meV/Å
        assertEquals(60, mae[2]);
    }

    @Test
    void everyModelGetsEnergyAndForceJobsOnThreeWorkloads() {
        EquivariantTransformer model = new EquivariantTransformer(ModelConfig.paper(), 5);
        Dataset molecules = new Dataset("ethanol-like", TestMolecules.ethanolLike(64, 2));
        List<PeerBench.Job> jobs = PeerBench.jobs(List.of(Path.of("a/m-fp32.safetensors"), Path.of("m2.int.safetensors")),
                List.of(model, model), molecules, molecules);
        assertEquals(12, jobs.size());
        assertEquals("m-fp32", jobs.get(0).model());
        assertEquals("m2.int", jobs.get(1).model());
        assertEquals(64, jobs.get(11).molecules());
        assertEquals("E+F", jobs.get(11).kind());
        for (PeerBench.Job j : jobs) j.body().run();
    }
}
