package org.gaq.cli;

import org.gaq.quant.QuantizationSpec;
import org.gaq.train.QatRecipe;
import picocli.CommandLine.Option;

import java.util.List;

/** The mixed-precision options shared by `gaq ptq` and `gaq qat` (docs/quantization.md). */
public final class PrecisionOptions {
    @Option(names = "--gradient", paramLabel = "clipped|identity", description = "the activation quantizers' derivative in the forces: "
            + "clipped (the paper's straight-through estimator: zero outside the range, exact through MDDQ's normalisation) or identity "
            + "(default: clipped, identity with qat --recommended; see docs/quantization.md)")
    String gradient;

    @Option(names = "--per-channel", description = "one activation step per channel (min-max) where that is free in integer "
            + "execution: the scalar inputs of weights (folded into the weights' rows) and MDDQ magnitudes")
    boolean perChannel;

    @Option(names = "--fp32-sites", split = ",", paramLabel = "SITE", description = "mixed precision: leave these activation sites in FP32, "
            + "by name after the layer (rbf_in: every layer's radial basis) or whole (layers.0.rbf_in); see docs/quantization.md")
    List<String> fp32Sites;

    @Option(names = "--weight-range", paramLabel = "max|mse", description = "how each weight group's scale is chosen: max (max|W|/Qp, "
            + "nothing clipped; the paper's, the default) or mse (the clip ratio with the least squared rounding error; measured worse "
            + "on ethanol, see docs/quantization.md)")
    String weightRange;

    @Option(names = "--activation-bits", paramLabel = "N", description = "bits of the scalar activations (default: 8, as --bits says); "
            + "other widths are for measuring what precision a target needs: only 8 exports to an integer model")
    Integer activationBits;

    @Option(names = "--vector-bits", paramLabel = "N", description = "bits of the vector activations: MDDQ magnitudes (directions: "
            + "--direction-bits) or the naive scheme's components (default: 8)")
    Integer vectorBits;

    /** {@code spec} with the options given on the command line; what is not given stays as in {@code spec}. */
    QuantizationSpec applyTo(QuantizationSpec spec) {
        if (fp32Sites != null) spec = spec.withFullPrecisionSites(fp32Sites);
        if (perChannel) spec = spec.withPerChannel(true);
        if (gradient != null) spec = spec.withGradient(QuantizationNames.gradient(gradient));
        if (weightRange != null) spec = spec.withWeightRange(QuantizationNames.weightRange(weightRange));
        if (activationBits != null) spec = spec.withActivationBits(activationBits);
        if (vectorBits != null) spec = spec.withVectorBits(vectorBits);
        return spec;
    }
}
