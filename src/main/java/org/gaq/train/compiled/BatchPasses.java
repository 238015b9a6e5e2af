package org.gaq.train.compiled;

import org.gaq.data.GraphBatch;
import org.gaq.model.LocalFrames;
import org.gaq.model.ModelConfig;
import org.gaq.tensor.Tensor;

import java.util.Arrays;
import java.util.Map;

/**
 * The four passes of {@link CompiledLossGradient} over one batch of molecules, with the buffers they keep between
 * {@link #energiesAndGradient} (passes 1 and 2) and {@link #parameterGradient} (passes 3 and 4). The LEE term runs a
 * second instance on the rotated copy of the batch. Not thread-safe.
 */
final class BatchPasses {
    private final ModelConfig config;
    private final EdgeState edges;
    private final LayerGradient[] layers;
    private final HeadGradient head;

    private int atomCapacity = -1, atoms;
    private GraphBatch batch;
    private Map<String, float[]> parametersOf;   // the values the layers were last refreshed from (a new map every step)
    private double[] positions = new double[0];
    private float[] h, v, gH, gV, gradE, gAtomic, eAtomic, interaction = new float[0];

    BatchPasses(ModelConfig config) {
        this.config = config;
        this.edges = new EdgeState(config.cutoff(), config.radialBasis());
        this.layers = new LayerGradient[config.layers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new LayerGradient(l, config.cosineAttention(), config.features(), config.heads(), config.radialBasis());
        }
        this.head = new HeadGradient(config.features());
    }

    /**
     * Passes 1 and 2 on {@code g}: returns the interaction energies E_m − Σ μ_Z (float, per molecule) and keeps
     * ∇_R Σ_m E_m ({@link #gradient}). {@code values}: each parameter's values as the products use them.
     */
    float[] energiesAndGradient(GraphBatch g, Map<String, float[]> values, SiteValues sites, float[] elementScale) {
        int n = g.numAtoms(), f = config.features(), m = g.numMolecules();
        int[] z = g.atomicNumbers(), molecule = g.moleculeOfAtom();
        for (int i = 0; i < n; i++) {
            if (z[i] < 1 || z[i] > config.maxAtomicNumber()) {
                throw new IllegalArgumentException("atomic number " + z[i] + " is outside the model's elements 1.." + config.maxAtomicNumber());
            }
        }
        ensure(n, g.numEdges(), m);
        this.batch = g;
        this.atoms = n;
        if (values != parametersOf) {    // once per step: the groups of a batch share the parameters (and their transposes)
            for (int l = 0; l < layers.length; l++) layers[l].refresh(LayerParameters.of(l, values));
            head.refresh(HeadGradient.Parameters.of(values));
            parametersOf = values;
        }
        float[] embedding = values.get("embedding");

        // 1. forward
        for (int k = 0; k < 3 * n; k++) positions[k] = g.positions()[k];
        edges.forward(positions, g.center(), g.neighbor(), n);
        LocalFrames frames = sites.fp32() ? null : new LocalFrames(n, g.center(), Tensor.of(Arrays.copyOf(edges.unit, 3 * edges.edges), edges.edges, 3),
                Tensor.of(Arrays.copyOf(edges.distance, edges.edges), edges.edges, 1), Tensor.of(Arrays.copyOf(edges.cutoff, edges.edges), edges.edges, 1));
        for (int i = 0; i < n; i++) System.arraycopy(embedding, z[i] * f, h, i * f, f);
        Arrays.fill(v, 0, n * 3 * f, 0f);
        for (LayerGradient layer : layers) layer.forward(edges, h, v, n, sites, frames);
        float[] atomic = head.forward(h, n);
        Arrays.fill(interaction, 0, m, 0f);
        for (int i = 0; i < n; i++) interaction[molecule[i]] += atomic[i] * elementScale[z[i]];

        // 2. reverse: ∇_R Σ_m E_m
        for (int i = 0; i < n; i++) gAtomic[i] = elementScale[z[i]];
        head.reverse(gAtomic, gH, n);
        Arrays.fill(gV, 0, n * 3 * f, 0f);
        for (int l = layers.length - 1; l >= 0; l--) layers[l].reverse(edges, gH, gV, n);
        edges.reverse(gradE, n);
        return interaction;
    }

    /** ∇_R Σ_m E_m [3N] of the last {@link #energiesAndGradient} (the forces are its negative). */
    float[] gradient() {
        return gradE;
    }

    /**
     * Passes 3 and 4: adds Σ_m a_m ∂E_m/∂θ + ∂/∂θ (t · ∇_R E) to {@code gradients} (by parameter name), for the batch
     * of the last {@link #energiesAndGradient}.
     */
    void parameterGradient(float[] t, double[] a, float[] elementScale, Map<String, float[]> gradients) {
        int n = atoms, f = config.features();
        int[] z = batch.atomicNumbers(), molecule = batch.moleculeOfAtom();
        // 3. tangents along t
        edges.tangent(t);
        Arrays.fill(gH, 0, n * f, 0f);          // from here: ḣ
        Arrays.fill(gV, 0, n * 3 * f, 0f);      //            v̇
        for (LayerGradient layer : layers) layer.tangent(edges, gH, gV, n);
        head.tangent(gH, n);

        // 4. ε-parts of the adjoints, seed 1 + ε a_m, and the parameter gradients
        for (int i = 0; i < n; i++) eAtomic[i] = (float) (elementScale[z[i]] * a[molecule[i]]);
        head.epsilonReverse(eAtomic, gAtomic, gH, n, HeadGradient.Parameters.of(gradients));
        Arrays.fill(gV, 0, n * 3 * f, 0f);
        for (int l = layers.length - 1; l >= 0; l--) layers[l].epsilonReverse(edges, gH, gV, n, LayerParameters.of(l, gradients));
        float[] embeddingGrad = gradients.get("embedding");
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < f; c++) embeddingGrad[z[i] * f + c] += gH[i * f + c];
        }
    }

    private void ensure(int n, int e, int m) {
        if (interaction.length < m) interaction = new float[m];
        if (n > atomCapacity) {
            atomCapacity = n;
            int f = config.features();
            positions = new double[3 * n];
            h = new float[n * f]; v = new float[n * 3 * f]; gH = new float[n * f]; gV = new float[n * 3 * f];
            gradE = new float[3 * n]; gAtomic = new float[n]; eAtomic = new float[n];
        }
        for (LayerGradient layer : layers) layer.ensure(n, e);     // the edge state grows in its own forward
        head.ensure(n);
    }
}
