package org.gaq.model;

/**
 * Sizes and switches of the equivariant transformer (design notes §3, docs/model.md).
 *
 * @param features         F: scalar channels per atom, and vector channels (each a 3-vector)
 * @param layers           number of attention layers
 * @param heads            H: attention heads; F must be divisible by H
 * @param radialBasis      K: PhysNet radial basis functions
 * @param cutoff           r_c in Å
 * @param cosineAttention  true: L2-normalised queries and keys with a learned temperature (the paper's
 *                         robust attention); false: plain q·k/√d (the ablation)
 * @param maxAtomicNumber  largest element the embedding table holds
 */
public record ModelConfig(int features, int layers, int heads, int radialBasis, double cutoff,
                          boolean cosineAttention, int maxAtomicNumber) {

    public ModelConfig {
        if (features <= 0 || layers <= 0 || heads <= 0 || radialBasis <= 0 || cutoff <= 0 || maxAtomicNumber <= 0) {
            throw new IllegalArgumentException("model sizes must be positive: " + this);
        }
        if (features % heads != 0) {
            throw new IllegalArgumentException("features (" + features + ") must be divisible by heads (" + heads + ")");
        }
    }

    /** The design-notes model: 64 + 64 channels, 6 layers, 8 heads, 32 RBF, 5 Å. */
    public static ModelConfig paper() {
        return new ModelConfig(64, 6, 8, 32, 5.0, true, 18);
    }

    public int headDim() {
        return features / heads;
    }
}
