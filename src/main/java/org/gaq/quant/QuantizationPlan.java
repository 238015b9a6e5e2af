package org.gaq.quant;

import org.gaq.model.ActivationSites;
import org.gaq.model.LocalFrames;
import org.gaq.model.QuantizationSites;
import org.gaq.quant.QuantizationSpec.Gradient;
import org.gaq.quant.QuantizationSpec.VectorScheme;
import org.gaq.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Fake quantization of a model, site by site (the model's {@link ActivationSites}): the paper's
 * branch-separated scheme. Scalar activations get a signed LSQ quantizer each, vector activations an
 * MDDQ (or, for the naive baseline, a component-wise) quantizer each, and weights of the quantized
 * layers per-channel int8 or grouped int4. The embedding and the energy head never reach a site, so
 * they stay FP32.
 *
 * <p>A plan comes from a {@link Calibrator} (a spec, observed on frames) or from a file's steps
 * ({@link #withSavedSteps}); every site it quantizes has its quantizer, and a site without one is FP32.
 * {@link #setScalarBranch} / {@link #setVectorBranch} switch a branch off (identity) for the warm-up of
 * branch-separated QAT.
 */
public final class QuantizationPlan implements ActivationSites {

    private final QuantizationSpec spec;
    private final Optional<WeightQuantizer> weights;     // empty: FP32 weights
    private final Map<String, LsqQuantizer> scalarQuantizers = new LinkedHashMap<>();   // in the order the model reaches them
    private final Map<String, FakeQuantizer> vectorQuantizers = new LinkedHashMap<>();
    private boolean scalarBranch = true, vectorBranch = true, weightBranch = true;
    private ProtectiveMasking masking;          // Degree-Quant baseline only, during training
    private Optional<LearnedWeightScales> learnedScales = Optional.empty();

    private QuantizationPlan(QuantizationSpec spec, Map<String, double[]> scalarSteps, Map<String, double[]> vectorSteps) {
        this.spec = spec;
        this.weights = spec.weightBits() == 32 ? Optional.empty()
                : Optional.of(new WeightQuantizer(spec.weightBits() == 8 ? WeightQuantizer.Scheme.INT8_PER_CHANNEL : WeightQuantizer.Scheme.INT4_GROUPED,
                        spec.weightRange()));
        scalarSteps.forEach((site, steps) -> scalarQuantizers.put(site, new LsqQuantizer(spec.activationBits(), Signedness.SIGNED, steps)));
        vectorSteps.forEach((site, steps) -> vectorQuantizers.put(site, vectorQuantizer(steps)));
    }

    /** The plan of {@code spec} with these steps (one, or one per channel) at each scalar and vector site. */
    static QuantizationPlan withSteps(QuantizationSpec spec, Map<String, double[]> scalarSteps, Map<String, double[]> vectorSteps) {
        return new QuantizationPlan(spec, scalarSteps, vectorSteps);
    }

    /** The plan of {@code spec} with the steps of a checkpoint ({@link #steps()}): how a fake-quantized model file is loaded. */
    public static QuantizationPlan withSavedSteps(QuantizationSpec spec, Map<String, float[]> savedSteps) {
        Map<String, double[]> scalar = new LinkedHashMap<>(), vector = new LinkedHashMap<>();
        for (var e : savedSteps.entrySet()) {
            float[] saved = e.getValue();
            double[] steps = new double[saved.length];
            for (int i = 0; i < steps.length; i++) steps[i] = saved[i];
            if (e.getKey().startsWith(SCALAR_PREFIX)) scalar.put(e.getKey().substring(SCALAR_PREFIX.length()), steps);
            else if (e.getKey().startsWith(VECTOR_PREFIX)) vector.put(e.getKey().substring(VECTOR_PREFIX.length()), steps);
        }
        return new QuantizationPlan(spec, scalar, vector);
    }

    public QuantizationSpec spec() {
        return spec;
    }

    // ------------------------------------------------------------------ the sites

    @Override
    public Tensor scalar(String site, Tensor x) {
        if (spec.activationBits() == 32 || spec.isFullPrecision(site) || !scalarBranch) return x;
        Tensor q = apply(quantizer(scalarQuantizers, site), x);
        return masking == null || isEdgeSite(site) ? q : masking.protect(x, q);
    }

    /** Protective masking works on atoms: a site whose rows are edges (the radial basis) is left alone. */
    private static boolean isEdgeSite(String site) {
        return QuantizationSites.activation(site).map(s -> s.what().rows() == QuantizationSites.Rows.EDGES).orElse(false);
    }

    /** Whether {@link #scalar} changes the values at {@code site} as the plan stands (a quantized site, the scalar branch on). */
    public boolean activeScalarSite(String site) {
        return spec.activationBits() != 32 && !spec.isFullPrecision(site) && scalarBranch;
    }

    /** Whether multipliers of the weight groups' scales are being learned ({@link #learnWeightScales}). */
    public boolean learnsWeightScales() {
        return learnedScales.isPresent();
    }

    /**
     * The LSQ quantizer {@link #scalar} applies at {@code site} when that is all it does (calibrated, the
     * scalar branch on, quantized, no protective masking), so that integer execution can run the same
     * quantization in a fused kernel; null when {@link #scalar} does anything else.
     */
    public LsqQuantizer plainScalarQuantizer(String site) {
        if (spec.activationBits() == 32 || spec.isFullPrecision(site) || !scalarBranch || masking != null) return null;
        LsqQuantizer q = quantizer(scalarQuantizers, site);
        return q.bits() != LsqQuantizer.FULL_PRECISION ? q : null;
    }

    /**
     * The vector quantizer {@link #vector} applies at {@code site} when that is all it does (calibrated,
     * the vector branch on, quantized, no protective masking); null when {@link #vector} does anything else.
     */
    public FakeQuantizer plainVectorQuantizer(String site) {
        if (spec.vectorBits() == 32 || spec.isFullPrecision(site) || !vectorBranch || masking != null) return null;
        FakeQuantizer q = quantizer(vectorQuantizers, site);
        return q;
    }

    @Override
    public Tensor vector(String site, Tensor v) {
        return vector(site, v, null);
    }

    @Override
    public Tensor vector(String site, Tensor v, LocalFrames frames) {
        if (spec.vectorBits() == 32 || spec.isFullPrecision(site) || !vectorBranch) return v;
        FakeQuantizer quantizer = quantizer(vectorQuantizers, site);
        Tensor q = spec.gradient() == Gradient.IDENTITY ? quantizer.applyWithIdentityGradient(v, frames) : quantizer.apply(v, frames);
        return masking == null ? q : masking.protect(v, q);
    }

    @Override
    public Tensor weight(String name, Tensor w) {
        if (weights.isEmpty() || !weightBranch) return w;
        WeightQuantizer quantizer = weights.get();
        float[] s = inputSteps(name);
        if (s == null) return withLearnedScale(name, quantizer.apply(w));
        // Per-channel input steps folded into the rows: Ŵ = diag(1/s)·Q(diag(s)·W), so that x_q·Ŵ = a·Q(diag(s)·W)
        // with a the integer codes of x (what the integer layer computes).
        Tensor rows = Tensor.of(s, s.length, 1);
        return withLearnedScale(name, quantizer.apply(w.mul(rows)).div(rows));
    }

    /** {@code q} times the learned scale factors of weight {@code name}, if they are being learned. */
    private Tensor withLearnedScale(String name, Tensor q) {
        return learnedScales.map(l -> l.apply(name, q)).orElse(q);
    }

    /**
     * Starts learning a multiplier of every quantized weight group's scale ({@link LearnedWeightScales}) for fine-tuning
     * with frozen codes; returns the multipliers, in the model's parameter order, for the optimizer.
     */
    public List<Tensor> learnWeightScales(Map<String, Tensor> modelParameters) {
        LearnedWeightScales scales = new LearnedWeightScales(quantizedWeights(), modelParameters);
        learnedScales = Optional.of(scales);
        return scales.tensors();
    }

    /** Moves the learned scale multipliers into the latent weights (the model computes the same; {@link LearnedWeightScales#bake}). */
    public void bakeWeightScales(Map<String, Tensor> modelParameters) {
        learnedScales.ifPresent(l -> l.bake(modelParameters));
    }

    private WeightQuantizer quantizedWeights() {
        return weights.orElseThrow(() -> new IllegalStateException("this plan does not quantize weights: " + spec.description()));
    }

    /**
     * The codes and scales the integer engine stores for weight {@code name}: Q(W), or Q(diag(s)·W) when its input
     * has per-channel steps s (the same product {@link #weight} quantizes).
     */
    public QuantizedWeight quantizedWeight(String name, Tensor w) {
        float[] s = inputSteps(name);
        return quantizedWeights().quantize(s == null ? w : w.detach().mul(Tensor.of(s, s.length, 1)));
    }

    /**
     * The per-channel steps of the activation weight {@code name} reads (one per row of W), or null when
     * that activation has one step (or none): then nothing is folded.
     */
    public float[] inputSteps(String weightName) {
        String site = scalarInputSite(weightName);
        if (site == null || !spec.isPerChannel(site, false) || spec.isFullPrecision(site)) return null;
        LsqQuantizer q = scalarQuantizers.get(site);
        return q == null || q.channels() == 1 ? null : q.stepValues();
    }

    /**
     * The scalar site whose output weight {@code weightName} multiplies ("layers.L.scalar_in"), or null for a
     * weight that multiplies vectors (the vector mix: MDDQ vectors, each with its own magnitude, are on no common grid).
     */
    public static String scalarInputSite(String weightName) {
        var located = QuantizationSites.weight(weightName).orElseThrow(() -> new IllegalArgumentException("not a quantized weight: " + weightName));
        QuantizationSites.Activation input = located.what().input();
        return input.kind() == QuantizationSites.Kind.SCALAR ? input.in(located.layer()) : null;
    }

    /** {@code q} applied to {@code x} with the spec's {@link Gradient}. */
    private Tensor apply(FakeQuantizer q, Tensor x) {
        return spec.gradient() == Gradient.IDENTITY ? q.applyWithIdentityGradient(x) : q.apply(x);
    }

    private static <Q extends FakeQuantizer> Q quantizer(Map<String, Q> quantizers, String site) {
        Q q = quantizers.get(site);
        if (q == null) throw new IllegalStateException("no quantizer for site " + site + ": it was not reached during calibration");
        return q;
    }

    // ------------------------------------------------------------------ life cycle

    /** The spec's vector quantizer with (magnitude or component) steps: one, or one per channel (MDDQ only). */
    private FakeQuantizer vectorQuantizer(double[] steps) {
        return switch (spec.vectorScheme()) {
            case MDDQ -> new MddqQuantizer(spec.vectorBits(), spec.directionBits(), steps, spec.geometricSte());
            case LOCAL_FRAME -> new LocalFrameQuantizer(new MddqQuantizer(spec.vectorBits(), spec.directionBits(), steps, spec.geometricSte()));
            case COMPONENTWISE -> {
                if (steps.length != 1) throw new IllegalArgumentException("component-wise vector quantization has one step");
                yield new ComponentwiseVectorQuantizer(spec.vectorBits(), steps[0]);
            }
        };
    }

    /** The scalar quantizer whose steps a vector quantizer learns and saves: MDDQ's magnitude, or the components'. */
    private static LsqQuantizer stepQuantizer(FakeQuantizer q) {
        return switch (q) {
            case MddqQuantizer m -> m.magnitude();
            case LocalFrameQuantizer l -> l.mddq().magnitude();
            case ComponentwiseVectorQuantizer c -> c.components();
            default -> throw new IllegalStateException("unknown vector quantizer " + q.getClass().getSimpleName());
        };
    }

    /**
     * A calibrated plan like this one with vector scheme {@code scheme}: the same steps and switches, the vector
     * quantizers rebuilt (MDDQ ↔ local-frame MDDQ, which learn the same magnitude steps). How a model fine-tuned with
     * one direction grid is continued with the other ({@code gaq qat --continue --vector-scheme}).
     */
    public QuantizationPlan withVectorScheme(VectorScheme scheme) {
        if (scheme.quantizesMagnitudes() != spec.vectorScheme().quantizesMagnitudes()) {
            throw new IllegalArgumentException("cannot switch vector quantization from " + spec.vectorScheme() + " to " + scheme
                    + ": their steps mean different things (magnitudes or components)");
        }
        QuantizationPlan p = withSavedSteps(spec.withVectorScheme(scheme), steps());
        p.scalarBranch = scalarBranch;
        p.vectorBranch = vectorBranch;
        p.weightBranch = weightBranch;
        p.masking = masking;
        return p;
    }

    /** Scalar-branch quantizers on or off (off: identity; the 'vector branch only' ablation). */
    public void setScalarBranch(boolean on) {
        scalarBranch = on;
    }

    /** Vector-branch quantizers on or off; off during the warm-up of branch-separated QAT. */
    public void setVectorBranch(boolean on) {
        vectorBranch = on;
    }

    /**
     * Weight fake-quantization on or off. Off is for a model whose weights already hold their quantized
     * values (see ModelFiles.weightsOnly), so they are not rounded again on every call.
     */
    public void setWeightBranch(boolean on) {
        weightBranch = on;
    }

    public boolean weightBranch() {
        return weightBranch;
    }

    /** Degree-Quant's protective masking during training (null: none, the default and always at evaluation). */
    public void setProtectiveMasking(ProtectiveMasking masking) {
        this.masking = masking;
    }

    public ProtectiveMasking protectiveMasking() {
        return masking;
    }

    public boolean scalarBranch() {
        return scalarBranch;
    }

    public boolean vectorBranch() {
        return vectorBranch;
    }

    /** The learned step sizes of every site, for the optimizer. */
    public List<Tensor> parameters() {
        List<Tensor> p = new ArrayList<>();
        scalarQuantizers.values().forEach(q -> p.addAll(q.parameters()));
        vectorQuantizers.values().forEach(q -> p.addAll(q.parameters()));
        return p;
    }

    /** Sites in the order the model reached them, with the kind of quantizer at each. */
    public Map<String, String> describeSites() {
        Map<String, String> d = new LinkedHashMap<>();
        scalarQuantizers.forEach((site, q) -> d.put(site, "scalar LSQ int" + q.bits()));
        vectorQuantizers.forEach((site, q) -> d.put(site, switch (q) {
            case MddqQuantizer m -> "vector MDDQ " + spec.vectorBits() + "+" + spec.directionBits() + " bits";
            case LocalFrameQuantizer l -> "vector local-frame MDDQ " + spec.vectorBits() + "+" + spec.directionBits() + " bits";
            default -> "vector component-wise int" + spec.vectorBits();
        }));
        return d;
    }

    private static final String SCALAR_PREFIX = "quant.scalar.", VECTOR_PREFIX = "quant.vector.";

    /** Steps (one, or one per channel) of each site's quantizer ("quant.scalar.<site>" / "quant.vector.<site>"), for checkpoints. */
    public Map<String, float[]> steps() {
        Map<String, float[]> s = new LinkedHashMap<>();
        scalarQuantizers.forEach((site, q) -> s.put(SCALAR_PREFIX + site, q.stepValues()));
        vectorQuantizers.forEach((site, q) -> s.put(VECTOR_PREFIX + site, stepQuantizer(q).stepValues()));
        return s;
    }
}
