package org.gaq.train.compiled;

import org.gaq.data.GraphBatch;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.model.QuantizationSites;
import org.gaq.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training loss and its gradient ∂L/∂θ, computed without the tape (docs/training.md, "The compiled training
 * step"). With F = −∇_R E, the force term's gradient is a second derivative; here it is taken forward-over-reverse:
 * <pre>
 *   ∂L/∂θ = Σ_m a_m ∂E_m/∂θ + ∂/∂θ (t · ∇_R E),   a_m = ∂L/∂E_m,  t = ∂L/∂(∇_R E) = −∂L/∂F
 * </pre>
 * which is the ε-part of the ordinary reverse pass for ∂E/∂θ run in dual numbers x + εẋ, the positions moving along
 * t and the seed 1 + ε a_m. Four passes over the layers ({@link BatchPasses}): forward; reverse for the forces (real
 * adjoints); tangents along t; the ε-parts of the adjoints with the parameter gradients.
 *
 * <p>FP32 models, and fake-quantized models of gaq's recommended recipe (identity straight-through gradient; see
 * {@link #supports}), with the LEE term of quantization-aware training on a rotated copy. Not thread-safe: one
 * instance per worker.
 */
public final class CompiledLossGradient {
    private final EquivariantTransformer model;
    private final ModelConfig config;
    private final List<String> names;
    private final BatchPasses main;
    /**
     * Edges per group: a batch's molecules are taken in groups of about this many edges, each group through all four
     * passes, so that what the passes keep per edge stays in the core's cache (docs/training.md).
     */
    static final int GROUP_EDGES = Integer.getInteger("gaq.trainGroupEdges", 256);
    int groupEdges = GROUP_EDGES;             // tests compare groupings
    private BatchPasses rotated;              // the LEE term's copy, made on first use

    private float[] forces = new float[0], t = new float[0], tRotated = new float[0];

    /**
     * The LEE penalty of quantization-aware training: weight · Σ_atoms ‖F(R·x) − R·F(x)‖ (norm with ε = 10⁻⁶ as
     * {@code Functional.norm}), with {@code rotated} the batch's molecules turned by their rotations and
     * {@code rotations} [N × 9] each atom's rotation R (row-major), as {@code Trainer}'s LEE term; {@code weight} is the
     * whole factor of the sum (the LEE weight in the loss's force units).
     */
    public record Lee(GraphBatch rotated, float[] rotations, float weight) {}

    /** Why this class cannot compute {@code model}'s gradient, or null when it can. */
    public static String unsupported(EquivariantTransformer model) {
        if (model.config().features() % LayerGradient.LANES != 0) {
            return model.config().features() + " features are not a multiple of this CPU's " + LayerGradient.LANES + " float lanes";
        }
        return SiteValues.unsupported(model.sites(), model.config().layers());
    }

    /**
     * Whether this class computes {@code model}'s gradient: an FP32 model or one fake-quantized with the identity
     * straight-through gradient, no protective masking, an FP32 radial basis and no learned weight scales, whose
     * features fill whole float vectors of this CPU.
     */
    public static boolean supports(EquivariantTransformer model) {
        return unsupported(model) == null;
    }

    public CompiledLossGradient(EquivariantTransformer model) {
        String why = unsupported(model);
        if (why != null) throw new UnsupportedOperationException("the compiled training step cannot train this model (" + why + "); it trains on the tape");
        this.model = model;
        this.config = model.config();
        this.names = List.copyOf(model.parameters().keySet());
        this.main = new BatchPasses(config);
    }

    /**
     * The loss w_E Σ_m ((E_m − Ê_m)/σ)² + w_F Σ_c ((F_c − F̂_c)/σ)² of batch {@code g} (σ the model's element
     * scale of hydrogen, as {@code Trainer.loss}), with its gradient added to {@code gradients} (one array per
     * parameter, in the order of {@code model.parameters()}). The batch needs energy and force labels.
     */
    public double lossAndGradient(GraphBatch g, float energyWeight, float forceWeight, float[][] gradients) {
        return lossAndGradient(g, null, energyWeight, forceWeight, gradients);
    }

    /** As {@link #lossAndGradient(GraphBatch, float, float, float[][])}, plus the LEE term when {@code lee} is not null. */
    public double lossAndGradient(GraphBatch g, Lee lee, float energyWeight, float forceWeight, float[][] gradients) {
        if (g.energies() == null || g.forces() == null) throw new IllegalArgumentException("the compiled training step needs energy and force labels");
        if (gradients.length != names.size()) throw new IllegalArgumentException("expected " + names.size() + " gradient arrays, got " + gradients.length);
        int n = g.numAtoms(), m = g.numMolecules();
        if (lee != null && (lee.rotated().numAtoms() != n || lee.rotations().length < 9 * n)) {
            throw new IllegalArgumentException("the LEE term's rotated batch and rotations must match the batch's " + n + " atoms");
        }
        SiteValues sites = new SiteValues(model.sites());
        Map<String, float[]> values = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) {
            String name = e.getKey();
            values.put(name, QuantizationSites.isQuantizedWeight(name) ? sites.weight(name, e.getValue()) : e.getValue().data());
        }
        if (g.numEdges() <= groupEdges || m == 1) return groupLossAndGradient(g, lee, sites, values, energyWeight, forceWeight, gradients);
        // The loss and its gradient are sums over molecules: groups of whole molecules whose passes' buffers stay in cache
        double loss = 0;
        for (int first = 0, last; first < m; first = last) {
            last = g.groupEnd(first, groupEdges);
            GraphBatch group = g.molecules(first, last);
            Lee groupLee = lee == null ? null : new Lee(lee.rotated().molecules(first, last),
                    Arrays.copyOfRange(lee.rotations(), 9 * g.atomOffsets()[first], 9 * g.atomOffsets()[last]), lee.weight());
            loss += groupLossAndGradient(group, groupLee, sites, values, energyWeight, forceWeight, gradients);
        }
        return loss;
    }

    /** The loss of one group of molecules and its gradient, added to {@code gradients}. */
    private double groupLossAndGradient(GraphBatch g, Lee lee, SiteValues sites, Map<String, float[]> values,
                                        float energyWeight, float forceWeight, float[][] gradients) {
        int n = g.numAtoms(), m = g.numMolecules();
        ensure(n);
        float[] scale = model.elementScale();

        // passes 1 and 2 (on the rotated copy too for the LEE term)
        float[] interaction = main.energiesAndGradient(g, values, sites, scale);
        float[] gradE = main.gradient();
        float[] gradRotated = null;
        if (lee != null) {
            if (rotated == null) rotated = new BatchPasses(config);
            rotated.energiesAndGradient(lee.rotated(), values, sites, scale);
            gradRotated = rotated.gradient();
        }

        // the loss, a_m = ∂L/∂E_m and t = ∂L/∂(∇_R E) = −∂L/∂F
        float invSigma = 1f / scale[1];
        double[] shifts = model.energyShifts(g);
        double loss = 0;
        double[] a = new double[m];
        for (int mol = 0; mol < m; mol++) {
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
        if (lee != null) loss += leeTerm(lee, gradRotated, n);

        // passes 3 and 4
        Map<String, float[]> byName = new LinkedHashMap<>();
        for (int p = 0; p < names.size(); p++) byName.put(names.get(p), gradients[p]);
        main.parameterGradient(t, a, scale, byName);
        if (lee != null) rotated.parameterGradient(tRotated, new double[lee.rotated().numMolecules()], scale, byName);
        return loss;
    }

    /** c Σ_i ‖d_i‖ with d_i = F_rot,i − R_i F_i and ‖d‖ = √(d·d + ε²); adds its seeds to t and fills tRotated. */
    private double leeTerm(Lee lee, float[] gradRotated, int n) {
        float c = lee.weight();
        float eps = 1e-6f;
        float[] r = lee.rotations();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float f0 = forces[3 * i], f1 = forces[3 * i + 1], f2 = forces[3 * i + 2];
            float d0 = -gradRotated[3 * i] - (r[9 * i] * f0 + r[9 * i + 1] * f1 + r[9 * i + 2] * f2);
            float d1 = -gradRotated[3 * i + 1] - (r[9 * i + 3] * f0 + r[9 * i + 4] * f1 + r[9 * i + 5] * f2);
            float d2 = -gradRotated[3 * i + 2] - (r[9 * i + 6] * f0 + r[9 * i + 7] * f1 + r[9 * i + 8] * f2);
            float norm = (float) Math.sqrt(d0 * d0 + d1 * d1 + d2 * d2 + eps * eps);
            sum += norm;
            // ∂L/∂F_rot = c d/‖d‖, ∂L/∂F = −c Rᵀ d/‖d‖; t = −∂L/∂F for each copy
            float u0 = c * d0 / norm, u1 = c * d1 / norm, u2 = c * d2 / norm;
            tRotated[3 * i] = -u0;
            tRotated[3 * i + 1] = -u1;
            tRotated[3 * i + 2] = -u2;
            t[3 * i] += r[9 * i] * u0 + r[9 * i + 3] * u1 + r[9 * i + 6] * u2;
            t[3 * i + 1] += r[9 * i + 1] * u0 + r[9 * i + 4] * u1 + r[9 * i + 7] * u2;
            t[3 * i + 2] += r[9 * i + 2] * u0 + r[9 * i + 5] * u1 + r[9 * i + 8] * u2;
        }
        return c * sum;
    }

    private void ensure(int n) {
        if (forces.length < 3 * n) {
            forces = new float[3 * n];
            t = new float[3 * n];
            tRotated = new float[3 * n];
        }
    }
}
