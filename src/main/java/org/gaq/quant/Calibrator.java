package org.gaq.quant;

import org.gaq.data.Frame;
import org.gaq.data.NeighborList;
import org.gaq.model.ActivationSites;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.LocalFrames;
import org.gaq.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calibration, the step between a {@link QuantizationSpec} and a {@link QuantizationPlan} (as observers are in
 * {@code torch.ao.quantization}): as a model's sites it returns every activation unchanged and feeds it to the
 * site's observer — one per site, chosen by the spec's calibration and per-channel setting; {@link #finish} then
 * creates one quantizer per observed site with the observer's steps. Sites the spec leaves in FP32 get no observer,
 * hence no quantizer. Weights need no calibration: their scales come from the weights themselves.
 */
public final class Calibrator implements ActivationSites {
    private final QuantizationSpec spec;
    private final Map<String, Observer> scalarObservers = new LinkedHashMap<>();   // in the order the model reaches them
    private final Map<String, Observer> vectorObservers = new LinkedHashMap<>();

    public Calibrator(QuantizationSpec spec) {
        this.spec = spec;
    }

    /**
     * Calibrates {@code model} on {@code frames} (energies and forces of batches of {@code batchSize}, one thread) and
     * attaches the calibrated plan to it; returns the plan.
     */
    public static QuantizationPlan calibrate(EquivariantTransformer model, QuantizationSpec spec, List<Frame> frames, int batchSize) {
        if (frames.isEmpty()) throw new IllegalArgumentException("calibration needs at least one frame");
        Calibrator calibrator = new Calibrator(spec);
        model.setSites(calibrator);
        for (int s = 0; s < frames.size(); s += batchSize) {
            model.predict(NeighborList.batch(frames.subList(s, Math.min(frames.size(), s + batchSize)), model.config().cutoff()), false);
        }
        QuantizationPlan plan = calibrator.finish();
        model.setSites(plan);
        return plan;
    }

    @Override
    public Tensor scalar(String site, Tensor x) {
        if (spec.activationBits() == 32 || spec.isFullPrecision(site)) return x;
        synchronized (scalarObservers) {
            scalarObservers.computeIfAbsent(site, k -> spec.isPerChannel(site, false) ? new ChannelMaxObserver(Signedness.SIGNED)
                    : spec.calibration().observer(Signedness.SIGNED)).observe(x.detach());
        }
        return x;
    }

    @Override
    public Tensor vector(String site, Tensor v) {
        if (spec.vectorBits() == 32 || spec.isFullPrecision(site)) return v;
        // MDDQ's learned step is the magnitude's (unsigned, the same in any frame); the naive scheme's is the components'.
        boolean magnitudes = spec.vectorScheme().quantizesMagnitudes();
        Tensor observed = magnitudes ? MddqQuantizer.magnitudes(v.detach()) : v.detach();
        Signedness sign = magnitudes ? Signedness.UNSIGNED : Signedness.SIGNED;
        synchronized (vectorObservers) {
            vectorObservers.computeIfAbsent(site, k -> spec.isPerChannel(site, true) ? new ChannelMaxObserver(sign)
                    : spec.calibration().observer(sign)).observe(observed);
        }
        return v;
    }

    @Override
    public Tensor vector(String site, Tensor v, LocalFrames frames) {
        return vector(site, v);
    }

    /** The plan: one quantizer per observed site, its steps from the observer. */
    public QuantizationPlan finish() {
        Map<String, double[]> scalarSteps = new LinkedHashMap<>(), vectorSteps = new LinkedHashMap<>();
        scalarObservers.forEach((site, o) -> scalarSteps.put(site, suggestedSteps(o, spec.activationBits())));
        vectorObservers.forEach((site, o) -> vectorSteps.put(site, suggestedSteps(o, spec.vectorBits())));
        return QuantizationPlan.withSteps(spec, scalarSteps, vectorSteps);
    }

    /** The observer's steps: one per channel from a {@link ChannelMaxObserver}, else one for the tensor. */
    private static double[] suggestedSteps(Observer observer, int bits) {
        return observer instanceof ChannelMaxObserver c ? c.suggestedSteps(bits) : new double[]{observer.suggestedStep(bits)};
    }
}
