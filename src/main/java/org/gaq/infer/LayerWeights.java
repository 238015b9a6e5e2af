package org.gaq.infer;

/** The parameters of one interaction layer: products as {@link Projection}s, the rest FP32. */
record LayerWeights(float[] normGamma, float[] normBeta,
                    Projection query, Projection key, Projection value, float[] valueBias,
                    Projection vectorMix, Projection radialFilter, float[] radialFilterBias, Projection radialBias,
                    float[] temperature, Projection output, float[] outputBias) {
}
