package org.gaq.model;

import org.gaq.data.GraphBatch;
import org.gaq.model.QuantizationSites.Weight;
import org.gaq.tensor.Autograd;
import org.gaq.tensor.Functional;
import org.gaq.tensor.GradMode;
import org.gaq.tensor.Tensor;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.Arrays;

import static org.gaq.model.QuantizationSites.Activation.ATTENTION_KEY;
import static org.gaq.model.QuantizationSites.Activation.ATTENTION_QUERY;
import static org.gaq.model.QuantizationSites.Activation.RBF_IN;
import static org.gaq.model.QuantizationSites.Activation.SCALAR_IN;
import static org.gaq.model.QuantizationSites.Activation.SCALAR_MESSAGE;
import static org.gaq.model.QuantizationSites.Activation.VECTOR_IN;
import static org.gaq.model.QuantizationSites.Activation.VECTOR_MESSAGE;

/**
 * The So3krates-style equivariant transformer of the design notes §3; every equation is written
 * out in docs/model.md next to the line that implements it.
 *
 * <p>Each atom carries scalars h ∈ R^F and vectors v ∈ R^{3×F} (stored [N, 3, F]). Scalars and
 * vectors meet only through attention weights, norms and dot products, so energies are invariant
 * and forces F = −∂E/∂R are equivariant by construction.
 */
public final class EquivariantTransformer {
    /**
     * ε of the cutoff-weighted softmax α_ij = φ_ij e^{l_ij} / (ε + Σ_k φ_ik e^{l_ik}). With ε = 1 (a
     * "sink" of logit 0) an atom whose only neighbour drifts to the cutoff sees α → 0 in proportion
     * to φ, so the energy stays smooth; a tiny ε would keep α ≈ 1 until φ ≈ ε and then drop it
     * abruptly (a near-discontinuity the cutoff test catches).
     */
    public static final float ATTENTION_SINK = 1f;

    /** ε of every LayerNorm: (x − mean) / sqrt(var + ε). */
    public static final float LAYER_NORM_EPS = 1e-5f;

    /** ε of the per-head norms of the L2-normalised attention: ‖q‖ = sqrt(Σ q² + ε²). */
    public static final float ATTENTION_NORM_EPS = 1e-6f;

    private final ModelConfig config;
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    /** Per-element energy shift μ_Z and scale σ_Z (eV), fitted on the training set; index = Z. */
    private final float[] elementShift;
    private final float[] elementScale;
    private ActivationSites sites = ActivationSites.FP32;

    public EquivariantTransformer(ModelConfig config, long seed) {
        this.config = config;
        this.elementShift = new float[config.maxAtomicNumber() + 1];
        this.elementScale = new float[config.maxAtomicNumber() + 1];
        Arrays.fill(elementScale, 1f);
        SplittableRandom rng = new SplittableRandom(seed);
        int f = config.features(), k = config.radialBasis(), h = config.heads();
        param("embedding", Tensor.randn(rng, 1f, config.maxAtomicNumber() + 1, f));
        for (int l = 0; l < config.layers(); l++) {
            String p = "layers." + l + ".";
            param(p + "norm.gamma", Tensor.ones(f));
            param(p + "norm.beta", Tensor.zeros(f));
            param(Weight.QUERY.in(l), lecun(rng, f, f));
            param(Weight.KEY.in(l), lecun(rng, f, f));
            param(Weight.VALUE.in(l), lecun(rng, f, 3 * f));
            param(p + "value.bias", Tensor.zeros(3 * f));
            param(Weight.VECTOR_MIX.in(l), lecun(rng, f, 3 * f));
            param(Weight.RADIAL_FILTER.in(l), lecun(rng, k, 3 * f));
            param(p + "radial_filter.bias", Tensor.zeros(3 * f));
            param(Weight.RADIAL_BIAS.in(l), lecun(rng, k, h));
            param(p + "temperature", Tensor.full(config.cosineAttention() ? 4f : 1f, h));
            param(Weight.OUTPUT.in(l), lecun(rng, f, 3 * f).mul(0.5f));
            param(p + "output.bias", Tensor.zeros(3 * f));
        }
        param("head.norm.gamma", Tensor.ones(f));
        param("head.norm.beta", Tensor.zeros(f));
        param("head.hidden.weight", lecun(rng, f, f));
        param("head.hidden.bias", Tensor.zeros(f));
        param("head.out.weight", lecun(rng, f, 1));
        param("head.out.bias", Tensor.zeros(1));
    }

