package org.gaq.infer;

import jdk.incubator.vector.FloatVector;
import org.gaq.modelfile.ModelFile;
import org.gaq.engine.FusedMddq;
import org.gaq.engine.IntegerLinear;
import org.gaq.engine.IntegerSites;
import org.gaq.model.ActivationSites;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.model.Radial;
import org.gaq.model.QuantizationSites.Weight;
import org.gaq.quant.Calibrator;
import org.gaq.quant.LocalFrameQuantizer;
import org.gaq.quant.LsqQuantizer;
import org.gaq.quant.MddqQuantizer;
import org.gaq.quant.ModelFiles;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.gaq.quant.Signedness;
import org.gaq.tensor.GradMode;
import org.gaq.tensor.Tensor;

import java.util.Map;

import static org.gaq.model.QuantizationSites.Activation.ATTENTION_KEY;
import static org.gaq.model.QuantizationSites.Activation.ATTENTION_QUERY;
import static org.gaq.model.QuantizationSites.Activation.RBF_IN;
import static org.gaq.model.QuantizationSites.Activation.SCALAR_IN;
import static org.gaq.model.QuantizationSites.Activation.SCALAR_MESSAGE;
import static org.gaq.model.QuantizationSites.Activation.VECTOR_IN;
import static org.gaq.model.QuantizationSites.Activation.VECTOR_MESSAGE;

/**
 * Turns a model as the tape runs it (an {@link EquivariantTransformer} with FP32, fake-quantized or integer
 * sites) into a {@link CompiledModel} that computes the same energies and forces: FP32 parameters are copied,
 * fake-quantized weights are rounded once into FP32 projections, integer layers become
 * {@link IntegerProjection}s, and every activation site becomes the engine's form of its quantizer.
 *
 * <p>Sites the engine has no form for (protective masking of Degree-Quant, component-wise vector quantization,
 * the geometric straight-through estimator, a plan still calibrating) make {@link #compile} throw
 * {@link UnsupportedOperationException} naming the site: such models run on the tape ({@code --engine tape}).
 */
public final class ModelCompiler {
    private ModelCompiler() {}

