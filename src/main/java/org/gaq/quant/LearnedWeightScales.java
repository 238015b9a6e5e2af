package org.gaq.quant;

import org.gaq.model.QuantizationSites;
import org.gaq.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Learned multipliers of the weights' scales, for fine-tuning with frozen codes: weight W [in, out] gets α [groups, out]
 * (α = 1 to start), and its fake-quantized value becomes α_{g(i),j}·Q(W)_ij, so each group's scale max|W|/Qp becomes
 * α·max|W|/Qp while its codes stay as they are. The optimizer keeps α positive by training log α. {@link #bake} moves
 * them into the weights, so the model file format and the integer export do not change.
 */
final class LearnedWeightScales {
    private final WeightQuantizer quantizer;
    private final Map<String, Tensor> alphas = new LinkedHashMap<>();

    /** α = 1 for every quantized weight among {@code modelParameters}, in the model's parameter order. */
    LearnedWeightScales(WeightQuantizer quantizer, Map<String, Tensor> modelParameters) {
        if (quantizer.range() != WeightQuantizer.Range.MAX_ABS) {
            // baking relies on scale = max|W|/Qp scaling with W; an MSE-chosen clip ratio need not
            throw new IllegalStateException("learned weight scales need max-abs weight ranges, not " + quantizer.range());
        }
        this.quantizer = quantizer;
        modelParameters.forEach((name, w) -> {
            if (QuantizationSites.isQuantizedWeight(name)) {
                alphas.put(name, Tensor.ones(QuantizedWeight.groups(w.dim(0), quantizer.groupSize(w.dim(0))), w.dim(1)).asLeaf());
            }
        });
    }

    /** The trained tensors α, for the optimizer. */
    List<Tensor> tensors() {
        return List.copyOf(alphas.values());
    }

    /** {@code q} (the fake-quantized weight {@code name}) times its α expanded over its groups' rows; q itself if it has none. */
    Tensor apply(String name, Tensor q) {
        Tensor alpha = alphas.get(name);
        if (alpha == null) return q;
        int in = q.dim(0), size = quantizer.groupSize(in);
        int[] group = new int[in];
        for (int i = 0; i < in; i++) group[i] = i / size;
        return q.mul(alpha.gatherRows(group));
    }

    /**
     * Moves α into the latent weights, W_ij ← α_{g(i),j}·W_ij, and resets α to 1. Then max|W| of every group, hence its
     * scale, is multiplied by α, and round(W/scale), the codes, are the same (up to a float ulp at an exact rounding
     * tie), so the model computes what it computed before. With per-channel input steps s folded into the rows
     * (Q(diag(s)·W)) the same holds, since diag(s) and α act on different axes.
     */
    void bake(Map<String, Tensor> modelParameters) {
        alphas.forEach((name, alpha) -> {
            float[] w = modelParameters.get(name).leafData(), a = alpha.leafData();
            int in = modelParameters.get(name).dim(0), out = alpha.dim(1), size = quantizer.groupSize(in);
            for (int i = 0; i < in; i++) {
                for (int j = 0; j < out; j++) w[i * out + j] *= a[(i / size) * out + j];
            }
            Arrays.fill(a, 1f);
        });
    }
}
