/**
 * Fake quantization: a {@link org.gaq.quant.QuantizationSpec} (what to quantize), calibrated by a
 * {@link org.gaq.quant.Calibrator} into a {@link org.gaq.quant.QuantizationPlan} (one quantizer per site of
 * {@code org.gaq.model.QuantizationSites}), saved and read by {@link org.gaq.quant.ModelFiles}. Quantization is kept
 * as three separate concepts (as in PyTorch's toolkit):
 * <ul>
 *   <li><b>observers</b> ({@link org.gaq.quant.Observer}) collect statistics during calibration and
 *       suggest a step size;</li>
 *   <li><b>fake-quantizers</b> ({@link org.gaq.quant.FakeQuantizer}: {@link org.gaq.quant.LsqQuantizer},
 *       {@link org.gaq.quant.MddqQuantizer}, {@link org.gaq.quant.LocalFrameQuantizer}, {@link org.gaq.quant.ComponentwiseVectorQuantizer},
 *       {@link org.gaq.quant.WeightQuantizer}) quantize and dequantize inside the autodiff graph for
 *       quantization-aware training — built only from differentiable core ops, so forces
 *       (−∂E/∂R) and their parameter gradients flow through them;</li>
 *   <li>integer execution, in {@code org.gaq.engine} ({@code IntegerSites}, {@code IntegerLinear});
 *       {@link org.gaq.quant.QuantizedWeight} holds the integer codes and scales it consumes.</li>
 * </ul>
 * Numerics and equations: docs/quantization.md.
 */
package org.gaq.quant;
