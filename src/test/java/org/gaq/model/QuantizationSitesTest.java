package org.gaq.model;

import org.gaq.data.Frame;
import org.gaq.data.NeighborList;
import org.gaq.model.QuantizationSites.Activation;
import org.gaq.model.QuantizationSites.Weight;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The site table is the model's: the forward pass reaches exactly its sites and weights, under its names. */
class QuantizationSitesTest {
    private static final ModelConfig CONFIG = new ModelConfig(16, 3, 4, 8, 5.0, true, 18);

    /** Sites that record every name the model passes them. */
    private static final class Recording implements ActivationSites {
        final List<String> activations = new ArrayList<>();
        final Set<String> weights = new LinkedHashSet<>();

        @Override public Tensor scalar(String site, Tensor x) { activations.add(site); return x; }
        @Override public Tensor vector(String site, Tensor v) { activations.add(site); return v; }
        @Override public Tensor weight(String name, Tensor w) { weights.add(name); return w; }
    }

    @Test
    void theForwardPassReachesTheTablesSitesInOrderAndItsWeights() {
        EquivariantTransformer model = new EquivariantTransformer(CONFIG, 1);
        Recording sites = new Recording();
        model.setSites(sites);
        Frame water = new Frame(new int[]{8, 1, 1}, new double[]{0, 0, 0, 0.96, 0, 0, -0.24, 0.93, 0}, 0, null);
        model.predict(NeighborList.batch(List.of(water), CONFIG.cutoff()), true);

        List<String> expected = new ArrayList<>();
        Set<String> expectedWeights = new LinkedHashSet<>();
        for (int l = 0; l < CONFIG.layers(); l++) {
            for (Activation a : Activation.values()) {
                if (!(l == 0 && a == Activation.VECTOR_IN)) expected.add(a.in(l));     // v = 0 entering layer 0
            }
            for (Weight w : Weight.values()) {
                if (!(l == 0 && w == Weight.VECTOR_MIX)) expectedWeights.add(w.in(l));
                assertTrue(model.parameters().containsKey(w.in(l)), w.in(l) + " is a parameter");
                assertTrue(QuantizationSites.isQuantizedWeight(w.in(l)));
            }
        }
        assertEquals(expected, sites.activations);
        assertEquals(expectedWeights, sites.weights);
        for (String name : model.parameters().keySet()) {
            if (!expectedWeights.contains(name) && !name.startsWith("layers.0.vector_mix")) {
                assertFalse(QuantizationSites.isQuantizedWeight(name), name + " is not in the table and not quantized");
            }
        }
    }

    @Test
    void namesParseBackToTheirLayerAndKind() {
        var w = QuantizationSites.weight("layers.12.radial_filter.weight").orElseThrow();
        assertEquals(12, w.layer());
        assertEquals(Weight.RADIAL_FILTER, w.what());
        assertEquals(Activation.RBF_IN, w.what().input());
        assertEquals(QuantizationSites.Rows.EDGES, QuantizationSites.activation("layers.2.rbf_in").orElseThrow().what().rows());
        assertTrue(QuantizationSites.weight("head.hidden.weight").isEmpty());
        assertTrue(QuantizationSites.weight("layers.x.query.weight").isEmpty());
        assertTrue(QuantizationSites.activation("layers.1.scalar_out").isEmpty());
        assertTrue(Activation.SCALAR_IN.feedsAWeight());
        assertTrue(Activation.SCALAR_MESSAGE.feedsAWeight());
        assertFalse(Activation.ATTENTION_QUERY.feedsAWeight());
        assertFalse(Activation.VECTOR_IN.feedsAWeight(), "the vector mix reads vectors: no per-channel steps fold into it");
        assertEquals("layers.1.scalar_in", QuantizationPlan.scalarInputSite("layers.1.value.weight"));
        assertNull(QuantizationPlan.scalarInputSite("layers.1.vector_mix.weight"));
    }

    @Test
    void aSpecRefusesSitesTheModelDoesNotHave() {
        var e = assertThrows(IllegalArgumentException.class, () -> QuantizationSpec.w8a8().withFullPrecisionSites(List.of("rbf")));
        assertTrue(e.getMessage().contains("rbf_in"), e.getMessage());
        assertEquals(List.of("rbf_in", "layers.0.scalar_in"),
                QuantizationSpec.w8a8().withFullPrecisionSites(List.of("rbf_in", "layers.0.scalar_in")).fullPrecisionSites());
    }
}