    /**
     * A copy with another config of the same sizes (parameters, shifts and scales copied, FP32 sites):
     * how the "no attention normalisation" ablation switches a trained model to plain q·k/√d.
     */
    public EquivariantTransformer withConfig(ModelConfig other) {
        if (other.features() != config.features() || other.layers() != config.layers() || other.heads() != config.heads()
                || other.radialBasis() != config.radialBasis() || other.maxAtomicNumber() != config.maxAtomicNumber()) {
            throw new IllegalArgumentException("withConfig may change switches such as the attention kind, not sizes: " + config + " -> " + other);
        }
        EquivariantTransformer copy = new EquivariantTransformer(other, 0);
        parameters.forEach((name, t) -> copy.param(name, t));
        System.arraycopy(elementShift, 0, copy.elementShift, 0, elementShift.length);
        System.arraycopy(elementScale, 0, copy.elementScale, 0, elementScale.length);
        return copy;
    }

    private static Tensor lecun(SplittableRandom rng, int in, int out) {
        return Tensor.randn(rng, (float) (1.0 / Math.sqrt(in)), in, out);
    }

    private void param(String name, Tensor value) {
        parameters.put(name, value.detach().asLeaf().named(name));
    }

    public ModelConfig config() {
        return config;
    }

    /** Trainable parameters by name, in a fixed order (the checkpoint order). */
    public Map<String, Tensor> parameters() {
        return parameters;
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : parameters.values()) n += t.size();
        return n;
    }

    public float[] elementShift() {
        return elementShift;
    }

    public float[] elementScale() {
        return elementScale;
    }

    private Tensor p(String name) {
        return parameters.get(name);
    }

    /** {@link LayerProducts#project}: all columns of the weight. */
    static final int ALL = -1;

    /**
     * The products x · W[:, third] of one layer's quantizable weights (third 0, 1, 2 of the columns, or {@link #ALL}):
     * every product with a quantized weight passes here. With the weight at hand (FP32 or fake-quantized training)
     * it is an ordinary matmul with the weight as the sites present it, fetched once per layer and pass (fake
     * quantization rounds it then); without it (integer layers keep only codes and scales) the sites compute it.
     */
    private final class LayerProducts {
        private final int layer;
        private final Map<Weight, Optional<Tensor>> seen = new EnumMap<>(Weight.class);   // empty: the sites hold the weight

        LayerProducts(int layer) {
            this.layer = layer;
        }

        Tensor project(Weight weight, int third, Tensor x) {
            String name = weight.in(layer);
            Optional<Tensor> w = seen.computeIfAbsent(weight, k -> Optional.ofNullable(parameters.get(name)).map(stored -> sites.weight(name, stored)));
            return w.map(m -> x.matmul(third == ALL ? m : third(m, third))).orElseGet(() -> sites.project(name, third, x));
        }
    }

    /** Third {@code c} (0, 1, 2) of a tensor's last axis, e.g. the columns of W_v that make a_c. */
    private static Tensor third(Tensor t, int c) {
        int width = t.dim(-1) / 3;
        return t.narrow(t.rank() - 1, c * width, width);
    }

    /**
     * Drops the FP32 weight {@code name}: from now on the sites compute every product with it
     * ({@link ActivationSites#project}), as integer layers do, which keep only codes and scales.
     */
    public void releaseWeight(String name) {
        if (parameters.remove(name) == null) throw new IllegalArgumentException("no parameter " + name);
    }

    /** Where quantization acts (identity: FP32). */
    public ActivationSites sites() {
        return sites;
    }

    public void setSites(ActivationSites sites) {
        this.sites = sites == null ? ActivationSites.FP32 : sites;
    }

    // ------------------------------------------------------------------ forward

    /**
     * The position-dependent part of the molecular energies, E_m − Σ_{i in m} μ_{Z_i} [numMolecules] in eV,
     * as a function of {@code positions} ([N, 3], may require grad). Add {@link #energyShifts} for E.
     */
    public Tensor interactionEnergies(GraphBatch g, Tensor positions) {
        int n = g.numAtoms(), e = g.numEdges(), f = config.features(), heads = config.heads();
        checkElements(g);

        // Geometry of the edges (i ← j): r_ij = R_j − R_i, d_ij, r̂_ij, cutoff φ(d) and radial basis.
        Tensor rij = positions.gatherRows(g.neighbor()).sub(positions.gatherRows(g.center()));     // [E,3]
        Tensor dij = Functional.norm(rij, 1, true, 0f);                                             // [E,1]
        Tensor unit = rij.div(dij);                                                                 // [E,3]
        Tensor cutoff = Radial.cosineCutoff(dij, config.cutoff());                                  // [E,1]
        Tensor rbf = Radial.physNet(dij, config.radialBasis(), config.cutoff());                    // [E,K]
        LocalFrames frames = new LocalFrames(n, g.center(), unit, dij, cutoff);                     // for local-frame quantizers

        Tensor h = p("embedding").gatherRows(g.atomicNumbers());                                    // [N,F]
        Tensor v = Tensor.zeros(n, 3, f);                                                           // [N,3,F]

        for (int l = 0; l < config.layers(); l++) {
            String lp = "layers." + l + ".";
            LayerProducts products = new LayerProducts(l);
            boolean vectorsAreZero = l == 0;   // v = 0 entering the first layer: its vector terms vanish
            if (!vectorsAreZero) v = sites.vector(VECTOR_IN.in(l), v, frames);
            Tensor s = sites.scalar(SCALAR_IN.in(l),
                    Functional.layerNorm(h, p(lp + "norm.gamma"), p(lp + "norm.beta"), LAYER_NORM_EPS));
            Tensor rbfIn = sites.scalar(RBF_IN.in(l), rbf);
            Tensor q = products.project(Weight.QUERY, ALL, s);                                              // [N,F]
            Tensor k = products.project(Weight.KEY, ALL, s);                                                // [N,F]

            // Attention logits per head: τ_h q̃_i·k̃_j (cosine) or q_i·k_j/√d (plain), plus W_b rbf_ij.
            Tensor qh = q.reshape(n, heads, config.headDim());
            Tensor kh = k.reshape(n, heads, config.headDim());
            if (config.cosineAttention()) {
                qh = qh.div(Functional.norm(qh, 2, true, ATTENTION_NORM_EPS));
                kh = kh.div(Functional.norm(kh, 2, true, ATTENTION_NORM_EPS));
            }
            qh = sites.scalar(ATTENTION_QUERY.in(l), qh);
            kh = sites.scalar(ATTENTION_KEY.in(l), kh);
            Tensor dot = qh.gatherRows(g.center()).mul(kh.gatherRows(g.neighbor())).sum(2, false);   // [E,H]
            Tensor logits = config.cosineAttention()
                    ? dot.mul(p(lp + "temperature"))
                    : dot.mul((float) (1.0 / Math.sqrt(config.headDim())));
            logits = logits.add(products.project(Weight.RADIAL_BIAS, ALL, rbfIn));
            Tensor alpha = Functional.segmentSoftmax(logits, cutoff, g.center(), n, ATTENTION_SINK); // [E,H]
            Tensor alphaF = alpha.reshape(e, heads, 1).expand(e, heads, config.headDim()).reshape(e, f); // [E,F]

            // Messages [m1 | m2 | m3]_ij = a_j ⊙ SiLU(W_r rbf_ij + b_r), a = W_v s + b_v, each weighted by α.
            // The three thirds are computed apart (slicing the small weights, not the large edge tensors).
            Tensor[] m = new Tensor[3];
            for (int c = 0; c < 3; c++) {
                if (c == 1 && vectorsAreZero) continue;                                             // m2 multiplies v_j = 0
                Tensor a = products.project(Weight.VALUE, c, s).add(third(p(lp + "value.bias"), c));     // [N,F]
                Tensor filter = products.project(Weight.RADIAL_FILTER, c, rbfIn)
                        .add(third(p(lp + "radial_filter.bias"), c)).silu();
                m[c] = a.gatherRows(g.neighbor()).mul(filter).mul(alphaF);                          // [E,F]
            }

            // Δh_i = Σ_j α m1;  Δv_i = Σ_j α (m2 ⊙ v_j + m3 ⊗ r̂_ij)
            Tensor dh = sites.scalar(SCALAR_MESSAGE.in(l), m[0].indexAdd(g.center(), n));          // [N,F]
            Tensor vMsg = m[2].reshape(e, 1, f).mul(unit.reshape(e, 3, 1));                          // [E,3,F]
            if (!vectorsAreZero) vMsg = vMsg.add(m[1].reshape(e, 1, f).mul(v.gatherRows(g.neighbor())));
            Tensor dv = sites.vector(VECTOR_MESSAGE.in(l), vMsg.indexAdd(g.center(), n), frames);          // [N,3,F]

            // Update: [o1 o2 o3] = W_o Δh + b_o;  h += o3 + o2 ⊙ ⟨u1,u2⟩;  v += o1 ⊙ u3 + Δv,  [u1 u2 u3] = U v
            Tensor o3 = products.project(Weight.OUTPUT, 2, dh).add(third(p(lp + "output.bias"), 2));
            if (vectorsAreZero) {
                h = h.add(o3);
                v = dv;
                continue;
            }
            Tensor o1 = products.project(Weight.OUTPUT, 0, dh).add(third(p(lp + "output.bias"), 0));
            Tensor o2 = products.project(Weight.OUTPUT, 1, dh).add(third(p(lp + "output.bias"), 1));
            Tensor v2d = v.reshape(3 * n, f);
            Tensor u1 = products.project(Weight.VECTOR_MIX, 0, v2d).reshape(n, 3, f);
            Tensor u2 = products.project(Weight.VECTOR_MIX, 1, v2d).reshape(n, 3, f);
            Tensor u3 = products.project(Weight.VECTOR_MIX, 2, v2d).reshape(n, 3, f);
            h = h.add(o3).add(o2.mul(u1.mul(u2).sum(1, false)));
            v = v.add(o1.reshape(n, 1, f).mul(u3)).add(dv);
        }

        // Energy head: E = Σ_i σ_Z MLP(LN(h_i)) + μ_Z. The shifts μ_Z (thousands of eV) are added in
        // double by the callers (energyShifts): in float they would round the energy to ~0.5 meV.
        Tensor s = Functional.layerNorm(h, p("head.norm.gamma"), p("head.norm.beta"), LAYER_NORM_EPS);
        Tensor hidden = Functional.linear(s, p("head.hidden.weight"), p("head.hidden.bias")).silu();
        Tensor atomic = Functional.linear(hidden, p("head.out.weight"), p("head.out.bias"));          // [N,1]
        float[] scale = new float[n];
        for (int i = 0; i < n; i++) scale[i] = elementScale[g.atomicNumbers()[i]];
        Tensor atomEnergy = atomic.mul(Tensor.of(scale, n, 1));
        return atomEnergy.indexAdd(g.moleculeOfAtom(), g.numMolecules()).reshape(g.numMolecules());
    }

    /** Σ_{i in m} μ_{Z_i} per molecule, in double: the constant part of each energy. */
    public double[] energyShifts(GraphBatch g) {
        double[] shifts = new double[g.numMolecules()];
        for (int i = 0; i < g.numAtoms(); i++) shifts[g.moleculeOfAtom()[i]] += elementShift[g.atomicNumbers()[i]];
        return shifts;
    }

    /**
     * Energies and forces F = −∂E/∂R [N,3]. With {@code createGraph} both stay on the graph (training
     * differentiates the forces again); without, the backward records nothing (inference, MD).
     */
    public Prediction predict(GraphBatch g, boolean createGraph) {
        Tensor positions = Tensor.leaf(g.positions().clone(), g.numAtoms(), 3).named("positions");
        Tensor interaction = interactionEnergies(g, positions);
        Tensor forces = Autograd.grad(interaction.sum(), new Tensor[]{positions}, createGraph)[0].neg();
        return new Prediction(createGraph ? interaction : interaction.detach(), energyShifts(g), forces);
    }

    /**
     * Energies on the graph of the parameters, without forces ({@code forces} null): what energy-only training
     * differentiates. The positions are a constant, so ∂loss/∂θ is one ordinary backward pass, not the force
     * pass with createGraph and the backward through it.
     */
    public Prediction predictEnergiesOnGraph(GraphBatch g) {
        return new Prediction(interactionEnergies(g, Tensor.of(g.positions(), g.numAtoms(), 3)), energyShifts(g), null);
    }

    /** Energies (eV) only, with nothing recorded. */
    public double[] predictEnergies(GraphBatch g) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return new Prediction(interactionEnergies(g, Tensor.of(g.positions(), g.numAtoms(), 3)), energyShifts(g), null).energies();
        }
    }

    /**
     * @param interaction E_m − Σ μ_Z per molecule [M] (on the graph when training)
     * @param shifts      Σ μ_Z per molecule, double
     * @param forces      [N, 3] eV/Å, or null ({@link #predictEnergiesOnGraph})
     */
    public record Prediction(Tensor interaction, double[] shifts, Tensor forces) {
        /** Total energies E_m in eV, summed in double. */
        public double[] energies() {
            double[] e = new double[shifts.length];
            float[] x = interaction.data();
            for (int m = 0; m < e.length; m++) e[m] = x[m] + shifts[m];
            return e;
        }
    }

    private void checkElements(GraphBatch g) {
        for (int z : g.atomicNumbers()) {
            if (z < 1 || z > config.maxAtomicNumber()) {
                throw new IllegalArgumentException("atomic number " + z + " is outside the model's elements 1.."
                        + config.maxAtomicNumber());
            }
        }
    }
}
