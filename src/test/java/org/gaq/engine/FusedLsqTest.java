package org.gaq.engine;

import org.gaq.modelfile.ModelFile;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.ActivationSites;
import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Integer execution with the fused LSQ and MDDQ quantizers ({@link IntegerSites#scalar}, {@link IntegerSites#vector})
 * gives bitwise the energies,
 * forces and training gradients of the same integer layers with the activation plan's composed quantizer ops.
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
                return sites.activations().vector(site, v);
            }

            @Override
            public Tensor project(String weightName, int third, Tensor x) {
                return sites.project(weightName, third, x);
            }
        };
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"8,''", "4,''", "8,per-channel", "8,identity", "4,per-channel-identity"})
    void fusedScalarSitesAreBitwiseTheComposedOps(int bits, String variant, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.int.safetensors");
        IntegerModelFile.export(IntegerModelTest.quantized(bits, variant), file);
        EquivariantTransformer model = ModelFile.load(file);
        IntegerSites fused = (IntegerSites) model.sites();
        GraphBatch g = NeighborList.batch(IntegerModelTest.molecules(5, 3), IntegerModelTest.SMALL.cutoff());

        var a = model.predict(g, false);
        model.setSites(composed(fused));
        var b = model.predict(g, false);
        assertArrayEquals(b.interaction().data(), a.interaction().data());
        assertArrayEquals(b.forces().data(), a.forces().data());

        // createGraph: the fused backwards fall back to tensor ops (LSQ: its rules; MDDQ: the composed ops, differentiated
        // in a nested pass, which sums the second-order terms in another order), so equal up to float rounding
        Tensor[] gradComposed = forceLossGradient(model, g);
        model.setSites(fused);
        Tensor[] gradFused = forceLossGradient(model, g);
        assertEquals(gradComposed.length, gradFused.length);
        for (int i = 0; i < gradFused.length; i++) {
            float[] e = gradComposed[i].data(), a2 = gradFused[i].data();
            double max = 0;
            for (float v : e) max = Math.max(max, Math.abs(v));
            for (int j = 0; j < e.length; j++) assertEquals(e[j], a2[j], 1e-5 * max + 1e-12, "parameter " + i + " [" + j + "]");
        }
    }

    private static Tensor[] forceLossGradient(EquivariantTransformer model, GraphBatch g) {
        var p = model.predict(g, true);
        Tensor loss = p.forces().square().sum();
        Tensor[] params = model.parameters().values().toArray(new Tensor[0]);
        return org.gaq.tensor.Autograd.grad(loss, params, false);
    }
}
