package org.gaq.infer;

/** The parameters of one interaction layer but its radial channels ({@link RadialChannels}): products as {@link Projection}s, the rest FP32. */
record LayerWeights(float[] normGamma, float[] normBeta,
                    Projection query, Projection key, Projection value, float[] valueBias,
                    Projection vectorMix, float[] temperature, Projection output, float[] outputBias) {
}
