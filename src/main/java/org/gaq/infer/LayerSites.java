package org.gaq.infer;

/**
 * The activation quantizers of one interaction layer, one per site of docs/quantization.md (FP32: None), but the
 * radial basis's, which belongs to the layer's {@link RadialProjection}.
 */
record LayerSites(VectorQuantization vectorIn, ScalarQuantization scalarIn,
                  ScalarQuantization attentionQuery, ScalarQuantization attentionKey,
                  ScalarQuantization scalarMessage, VectorQuantization vectorMessage) {

    static LayerSites fp32() {
        return new LayerSites(new VectorQuantization.None(), new ScalarQuantization.None(),
                new ScalarQuantization.None(), new ScalarQuantization.None(), new ScalarQuantization.None(),
                new VectorQuantization.None());
    }
}
