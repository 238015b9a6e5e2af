package org.gaq.train.compiled;

import org.gaq.model.EquivariantTransformer;
import org.gaq.model.QuantizationSites.Weight;
import org.gaq.tensor.kernels.Matmul;

import java.util.Map;

/**
 * The arrays of one interaction layer's parameters, by role: the values the products use (the model's own arrays, or
 * a fake-quantized model's rounded weights), their gradients, or the transposed weights of the reverse products.
 * Weights are [in × out] row-major as the model stores them; {@link #transposed} gives [out × in].
 */
record LayerParameters(float[] gain, float[] beta, float[] query, float[] key, float[] value, float[] valueBias,
                       float[] vectorMix, float[] radialFilter, float[] radialFilterBias, float[] radialBias,
                       float[] temperature, float[] output, float[] outputBias) {

    static final float ATTENTION_NORM_EPS_SQUARED = EquivariantTransformer.ATTENTION_NORM_EPS * EquivariantTransformer.ATTENTION_NORM_EPS;

    /** The names of layer {@code l}'s parameters in the order of this record's components. */
    static String[] names(int l) {
        String lp = "layers." + l + ".";
        return new String[]{lp + "norm.gamma", lp + "norm.beta", Weight.QUERY.in(l), Weight.KEY.in(l), Weight.VALUE.in(l),
                lp + "value.bias", Weight.VECTOR_MIX.in(l), Weight.RADIAL_FILTER.in(l), lp + "radial_filter.bias",
                Weight.RADIAL_BIAS.in(l), lp + "temperature", Weight.OUTPUT.in(l), lp + "output.bias"};
    }

    /** Layer {@code l}'s arrays out of {@code arrays} (a parameter's values or gradient by its name). */
    static LayerParameters of(int l, Map<String, float[]> arrays) {
        String[] n = names(l);
        float[][] a = new float[n.length][];
        for (int i = 0; i < n.length; i++) {
            a[i] = arrays.get(n[i]);
            if (a[i] == null) throw new IllegalArgumentException("the model has no parameter " + n[i]);
        }
        return new LayerParameters(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]);
    }

    /** The weights transposed ([out × in]) into {@code into} (null: new arrays); biases and vectors are not kept. */
    LayerParameters transposed(int f, int basis, int heads, LayerParameters into) {
        LayerParameters t = into != null ? into : new LayerParameters(null, null, new float[f * f], new float[f * f],
                new float[3 * f * f], null, new float[3 * f * f], new float[3 * f * basis], null, new float[heads * basis],
                null, new float[3 * f * f], null);
        Matmul.transpose(query, f, f, t.query);
        Matmul.transpose(key, f, f, t.key);
        Matmul.transpose(value, f, 3 * f, t.value);
        Matmul.transpose(vectorMix, f, 3 * f, t.vectorMix);
        Matmul.transpose(radialFilter, basis, 3 * f, t.radialFilter);
        Matmul.transpose(radialBias, basis, heads, t.radialBias);
        Matmul.transpose(output, f, 3 * f, t.output);
        return t;
    }
}
