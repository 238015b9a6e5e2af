package org.gaq.quant;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.gaq.tensor.Autograd;
import org.gaq.tensor.Functional;
import org.gaq.tensor.GradMode;
import org.gaq.tensor.StraightThrough;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A force-trained model differentiates the quantizers twice: F = −∂E/∂R on the graph, then
 * ∂loss(F)/∂θ. A tiny model: vector features h_{a,:,c} = θ_c·R_a, MDDQ, a scalar invariant
 * e = Q(h)·h quantized by LSQ, E = Σ SiLU(e), loss = Σ F².
 *
 * <p>What the straight-through estimator means at second order: every derivative, of any order,
 * is the exact derivative of the <em>surrogate</em> in which each round(x) is replaced by
 * x + (round(x₀) − x₀) with the offset frozen at the evaluation point. (Finite differences of the
 * STE forces themselves would treat the rounded values as constants, which the STE does not.) So
 * the test builds that surrogate from plain differentiable ops and asks for the same parameter
 * gradients, and checks the surrogate's ∂loss/∂θ against central differences.
 */
class SecondOrderQuantTest {
    private static final int ATOMS = 3, CHANNELS = 2;

    /** Offsets round(x₀) − x₀ of the three roundings (magnitude, direction, scalar), frozen at the first call. */
    private static final class Offsets {
        Tensor magnitude, direction, scalar;
    }

    private static Tensor loss(Tensor positions, Tensor theta, MddqQuantizer vectors, LsqQuantizer scalars, Offsets surrogate) {
        Tensor h = positions.reshape(ATOMS, 3, 1).mul(theta);                       // [N, 3, F]
        Tensor q = surrogate == null ? vectors.apply(h) : surrogateMddq(h, vectors, surrogate);
        Tensor dot = q.mul(h).sum(1, true);                                         // [N, 1, F], invariant
        Tensor e = surrogate == null ? scalars.apply(dot) : surrogateLsq(dot, scalars, surrogate);
        Tensor energy = e.silu().sum();
        Tensor forces = Autograd.grad(energy, new Tensor[]{positions}, true)[0].neg();
        return forces.square().sum();
    }

    private static Tensor surrogateMddq(Tensor h, MddqQuantizer mddq, Offsets o) {
        LsqQuantizer qr = mddq.magnitude();
        float levels = (float) (1 / mddq.directionStep());
        Tensor s = StraightThrough.scaleGrad(qr.step(), (float) (1 / Math.sqrt((double) qr.qp() * ATOMS * CHANNELS)));
        Tensor r = Functional.norm(h, 1, true, 0f);
        Tensor u = h.div(r);
        if (o.magnitude == null) o.magnitude = residual(r.div(s));
        if (o.direction == null) o.direction = residual(u.mul(levels));
        Tensor rq = r.div(s).add(o.magnitude).mul(s);
        Tensor d = u.mul(levels).add(o.direction).mul(1f / levels);
        return d.div(Functional.norm(d, 1, true, 0f)).mul(rq);
    }

    private static Tensor surrogateLsq(Tensor x, LsqQuantizer lsq, Offsets o) {
        Tensor s = StraightThrough.scaleGrad(lsq.step(), (float) (1 / Math.sqrt((double) lsq.qp() * x.size())));
        if (o.scalar == null) o.scalar = residual(x.div(s));
        return x.div(s).add(o.scalar).mul(s);
    }

    /** round(x) − x as a constant (inputs here stay inside the clamp ranges). */
    private static Tensor residual(Tensor x) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            float[] v = x.toArray();
            for (int i = 0; i < v.length; i++) {
                assertTrue(Math.abs(v[i]) < 127, "test inputs must stay inside the clamp range: " + v[i]);
                v[i] = (float) (Math.rint(v[i]) - v[i]);
            }
            return Tensor.of(v, x.shape());
        }
    }

    @Test
    void forceLossGradientsAreExactSecondDerivativesOfTheStraightThroughSurrogate() {
        SplittableRandom rng = new SplittableRandom(1);
        float[] r = new float[ATOMS * 3];
        for (int i = 0; i < r.length; i++) r[i] = (float) rng.nextGaussian();
        Tensor positions = Tensor.leaf(r, ATOMS, 3);
        float[] th = {0.7f, -1.3f};
        for (boolean geometric : new boolean[]{false, true}) {
            MddqQuantizer vectors = new MddqQuantizer(8, 4, 0.05, geometric);
            LsqQuantizer scalars = LsqQuantizer.signed(8, 0.5);        // |e| < 63.5: no clipping
            Tensor theta = Tensor.leaf(th, 1, 1, CHANNELS);
            Tensor[] params = {theta, vectors.magnitude().step(), scalars.step()};

            Tensor[] real = Autograd.grad(loss(positions, theta, vectors, scalars, null), params, false);
            Offsets offsets = new Offsets();
            Tensor surrogateLoss = loss(positions, theta, vectors, scalars, offsets);
            Tensor[] smooth = Autograd.grad(surrogateLoss, params, false);

            for (int p = 0; p < params.length; p++) {
                for (float x : real[p].data()) assertTrue(Float.isFinite(x), Arrays.toString(real[p].data()));
                assertTrue(Math.abs(real[p].data()[0]) > 1e-4, "parameter " + p + " gets a gradient through the forces");
                for (int i = 0; i < real[p].size(); i++) {
                    float a = real[p].data()[i], b = smooth[p].data()[i];
                    assertEquals(b, a, 1e-3 * (1 + Math.abs(b)), "geometric=" + geometric + " parameter " + p + "[" + i + "]");
                }
            }

            // the surrogate is smooth: its ∂loss/∂θ is the central difference (same frozen offsets)
            double delta = 1e-3;
            for (int c = 0; c < CHANNELS; c++) {
                double[] l = new double[2];
                for (int sgn = 0; sgn < 2; sgn++) {
                    float[] t = th.clone();
                    t[c] += (float) (sgn == 0 ? delta : -delta);
                    l[sgn] = loss(positions, Tensor.leaf(t, 1, 1, CHANNELS), vectors, scalars, offsets).item();
                }
                double fd = (l[0] - l[1]) / (2 * delta);
                double an = smooth[0].data()[c];
                assertEquals(fd, an, 5e-3 + 1e-2 * Math.abs(an), "surrogate ∂loss/∂θ_" + c);
            }
        }
    }
}
