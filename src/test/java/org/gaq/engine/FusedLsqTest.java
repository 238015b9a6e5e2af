package org.gaq.engine;

import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.ActivationSites;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.ModelFiles;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Integer execution with the fused LSQ quantizer ({@link IntegerSites#scalar}) gives bitwise the energies,
 * forces and training gradients of the same integer layers with the activation plan's composed LSQ ops.
 */
class FusedLsqTest {

    /** The integer model's sites, but every scalar site through the plan's composed fake-quantizer ops. */
    private static ActivationSites composed(IntegerSites sites) {
        return new ActivationSites() {
            @Override
            public Tensor scalar(String site, Tensor x) {
                return sites.activations().scalar(site, x);
            }

            @Override
            public Tensor vector(String site, Tensor v) {
                return sites.vector(site, v);
            }

            @Override
            public Tensor project(String weightName, int third, Tensor x) {
                return sites.project(weightName, third, x);
            }
        };
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 4})
    void fusedScalarSitesAreBitwiseTheComposedOps(int bits, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.int.safetensors");
        IntegerModelFile.export(IntegerModelTest.quantized(bits), file);
        EquivariantTransformer model = ModelFiles.load(file);
        IntegerSites fused = (IntegerSites) model.sites();
        GraphBatch g = NeighborList.batch(IntegerModelTest.molecules(5, 3), IntegerModelTest.SMALL.cutoff());

        var a = model.predict(g, false);
        model.setSites(composed(fused));
        var b = model.predict(g, false);
        assertArrayEquals(b.interaction().data(), a.interaction().data());
        assertArrayEquals(b.forces().data(), a.forces().data());

        // createGraph: the fused backward is written in tensor ops; a loss on the forces differentiates it again
        Tensor[] gradComposed = forceLossGradient(model, g);
        model.setSites(fused);
        Tensor[] gradFused = forceLossGradient(model, g);
        assertEquals(gradComposed.length, gradFused.length);
        for (int i = 0; i < gradFused.length; i++) assertArrayEquals(gradComposed[i].data(), gradFused[i].data(), "parameter " + i);
    }

    private static Tensor[] forceLossGradient(EquivariantTransformer model, GraphBatch g) {
        var p = model.predict(g, true);
        Tensor loss = p.forces().square().sum();
        Tensor[] params = model.parameters().values().toArray(new Tensor[0]);
        return org.gaq.tensor.Autograd.grad(loss, params, false);
    }
}
