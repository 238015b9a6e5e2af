package org.gaq.train;

import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.Tensor;

import java.util.Map;
import java.util.function.IntFunction;

/**
 * Finds the first NaN or infinity in what a training step produced or is about to save: one bad
 * frame (coincident atoms) or a far too large learning rate makes the loss NaN, and one Adam update
 * with NaN gradients turns every weight NaN. Each method returns a short description, or null if
 * everything is finite.
 */
final class FiniteCheck {
    private FiniteCheck() {}

    /** The loss and the summed gradients of one step ({@code names} names gradient p). */
    static String step(double loss, float[][] gradients, IntFunction<String> names) {
        if (!Double.isFinite(loss)) return "the loss is " + loss;
        for (int p = 0; p < gradients.length; p++) {
            float[] g = gradients[p];
            for (float v : g) {
                if (!Float.isFinite(v)) return "the gradient of " + names.apply(p) + " holds " + v;
            }
        }
        return null;
    }

    /** The model's parameters and per-element energy shifts and scales. */
    static String model(EquivariantTransformer model) {
        for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) {
            for (float v : e.getValue().data()) {
                if (!Float.isFinite(v)) return "parameter " + e.getKey() + " holds " + v;
            }
        }
        for (float v : model.elementShift()) if (!Float.isFinite(v)) return "an element energy shift is " + v;
        for (float v : model.elementScale()) if (!Float.isFinite(v)) return "an element energy scale is " + v;
        return null;
    }
}
