package org.gaq.train;

import org.gaq.quant.Calibrator;
import org.gaq.data.Dataset;
import org.gaq.data.NeighborList;
import org.gaq.data.Split;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.QuantizationSpec;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Metrics against another model's predictions (gaq eval --against). */
class MetricsTest {
    @Test
    void aModelAgainstItselfHasNoErrorAndAgainstItsParentTheDifferenceOfTheirPredictions() throws Exception {
        Split split = TrainerTest.split();
        Dataset data = split.validation();
        EquivariantTransformer parent = new EquivariantTransformer(TrainerTest.TINY, 7);
        ElementEnergies.fit(split.train(), parent.elementShift(), parent.elementScale());
        Metrics.Result self = Metrics.evaluate(parent, Metrics.relabelled(parent, data, 3), 4, 0, 1, null);
        // zero up to float rounding (other batches: other summation orders)
        assertEquals(0, self.energyMaeMeV(), 1e-3);
        assertEquals(0, self.forceMaeMeVPerA(), 1e-3);

        EquivariantTransformer quantized = new EquivariantTransformer(TrainerTest.TINY, 7);   // the same weights, then quantized
        ElementEnergies.fit(split.train(), quantized.elementShift(), quantized.elementScale());
        Calibrator.calibrate(quantized, QuantizationSpec.w4a8(), split.train().frames().subList(0, 8), 4);
        Metrics.Result r = Metrics.evaluate(quantized, Metrics.relabelled(parent, data, 5), 4, 0, 1, null);
        var g = NeighborList.batch(data.frames(), 5.0);
        double[] eq = quantized.predict(g, false).energies(), ep = parent.predict(g, false).energies();
        float[] fq = quantized.predict(g, false).forces().data(), fp = parent.predict(g, false).forces().data();
        double e = 0, f = 0;
        for (int m = 0; m < eq.length; m++) e += Math.abs(eq[m] - ep[m]);
        for (int i = 0; i < fq.length; i++) f += Math.abs(fq[i] - fp[i]);
        assertTrue(r.energyMaeMeV() > 0 && r.forceMaeMeVPerA() > 0, "quantization changes the predictions");
        assertEquals(1000 * e / eq.length, r.energyMaeMeV(), 1e-3);
        assertEquals(1000 * f / fq.length, r.forceMaeMeVPerA(), 1e-3);
    }
}
