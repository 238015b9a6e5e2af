package org.gaq.train.compiled;

import org.gaq.engine.FusedMddq;
import org.gaq.engine.kernels.QuantizeKernels;
import org.gaq.model.ActivationSites;
import org.gaq.model.LocalFrames;
import org.gaq.quant.LsqQuantizer;
import org.gaq.quant.MddqQuantizer;
import org.gaq.quant.QuantizationPlan;
import org.gaq.quant.QuantizationSpec;
import org.gaq.quant.Signedness;
import org.gaq.tensor.GradMode;
import org.gaq.tensor.Tensor;

import java.util.Arrays;

/**
 * The model's activation sites in the compiled step: the forward values come from the tape's own quantizers (so a
 * fake-quantized model rounds exactly as on the tape, given the same inputs), and every derivative is the identity, the
 * straight-through rule of gaq's recommended recipe (docs/training.md, "Quantization-aware training"). For an FP32
 * model every site is the identity and nothing is copied.
 */
final class SiteValues {
    private final ActivationSites sites;
    private float[] vectorScratch = new float[0];

    SiteValues(ActivationSites sites) {
        this.sites = sites;
    }

    /** Whether the compiled step can train a model with these sites: FP32, or a plan it can run (see {@link #unsupported}). */
    static boolean supports(ActivationSites sites, int layers) {
        return unsupported(sites, layers) == null;
    }

    /**
     * Why the compiled step cannot run these sites, or null: it needs the identity straight-through gradient (the
     * recommended recipe), no protective masking, an FP32 radial basis, and no learned weight-scale factors.
     */
    static String unsupported(ActivationSites sites, int layers) {
        if (sites == ActivationSites.FP32) return null;
        if (!(sites instanceof QuantizationPlan plan)) return "sites " + sites.getClass().getSimpleName();
        if (plan.spec().gradient() != QuantizationSpec.Gradient.IDENTITY) return "the clipped straight-through gradient";
        if (plan.protectiveMasking() != null) return "protective masking";
        if (plan.learnsWeightScales()) return "learned weight scales";
        for (int l = 0; l < layers; l++) {
            String rbf = org.gaq.model.QuantizationSites.Activation.RBF_IN.in(l);
            if (plan.activeScalarSite(rbf)) return "a quantized radial basis";
        }
        return null;
    }

    boolean fp32() {
        return sites == ActivationSites.FP32;
    }

    /**
     * x (the first product of {@code shape} values, in the tape's shape at this site) replaced by the site's values. A
     * plain LSQ site runs the integer engine's kernel on the array (the same values as the tape's composed ops); anything
     * else goes through the tape's quantizer.
     */
    void scalar(String site, float[] x, int... shape) {
        if (fp32()) return;
        int count = 1;
        for (int d : shape) count *= d;
        if (sites instanceof QuantizationPlan plan) {
            if (!plan.activeScalarSite(site)) return;
            LsqQuantizer q = plan.plainScalarQuantizer(site);
            if (q != null) {
                float[] steps = q.stepValues();
                if (steps.length == 1) QuantizeKernels.lsqForward(x, steps[0], q.qn(), q.qp(), x, count);
                else QuantizeKernels.lsqForwardChannels(x, steps, q.qn(), q.qp(), x, count);
                return;
            }
        }
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor in = Tensor.of(Arrays.copyOf(x, count), shape);
            Tensor out = sites.scalar(site, in);
            if (out != in) System.arraycopy(out.data(), 0, x, 0, count);
        }
    }

    /**
     * v [n, 3, f] replaced by the site's values (local-frame quantizers turn with {@code frames}). A plain MDDQ site runs
     * the fused kernel of integer execution ({@link FusedMddq}, bitwise the composed ops); others go through the tape.
     */
    void vector(String site, float[] v, int n, int f, LocalFrames frames) {
        if (fp32()) return;
        int count = n * 3 * f;
        if (sites instanceof QuantizationPlan plan && plan.plainVectorQuantizer(site) instanceof MddqQuantizer m && !m.geometricSte()
                && m.magnitude().bits() != LsqQuantizer.FULL_PRECISION && m.directionBits() != LsqQuantizer.FULL_PRECISION) {
            if (vectorScratch.length < count) vectorScratch = new float[count];
            FusedMddq.pass(v, null, vectorScratch, n, f, FusedMddq.channelSteps(m.magnitude().stepValues(), f), m.magnitude().qn(),
                    m.magnitude().qp(), Signedness.SIGNED.qp(m.directionBits()), null);
            System.arraycopy(vectorScratch, 0, v, 0, count);
            return;
        }
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor in = Tensor.of(Arrays.copyOf(v, count), n, 3, f);
            Tensor out = sites.vector(site, in, frames);
            if (out != in) System.arraycopy(out.data(), 0, v, 0, count);
        }
    }

    /** The weight the products use: the fake-quantized values of a quantized weight, else the parameter itself. */
    float[] weight(String name, Tensor parameter) {
        if (fp32()) return parameter.data();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return sites.weight(name, parameter).data();
        }
    }
}
