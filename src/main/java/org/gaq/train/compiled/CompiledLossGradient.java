package org.gaq.train.compiled;

import org.gaq.data.GraphBatch;
import org.gaq.model.ActivationSites;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training loss of an FP32 model and its gradient ∂L/∂θ, computed without the tape (docs/training.md, "The
 * compiled training step"). With F = −∇_R E, the force term's gradient is a second derivative; here it is taken
 * forward-over-reverse:
 * <pre>
 *   ∂L/∂θ = Σ_m a_m ∂E_m/∂θ + ∂/∂θ (t · ∇_R E),   a_m = ∂L/∂E_m,  t = ∂L/∂(∇_R E) = −∂L/∂F
 * </pre>
 * which is the ε-part of the ordinary reverse pass for ∂E/∂θ run in dual numbers x + εẋ, the positions moving along
 * t and the seed 1 + ε a_m. Four passes over the layers: forward; reverse for the forces (real adjoints); tangents
 * along t; the ε-parts of the adjoints with the parameter gradients. Not thread-safe: one instance per worker.
 *
 * <p>FP32 models only (no activation sites); a fake-quantized model trains on the tape.
 */
public final class CompiledLossGradient {
    private final EquivariantTransformer model;
    private final ModelConfig config;
    private final List<String> names;
    private final EdgeState edges;
    private final LayerGradient[] layers;
    private final HeadGradient head;

    private int atomCapacity = -1;
    private double[] positions = new double[0];
    private float[] h, v, gH, gV, gradE, t, gAtomic, eAtomic;
    private double[] energies = new double[0];
    private float[] forces = new float[0];

    /** Whether this class computes {@code model}'s gradient: an FP32 model whose features fill whole float vectors of this CPU. */
    public static boolean supports(EquivariantTransformer model) {
        return model.sites() == ActivationSites.FP32 && model.config().features() % LayerGradient.LANES == 0;
    }

    public CompiledLossGradient(EquivariantTransformer model) {
        if (!supports(model)) {
            throw new UnsupportedOperationException("the compiled training step is for FP32 models with a multiple of " + LayerGradient.LANES
                    + " features; this model trains on the tape");
        }
        this.model = model;
        this.config = model.config();
        this.names = List.copyOf(model.parameters().keySet());
        int f = config.features();
        this.edges = new EdgeState(config.cutoff(), config.radialBasis());
        this.layers = new LayerGradient[config.layers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new LayerGradient(l == 0, config.cosineAttention(), f, config.heads(), config.radialBasis());
        }
        this.head = new HeadGradient(f);
    }

    /** Energies (eV, with the element shifts) of the last call's molecules. */
    public double[] energies() {
        return energies;
    }

    /** Forces (eV/Å, [N, 3]) of the last call. */
    public float[] forces() {
        return forces;
    }

    /**
     * The loss w_E Σ_m ((E_m − Ê_m)/σ)² + w_F Σ_c ((F_c − F̂_c)/σ)² of batch {@code g} (σ the model's element
     * scale of hydrogen, as {@code Trainer.loss}), with its gradient added to {@code gradients} (one array per
     * parameter, in the order of {@code model.parameters()}). The batch needs energy and force labels.
     */
    public double lossAndGradient(GraphBatch g, float energyWeight, float forceWeight, float[][] gradients) {
        if (g.energies() == null || g.forces() == null) throw new IllegalArgumentException("the compiled training step needs energy and force labels");
        if (gradients.length != names.size()) throw new IllegalArgumentException("expected " + names.size() + " gradient arrays, got " + gradients.length);
        int n = g.numAtoms(), f = config.features(), m = g.numMolecules();
        int[] z = g.atomicNumbers(), molecule = g.moleculeOfAtom();
        ensure(n, g.numEdges(), m);
        for (int i = 0; i < n; i++) {
            if (z[i] < 1 || z[i] > config.maxAtomicNumber()) {
                throw new IllegalArgumentException("atomic number " + z[i] + " is outside the model's elements 1.." + config.maxAtomicNumber());
            }
        }
        Map<String, float[]> values = LayerParameters.values(model);
        for (int l = 0; l < layers.length; l++) layers[l].refresh(LayerParameters.of(l, values));
        head.refresh(HeadGradient.Parameters.of(values));
        float[] embedding = values.get("embedding");
        float[] scale = model.elementScale(), shift = model.elementShift();

        // 1. forward
        for (int k = 0; k < 3 * n; k++) positions[k] = g.positions()[k];
        edges.forward(positions, g.center(), g.neighbor(), n);
        for (int i = 0; i < n; i++) System.arraycopy(embedding, z[i] * f, h, i * f, f);
        Arrays.fill(v, 0, n * 3 * f, 0f);
        for (LayerGradient layer : layers) layer.forward(edges, h, v, n);
        float[] atomic = head.forward(h, n);
        float[] interaction = new float[m];
        for (int i = 0; i < n; i++) interaction[molecule[i]] += atomic[i] * scale[z[i]];

        // 2. reverse: ∇_R Σ_m E_m
        for (int i = 0; i < n; i++) gAtomic[i] = scale[z[i]];
        head.reverse(gAtomic, gH, n);
        Arrays.fill(gV, 0, n * 3 * f, 0f);
        for (int l = layers.length - 1; l >= 0; l--) layers[l].reverse(edges, gH, gV, n);
        edges.reverse(gradE, n);

        // the loss, a_m = ∂L/∂E_m and t = ∂L/∂(∇_R E)
        float invSigma = 1f / scale[1];
        double[] shifts = model.energyShifts(g);
        double loss = 0;
        double[] a = new double[m];
        for (int mol = 0; mol < m; mol++) {
            energies[mol] = interaction[mol] + shifts[mol];
            float residual = (float) (interaction[mol] - (g.energies()[mol] - shifts[mol])) * invSigma;
            loss += energyWeight * residual * residual;
            a[mol] = 2.0 * energyWeight * residual * invSigma;
        }
        for (int k = 0; k < 3 * n; k++) {
            forces[k] = -gradE[k];
            float residual = (float) (forces[k] - g.forces()[k]) * invSigma;
            loss += forceWeight * residual * residual;
            t[k] = -2f * forceWeight * residual * invSigma;
        }

        // 3. tangents along t
        edges.tangent(t);
        Arrays.fill(gH, 0, n * f, 0f);          // from here: ḣ
        Arrays.fill(gV, 0, n * 3 * f, 0f);      //            v̇
        for (LayerGradient layer : layers) layer.tangent(edges, gH, gV, n);
        head.tangent(gH, n);

        // 4. ε-parts of the adjoints, seed 1 + ε a_m, and the parameter gradients
        Map<String, float[]> byName = new LinkedHashMap<>();
        for (int p = 0; p < names.size(); p++) byName.put(names.get(p), gradients[p]);
        for (int i = 0; i < n; i++) eAtomic[i] = (float) (scale[z[i]] * a[molecule[i]]);
        head.epsilonReverse(eAtomic, gAtomic, gH, n, HeadGradient.Parameters.of(byName));
        Arrays.fill(gV, 0, n * 3 * f, 0f);
        for (int l = layers.length - 1; l >= 0; l--) layers[l].epsilonReverse(edges, gH, gV, n, LayerParameters.of(l, byName));
        float[] embeddingGrad = byName.get("embedding");
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < f; c++) embeddingGrad[z[i] * f + c] += gH[i * f + c];
        }
        return loss;
    }

    private void ensure(int n, int e, int m) {
        if (energies.length < m) energies = new double[m];
        if (n > atomCapacity) {
            atomCapacity = n;
            int f = config.features();
            positions = new double[3 * n];
            h = new float[n * f]; v = new float[n * 3 * f]; gH = new float[n * f]; gV = new float[n * 3 * f];
            gradE = new float[3 * n]; t = new float[3 * n]; gAtomic = new float[n]; eAtomic = new float[n];
            forces = new float[3 * n];
        }
        edges.ensure(n, e);
        for (LayerGradient layer : layers) layer.ensure(n, e);
        head.ensure(n);
    }
}
