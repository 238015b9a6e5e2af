package org.gaq.infer;

import org.gaq.model.EquivariantTransformer;
import org.gaq.model.EdgeGeometry;
import org.gaq.model.ModelConfig;
import org.gaq.model.Radial;
import org.gaq.modelfile.ModelFile;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The tabulated radial channels against the products they replace, on edge lengths from 0.3 Å to r_c: values to
 * float rounding, ∂/∂d within 1e-5 of its largest value, and the table's ∂/∂d the derivative of its own values
 * (so forces stay the exact gradient of the engine's energy).
 */
class RadialTableTest {

    /** Edges of lengths d[0..]: atom 2e at the origin and atom 2e+1 at distance d[e] along a fixed direction. */
    private static Workspace edges(double[] d, ModelConfig c, boolean basis) {
        int e = d.length;
        Workspace ws = new Workspace(c.features(), c.heads(), c.radialBasis(), 1, basis);
        ws.ensure(2 * e, e, 1);
        ws.withForces = true;
        double[] positions = new double[6 * e];
        int[] center = new int[e], neighbor = new int[e];
        for (int k = 0; k < e; k++) {
            center[k] = 2 * k;
            neighbor[k] = 2 * k + 1;
            positions[6 * k + 3] = d[k] * 0.6;
            positions[6 * k + 4] = d[k] * 0.8;
        }
        EdgeGeometry geometry = new EdgeGeometry(c.cutoff(), c.radialBasis());
        geometry.edges(positions, center, neighbor, e, ws.unit, ws.distance, ws.expDistance, ws.cutoff, ws.cutoffDerivative);
        if (basis) geometry.basis(ws.expDistance, e, ws.rbf, ws.rbfDerivative);
        return ws;
    }

    private record Layer(float[] filter, float[] filterBias, float[] bias) {}

    private static Layer layer(Map<String, Tensor> p, int l) {
        String lp = "layers." + l + ".";
        return new Layer(p.get(lp + "radial_filter.weight").data().clone(), p.get(lp + "radial_filter.bias").data().clone(),
                p.get(lp + "radial_bias.weight").data().clone());
    }

    /** Max deviations {value / max |value|, slope / max |slope|} of the table from the products, over many lengths. */
    private static double[] deviations(ModelConfig c, Layer layer) {
        int f3 = 3 * c.features(), h = c.heads(), k = c.radialBasis();
        double[] d = new double[4001];
        for (int i = 0; i < d.length; i++) d[i] = 0.3 + (c.cutoff() - 0.3 - 1e-4) * i / (d.length - 1);
        RadialTable table = new RadialTable(layer.filter, layer.filterBias, layer.bias, Radial.centres(k, c.cutoff()),
                Radial.width(k, c.cutoff()), c.cutoff());
        RadialProjection products = new RadialProjection(new Fp32Projection(layer.filter, k, f3), layer.filterBias,
                new Fp32Projection(layer.bias, k, h), new ScalarQuantization.None());
        Workspace wt = edges(d, c, false), wp = edges(d, c, true);
        float[] logitT = new float[d.length * h], logitP = new float[d.length * h];
        table.forward(wt, wt.layers[0], logitT);
        products.forward(wp, wp.layers[0], logitP);
        double maxValue = 0, maxValueDiff = 0;
        for (int i = 0; i < d.length * f3; i++) {
            maxValue = Math.max(maxValue, Math.abs(wp.layers[0].filter[i]));
            maxValueDiff = Math.max(maxValueDiff, Math.abs(wp.layers[0].filter[i] - wt.layers[0].filter[i]));
        }
        for (int i = 0; i < d.length * h; i++) {
            maxValue = Math.max(maxValue, Math.abs(logitP[i]));
            maxValueDiff = Math.max(maxValueDiff, Math.abs(logitP[i] - logitT[i]));
        }
        // ∂/∂d channel by channel: a one-hot ∂E/∂f (or ∂E/∂b) through each reverse pass
        double maxSlope = 0, maxSlopeDiff = 0;
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 24; trial++) {
            int channel = trial < 16 ? r.nextInt(f3) : f3 + r.nextInt(h);
            float[] gFilterT = new float[d.length * f3], gFilterP = new float[d.length * f3];
            float[] gLogit = new float[d.length * h];
            for (int e = 0; e < d.length; e++) {
                if (channel < f3) gFilterT[e * f3 + channel] = gFilterP[e * f3 + channel] = 1f;
                else gLogit[e * h + channel - f3] = 1f;
            }
            Arrays.fill(wt.gDistance, 0f);
            Arrays.fill(wp.gDistance, 0f);
            table.reverseAdd(wt, wt.layers[0], gFilterT, gLogit);
            products.reverseAdd(wp, wp.layers[0], gFilterP, gLogit);
            for (int e = 0; e < d.length; e++) {
                maxSlope = Math.max(maxSlope, Math.abs(wp.gDistance[e]));
                maxSlopeDiff = Math.max(maxSlopeDiff, Math.abs(wp.gDistance[e] - wt.gDistance[e]));
            }
        }
        return new double[]{maxValueDiff / maxValue, maxSlopeDiff / maxSlope};
    }

    @Test
    void randomLayerMatchesTheProducts() {
        ModelConfig c = ModelConfig.paper();
        EquivariantTransformer m = CompiledModelTest.randomModel(c, 11);
        for (int l = 0; l < 2; l++) {
            double[] dev = deviations(c, layer(m.parameters(), l));
            System.out.printf("random model, layer %d: value %.2e, slope %.2e of their largest%n", l, dev[0], dev[1]);
            assertTrue(dev[0] < 1e-6 && dev[1] < 1e-5, "value " + dev[0] + ", slope " + dev[1]);
        }
    }

    @Test
    void committedModelMatchesTheProducts() throws Exception {
        Path file = Path.of("models", "ethanol-fp32.safetensors");
        assumeTrue(Files.isRegularFile(file), "committed model not available");
        EquivariantTransformer m = ModelFile.load(file);
        for (int l = 0; l < m.config().layers(); l++) {
            double[] dev = deviations(m.config(), layer(m.parameters(), l));
            System.out.printf("ethanol model, layer %d: value %.2e, slope %.2e of their largest%n", l, dev[0], dev[1]);
            assertTrue(dev[0] < 1e-6 && dev[1] < 1e-5, "layer " + l + ": value " + dev[0] + ", slope " + dev[1]);
        }
    }

    /** The table's ∂f/∂d is the derivative of its interpolated f: central differences in double agree. */
    @Test
    void slopesAreTheDerivativeOfTheInterpolatedValues() {
        ModelConfig c = ModelConfig.paper();
        Layer layer = layer(CompiledModelTest.randomModel(c, 3).parameters(), 0);
        int f3 = 3 * c.features();
        RadialTable table = new RadialTable(layer.filter, layer.filterBias, layer.bias, Radial.centres(c.radialBasis(), c.cutoff()),
                Radial.width(c.radialBasis(), c.cutoff()), c.cutoff());
        SplittableRandom r = new SplittableRandom(9);
        double worst = 0, largest = 0;
        for (int trial = 0; trial < 200; trial++) {
            double d = 0.5 + 4.4 * r.nextDouble(), step = 1e-3;
            Workspace ws = edges(new double[]{d - step, d + step, d}, c, false);
            table.forward(ws, ws.layers[0], new float[3 * c.heads()]);
            float[] f = ws.layers[0].filter, slope = ws.layers[0].filterSlope;
            for (int ch = 0; ch < f3; ch++) {
                double numeric = (f[f3 + ch] - f[ch]) / (2 * step);
                largest = Math.max(largest, Math.abs(slope[2 * f3 + ch]));
                worst = Math.max(worst, Math.abs(numeric - slope[2 * f3 + ch]));
            }
        }
        // float values over a 2e-3 Å difference: ~1e-7/1e-3 of rounding, and the second-order term of the cubic
        assertTrue(worst < 2e-3 * largest, "worst " + worst + " against largest slope " + largest);
    }
}
