/**
 * Quantization building blocks, kept as three separate concepts (as in PyTorch's toolkit):
 * <ul>
 *   <li><b>observers</b> ({@link org.gaq.quant.Observer}) collect statistics during calibration and
 *       suggest a step size;</li>
 *   <li><b>fake-quantizers</b> ({@link org.gaq.quant.FakeQuantizer}: {@link org.gaq.quant.LsqQuantizer},
 *       {@link org.gaq.quant.MddqQuantizer}, {@link org.gaq.quant.LocalFrameQuantizer}, {@link org.gaq.quant.ComponentwiseVectorQuantizer},
 *       {@link org.gaq.quant.WeightQuantizer}) quantize and dequantize inside the autodiff graph for
 *       quantization-aware training — built only from differentiable core ops, so forces
 *       (−∂E/∂R) and their parameter gradients flow through them;</li>
 *   <li>converted integer layers (not in this package yet); {@link org.gaq.quant.QuantizedWeight}
 *       holds the integer codes and scales they will consume.</li>
 * </ul>
 * Numerics and equations: docs/quantization.md.
 */
package org.gaq.quant;
