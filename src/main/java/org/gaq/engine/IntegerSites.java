package org.gaq.engine;

import org.gaq.model.ActivationSites;
import org.gaq.quant.QuantizationPlan;
import org.gaq.tensor.Tensor;

import java.util.Map;

/**
 * Integer execution of the model (the third concept next to observers and fake-quantizers): the
 * activation sites quantize exactly as the QAT model's {@link QuantizationPlan} did, and every product
 * with a quantized weight runs in an {@link IntegerLinear}, which holds the weight's codes; the model
 * itself keeps only its FP32 parameters (embedding, norms, biases, attention temperatures, energy head).
 */
public final class IntegerSites implements ActivationSites {
    private final QuantizationPlan activations;
    private final Map<String, IntegerLinear> layers;

    public IntegerSites(QuantizationPlan activations, Map<String, IntegerLinear> layers) {
        if (activations.calibrating()) throw new IllegalArgumentException("the activation plan must be calibrated");
        this.activations = activations;
        this.layers = Map.copyOf(layers);
    }

    @Override
    public Tensor scalar(String site, Tensor x) {
        return activations.scalar(site, x);
    }

    @Override
    public Tensor vector(String site, Tensor v) {
        return activations.vector(site, v);
    }

    @Override
    public Tensor project(String weightName, int third, Tensor x) {
        IntegerLinear layer = layers.get(weightName);
        if (layer == null) throw new IllegalStateException("no integer layer for weight " + weightName);
        return layer.apply(third, x);
    }

    public QuantizationPlan activations() {
        return activations;
    }

    public Map<String, IntegerLinear> layers() {
        return layers;
    }

    /** Weight bytes held by the integer layers. */
    public long residentWeightBytes() {
        long b = 0;
        for (IntegerLinear l : layers.values()) b += l.residentBytes();
        return b;
    }

    /**
     * The activation site whose output a quantized weight reads (so the integer layer knows its input
     * step), or null for the vector mix, whose input (MDDQ vectors) is not on a uniform grid.
     */
    static String inputSite(String weightName) {
        int dot = weightName.indexOf('.', "layers.".length());
        String layer = weightName.substring(0, dot + 1), w = weightName.substring(dot + 1);
        return switch (w) {
            case "query.weight", "key.weight", "value.weight" -> layer + "scalar_in";
            case "radial_filter.weight", "radial_bias.weight" -> layer + "rbf_in";
            case "output.weight" -> layer + "scalar_message";
            case "vector_mix.weight" -> null;
            default -> throw new IllegalArgumentException("not a quantized weight: " + weightName);
        };
    }
}