    public static CompiledModel compile(EquivariantTransformer model) {
        ModelConfig c = model.config();
        Map<String, Tensor> p = model.parameters();
        ActivationSites sites = model.sites();
        int f = c.features(), k = c.radialBasis(), h = c.heads();
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        if (f % lanes != 0) throw new UnsupportedOperationException(f + " features are not a multiple of the " + lanes + " float lanes of this CPU");
        InteractionLayer[] layers = new InteractionLayer[c.layers()];
        Weights w = new Weights(model, sites);
        QuantizationPlan plan = plan(sites);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int l = 0; l < c.layers(); l++) {
                String lp = "layers." + l + ".";
                LayerWeights weights = new LayerWeights(
                        values(p, lp + "norm.gamma"), values(p, lp + "norm.beta"),
                        w.projection(Weight.QUERY.in(l), f, f), w.projection(Weight.KEY.in(l), f, f),
                        w.projection(Weight.VALUE.in(l), f, 3 * f), values(p, lp + "value.bias"),
                        w.projection(Weight.VECTOR_MIX.in(l), f, 3 * f),
                        values(p, lp + "temperature"),
                        w.projection(Weight.OUTPUT.in(l), f, 3 * f), values(p, lp + "output.bias"));
                RadialChannels radial = radialChannels(c, w.projection(Weight.RADIAL_FILTER.in(l), k, 3 * f),
                        values(p, lp + "radial_filter.bias"), w.projection(Weight.RADIAL_BIAS.in(l), k, h),
                        plan == null ? new ScalarQuantization.None() : scalarSite(plan, RBF_IN.in(l)));
                layers[l] = new InteractionLayer(l == 0, f, h, c.cosineAttention(), weights, radial, layerSites(plan, l, f));
            }
        }
        EnergyHead head = new EnergyHead(f, values(p, "head.norm.gamma"), values(p, "head.norm.beta"),
                new Fp32Projection(values(p, "head.hidden.weight"), f, f), values(p, "head.hidden.bias"),
                new Fp32Projection(values(p, "head.out.weight"), f, 1), values(p, "head.out.bias")[0]);
        return new CompiledModel(c, values(p, "embedding"), model.elementShift().clone(), model.elementScale().clone(),
                layers, head, ModelFile.describePrecision(model));
    }

    private static float[] values(Map<String, Tensor> parameters, String name) {
        Tensor t = parameters.get(name);
        if (t == null) throw new IllegalArgumentException("the model has no parameter " + name);
        return t.data().clone();
    }

    /** Where a layer's weight products come from: the model's FP32 (or fake-quantized) weights, or integer layers. */
    private record Weights(EquivariantTransformer model, ActivationSites sites) {
        Projection projection(String name, int in, int out) {
            if (sites instanceof IntegerSites integer) {
                IntegerLinear layer = integer.layers().get(name);
                if (layer != null) return new IntegerProjection(layer);
            }
            Tensor weight = model.parameters().get(name);
            if (weight == null) throw new IllegalArgumentException("the model has neither a weight nor an integer layer " + name);
            Tensor seen = sites.weight(name, weight);   // FP32, or the fake-quantized values
            return new Fp32Projection(seen.data(), in, out);
        }
    }

    /**
     * The radial channels of a layer: tabulated when the radial basis enters them in FP32 (its site is off), as
     * products over the basis when the site quantizes it.
     */
    static RadialChannels radialChannels(ModelConfig c, Projection filter, float[] filterBias, Projection bias, ScalarQuantization rbfSite) {
        if (!rbfSite.isIdentity()) return new RadialProjection(filter, filterBias, bias, rbfSite);
        int k = c.radialBasis();
        return new RadialTable(filter.weights(), filterBias, bias.weights(), Radial.centres(k, c.cutoff()), Radial.width(k, c.cutoff()), c.cutoff());
    }

    /** The activation quantizers of the model's sites, or null for an FP32 model. */
    private static QuantizationPlan plan(ActivationSites sites) {
        QuantizationPlan plan = switch (sites) {
            case QuantizationPlan qp -> qp;
            case IntegerSites integer -> integer.activations();
            case Calibrator c -> throw new UnsupportedOperationException("the model is still calibrating");
            default -> null;
        };
        if (plan == null && sites != ActivationSites.FP32) throw new UnsupportedOperationException("the compiled engine does not know sites " + sites.getClass().getSimpleName());
        if (plan != null && plan.protectiveMasking() != null) throw new UnsupportedOperationException("protective masking (Degree-Quant) runs on the tape only");
        return plan;
    }

    private static LayerSites layerSites(QuantizationPlan plan, int l, int f) {
        if (plan == null) return LayerSites.fp32();
        // v = 0 entering the first layer: the model skips its vector_in site (it has no quantizer)
        VectorQuantization vectorIn = l == 0 ? new VectorQuantization.None() : vectorSite(plan, VECTOR_IN.in(l), f);
        return new LayerSites(vectorIn, scalarSite(plan, SCALAR_IN.in(l)),
                scalarSite(plan, ATTENTION_QUERY.in(l)), scalarSite(plan, ATTENTION_KEY.in(l)),
                scalarSite(plan, SCALAR_MESSAGE.in(l)), vectorSite(plan, VECTOR_MESSAGE.in(l), f));
    }

    private static boolean identityGradient(QuantizationPlan plan) {
        return plan.spec().gradient() == QuantizationSpec.Gradient.IDENTITY;
    }

    private static ScalarQuantization scalarSite(QuantizationPlan plan, String site) {
        LsqQuantizer q = plan.plainScalarQuantizer(site);
        if (q == null) return new ScalarQuantization.None();    // FP32 site, or its branch off
        return new ScalarQuantization.Lsq(q.stepValues(), q.qn(), q.qp(), identityGradient(plan));
    }

    private static VectorQuantization vectorSite(QuantizationPlan plan, String site, int features) {
        return switch (plan.plainVectorQuantizer(site)) {
            case null -> new VectorQuantization.None();
            case MddqQuantizer m -> mddqSite(plan, site, m, features);
            case LocalFrameQuantizer l -> new VectorQuantization.LocalFrameMddq(mddqSite(plan, site, l.mddq(), features));
            default -> throw new UnsupportedOperationException(site + ": " + plan.spec().vectorScheme() + " vector quantization runs on the tape only");
        };
    }

    private static VectorQuantization.Mddq mddqSite(QuantizationPlan plan, String site, MddqQuantizer m, int features) {
        if (m.geometricSte()) throw new UnsupportedOperationException(site + ": the geometric straight-through estimator runs on the tape only");
        if (m.magnitude().bits() == LsqQuantizer.FULL_PRECISION || m.directionBits() == LsqQuantizer.FULL_PRECISION) {
            throw new UnsupportedOperationException(site + ": MDDQ with an unquantized magnitude or direction runs on the tape only");
        }
        float[] steps = FusedMddq.channelSteps(m.magnitude().stepValues(), features);
        return new VectorQuantization.Mddq(steps, m.magnitude().qn(), m.magnitude().qp(),
                Signedness.SIGNED.qp(m.directionBits()), identityGradient(plan));
    }
}
