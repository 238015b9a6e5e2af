package org.gaq.tensor;

import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks of first and second derivatives of any tensor function.
 *
 * <p>Tensors are float32, so the checks are designed around float rounding: the probe scalar
 * L = Σ w ⊙ f(x) is summed in double from the float outputs, central differences use h = 1e-2
 * (truncation error ~h²·f'''/6 ≈ 1e-5 for the O(1) functions tested), and rounding noise is
 * ~ε32·|L|/h ≈ 1e-7·10/1e-2 = 1e-4. The tolerance |fd − analytic| ≤ ABS + REL·|analytic| with
 * ABS = 3e-3, REL = 1e-2 sits an order of magnitude above both, and far below any real error (a
 * wrong rule is off by O(1)).
 */
final class GradCheck {
    static final double H = 1e-2;
    static final double ABS = 3e-3;
    static final double REL = 1e-2;

    private GradCheck() {}

    /** Checks ∂L/∂x_k for every input k and every entry, L = Σ w ⊙ f(x). */
    static void first(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        SplittableRandom rng = new SplittableRandom(what.hashCode());
        Tensor out = f.apply(inputs);
        Tensor w = Tensor.randn(rng, 1f, out.shape());
        Tensor loss = out.mul(w).sum();
        Tensor[] analytic = Autograd.grad(loss, inputs, false);
        for (int k = 0; k < inputs.length; k++) {
            final int kk = k;
            compare(what + " d/dx" + k, analytic[k], inputs, k,
                    xs -> probe(f.apply(xs), w));
        }
    }

    /**
     * Checks the second derivatives: G = Σ_k v_k ⊙ ∂L/∂x_k (with analytic first derivatives), and
     * ∂G/∂x_j from the graph of the gradient (createGraph) against finite differences of G.
     */
    static void second(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        SplittableRandom rng = new SplittableRandom(what.hashCode() * 31L + 7);
        Tensor out = f.apply(inputs);
        Tensor w = Tensor.randn(rng, 1f, out.shape());
        Tensor[] v = new Tensor[inputs.length];
        for (int k = 0; k < inputs.length; k++) v[k] = Tensor.randn(rng, 1f, inputs[k].shape());

        Tensor[] g1 = Autograd.grad(f.apply(inputs).mul(w).sum(), inputs, true);
        Tensor gg = Tensor.scalar(0f);
        for (int k = 0; k < inputs.length; k++) gg = gg.add(g1[k].mul(v[k]).sum());
        Tensor[] analytic = Autograd.grad(gg, inputs, false);

        for (int j = 0; j < inputs.length; j++) {
            compare(what + " d2/dx" + j, analytic[j], inputs, j, xs -> {
                Tensor[] g = Autograd.grad(f.apply(xs).mul(w).sum(), xs, false);
                double s = 0;
                for (int k = 0; k < xs.length; k++) {
                    float[] gd = g[k].data(), vd = v[k].data();
                    for (int i = 0; i < gd.length; i++) s += (double) gd[i] * vd[i];
                }
                return s;
            });
        }
    }

    static double probe(Tensor out, Tensor w) {
        double s = 0;
        float[] o = out.data(), wd = w.data();
        for (int i = 0; i < o.length; i++) s += (double) o[i] * wd[i];
        return s;
    }

    private static void compare(String what, Tensor analytic, Tensor[] inputs, int k, Function<Tensor[], Double> scalar) {
        float[] base = inputs[k].toArray();
        for (int i = 0; i < base.length; i++) {
            double fd = (eval(scalar, inputs, k, base, i, +H) - eval(scalar, inputs, k, base, i, -H)) / (2 * H);
            double an = analytic.data()[i];
            assertTrue(Math.abs(fd - an) <= ABS + REL * Math.abs(an),
                    what + "[" + i + "]: analytic " + an + " vs finite difference " + fd);
        }
    }

    private static double eval(Function<Tensor[], Double> scalar, Tensor[] inputs, int k, float[] base, int i, double h) {
        Tensor[] xs = inputs.clone();
        float[] d = base.clone();
        d[i] = (float) (base[i] + h);
        xs[k] = Tensor.leaf(d, inputs[k].shape());
        return scalar.apply(xs);
    }

    static Tensor rand(SplittableRandom rng, float lo, float hi, int... shape) {
        float[] d = new float[Shape.size(shape)];
        for (int i = 0; i < d.length; i++) d[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return Tensor.leaf(d, shape);
    }
}
