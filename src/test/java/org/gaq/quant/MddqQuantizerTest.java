package org.gaq.quant;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.gaq.tensor.Autograd;
import org.gaq.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.gaq.quant.Vectors.*;
import static org.junit.jupiter.api.Assertions.*;

class MddqQuantizerTest {

    /** N·F random vectors with norms log-uniform in [lo, hi]. */
    private static double[][][] randomVectors(SplittableRandom rng, int n, int f, double lo, double hi) {
        double[][][] v = new double[n][f][];
        for (int a = 0; a < n; a++)
            for (int c = 0; c < f; c++) {
                double r = lo * Math.exp(rng.nextDouble() * Math.log(hi / lo));
                double[] u = randomUnit(rng);
                v[a][c] = new double[]{r * u[0], r * u[1], r * u[2]};
            }
        return v;
    }

    /**
     * ‖Q(h)‖ = Q_r(r), so |‖Q(h)‖ − r| ≤ s_r/2 inside the range. Direction: each component of
     * Q_d(û) is within δ/2 of û's, so ‖Q_d(û) − û‖ ≤ √3·δ/2, and a vector within distance d &lt; 1 of
     * the unit vector û makes an angle θ with it of at most arcsin(d); renormalising keeps the
     * angle. Bound: θ ≤ arcsin(√3·δ/2) = 0.00682 rad at 8 bits (δ = 1/127), 0.124 rad at 4 bits
     * (δ = 1/7), plus 1e-5 for float32 arithmetic.
     */
    @Test
    void magnitudeWithinHalfStepAndAngleWithinDerivedBound() {
        double sr = 0.05;                                    // 8-bit unsigned: range 255·0.05 = 12.75
        for (int directionBits : new int[]{8, 4}) {
            MddqQuantizer q = new MddqQuantizer(8, directionBits, sr);
            double delta = q.directionStep();
            double angleBound = Math.asin(Math.sqrt(3) * delta / 2);
            double[][][] v = randomVectors(new SplittableRandom(directionBits), 200, 8, 0.1, 10);
            Tensor out = q.apply(features(v, false));
            double maxAngle = 0, maxMagErr = 0;
            for (int a = 0; a < v.length; a++)
                for (int c = 0; c < v[0].length; c++) {
                    double[] qv = vector(out, a, c);
                    double magErr = Math.abs(norm(qv) - norm(v[a][c]));
                    double angle = angle(v[a][c], qv);
                    assertTrue(magErr <= sr / 2 + 1e-5, "magnitude error " + magErr);
                    assertTrue(angle <= angleBound + 1e-5, directionBits + " bits: angle " + angle + " > bound " + angleBound);
                    maxAngle = Math.max(maxAngle, angle);
                    maxMagErr = Math.max(maxMagErr, magErr);
                }
            assertTrue(maxAngle > 0.3 * angleBound, "the bound is not vacuous: max angle " + maxAngle + " of " + angleBound);
            assertTrue(maxMagErr > 0.4 * sr, "magnitudes really are rounded: max error " + maxMagErr);
        }
    }

    /**
     * Vectors of norm 3·s (s the component step): per-component rounding moves each component by
     * up to s/2, i.e. by up to 1/6 of the length, and sends components below s/2 to zero. MDDQ
     * with the same magnitude step rounds only the length, and the 8-bit direction is within 0.4°.
     */
    @Test
    void shortVectorsKeepTheirDirectionUnderMddqButNotComponentwise() {
        double s = 0.05;
        for (int bits : new int[]{8, 4}) {
            MddqQuantizer mddq = new MddqQuantizer(bits, bits, s);
            ComponentwiseVectorQuantizer naive = new ComponentwiseVectorQuantizer(bits, s);
            double[][][] v = randomVectors(new SplittableRandom(7 + bits), 500, 4, 3 * s, 3 * s);
            Tensor h = features(v, false);
            Tensor qm = mddq.apply(h), qc = naive.apply(h);
            double cosMddq = 0, cosNaive = 0;
            int count = 0;
            for (int a = 0; a < v.length; a++)
                for (int c = 0; c < v[0].length; c++) {
                    cosMddq += cosine(v[a][c], vector(qm, a, c));
                    cosNaive += cosine(v[a][c], vector(qc, a, c));
                    count++;
                }
            cosMddq /= count;
            cosNaive /= count;
            double floor = bits == 8 ? Math.cos(0.0069) : Math.cos(0.124);   // the angle bounds above
            assertTrue(cosMddq >= floor, bits + " bits: MDDQ mean cosine " + cosMddq);
            assertTrue(cosNaive < 0.995, bits + " bits: component-wise mean cosine " + cosNaive + " (the test needs a visible skew)");
            assertTrue(cosMddq > cosNaive, bits + " bits: MDDQ " + cosMddq + " vs component-wise " + cosNaive);
        }
    }

    /**
     * Equivariance error E‖Q(Rh) − R·Q(h)‖ over random rotations, at the same 8-bit budget and
     * min-max calibration (component step max|h_i|/127, magnitude step max‖h‖/255). The magnitude
     * part of MDDQ is exactly invariant; only the direction grid is not.
     */
    @Test
    void mddqCommutesWithRotationsBetterThanComponentwise() {
        SplittableRandom rng = new SplittableRandom(11);
        double[][][] v = randomVectors(rng, 100, 8, 0.05, 2);
        Tensor h = features(v, false);
        MinMaxObserver components = new MinMaxObserver(Signedness.SIGNED);
        components.observe(h);
        MinMaxObserver norms = new MinMaxObserver(Signedness.UNSIGNED);
        norms.observe(MddqQuantizer.magnitudes(h));
        MddqQuantizer mddq = new MddqQuantizer(8, 8, 1);
        mddq.magnitude().initFrom(norms);
        ComponentwiseVectorQuantizer naive = new ComponentwiseVectorQuantizer(8, 1);
        naive.components().initFrom(components);

        double errMddq = 0, errNaive = 0;
        int count = 0;
        for (int trial = 0; trial < 10; trial++) {
            double[] rot = randomRotation(rng);
            Tensor rh = rotate(h, rot);
            Tensor m1 = mddq.apply(rh), m2 = rotate(mddq.apply(h), rot);
            Tensor c1 = naive.apply(rh), c2 = rotate(naive.apply(h), rot);
            for (int a = 0; a < v.length; a++)
                for (int c = 0; c < v[0].length; c++) {
                    errMddq += distance(vector(m1, a, c), vector(m2, a, c));
                    errNaive += distance(vector(c1, a, c), vector(c2, a, c));
                    count++;
                }
        }
        errMddq /= count;
        errNaive /= count;
        assertTrue(errMddq < errNaive, "mean ‖Q(Rh) − RQ(h)‖: MDDQ " + errMddq + " vs component-wise " + errNaive);
    }

    private static double distance(double[] a, double[] b) {
        return norm(new double[]{a[0] - b[0], a[1] - b[1], a[2] - b[2]});
    }

    @Test
    void zeroVectorsMapToExactZeroWithFiniteGradientsOfBothOrders() {
        double[][][] v = {{{0, 0, 0}, {0.3, -0.2, 0.9}}, {{1e-13, 0, 0}, {1e-6, 2e-6, 0}}};
        for (boolean geometric : new boolean[]{false, true}) {
            MddqQuantizer q = new MddqQuantizer(8, 8, 0.01, geometric);
            Tensor h = features(v, true);
            Tensor out = q.apply(h);
            for (double[] zero : new double[][]{vector(out, 0, 0), vector(out, 1, 0), vector(out, 1, 1)}) {
                for (double x : zero) assertTrue(x == 0, "zero / tiny vectors quantize to 0, got " + Arrays.toString(zero));
            }
            assertTrue(norm(vector(out, 0, 1)) > 0.9);

            Tensor w = Tensor.of(new float[]{1, -2, 3, 0.5f, -1, 2, 1, 1, 1, -1, 2, -3}, 2, 3, 2);
            Tensor[] g1 = Autograd.grad(out.mul(w).sum(), new Tensor[]{h, q.magnitude().step()}, true);
            Tensor[] g2 = Autograd.grad(g1[0].square().sum().add(g1[1].sum()), new Tensor[]{h, q.magnitude().step()}, false);
            for (Tensor g : new Tensor[]{g1[0], g1[1], g2[0], g2[1]}) {
                for (float x : g.data()) assertTrue(Float.isFinite(x), "gradient " + Arrays.toString(g.data()));
            }
            for (int k = 0; k < 3; k++) assertEquals(0f, vector(g1[0], 0, 0)[k], 0f, "no gradient at the zero vector");
        }
    }

    /**
     * The straight-through gradient is the exact derivative of the smooth function in which each
     * rounding round(x) is replaced by x + (round(x₀) − x₀), the offset frozen at the evaluation
     * point x₀: identity through the roundings, exact through norms and normalisations. Checked
     * against central differences of that function evaluated in double, for h and for s_r (whose
     * gradient also carries LSQ's scale 1/√(Qp·numel)).
     */
    @Test
    void gradientIsStraightThroughRoundingAndExactThroughNormalisation() {
        int n = 4, f = 3, directionBits = 4, qp = 255;
        double sr = 0.05;
        SplittableRandom rng = new SplittableRandom(5);
        double[][][] v = randomVectors(rng, n, f, 0.5, 2);
        double[] w = new double[n * 3 * f];
        for (int i = 0; i < w.length; i++) w[i] = rng.nextGaussian();
        Tensor wt = Tensor.of(w, n, 3, f);
        for (boolean geometric : new boolean[]{false, true}) {
            MddqQuantizer q = new MddqQuantizer(8, directionBits, sr, geometric);
            Tensor h = features(v, true);
            Tensor[] g = Autograd.grad(q.apply(h).mul(wt).sum(), new Tensor[]{h, q.magnitude().step()}, false);
            double levels = 1 / q.directionStep();
            double expectedStepGrad = 0;
            for (int a = 0; a < n; a++)
                for (int c = 0; c < f; c++) {
                    double[] base = Arrays.stream(vector(h, a, c)).toArray();
                    double[] wv = {w[(a * 3) * f + c], w[(a * 3 + 1) * f + c], w[(a * 3 + 2) * f + c]};
                    for (int k = 0; k < 3; k++) {
                        double eps = 1e-6;
                        double[] plus = base.clone(), minus = base.clone();
                        plus[k] += eps;
                        minus[k] -= eps;
                        double fd = (dot(wv, frozen(plus, base, sr, levels)) - dot(wv, frozen(minus, base, sr, levels))) / (2 * eps);
                        double an = vector(g[0], a, c)[k];
                        assertEquals(fd, an, 1e-3 * (1 + Math.abs(fd)), "geometric=" + geometric + " ∂/∂h[" + a + "," + k + "," + c + "]");
                    }
                    double r0 = norm(base);
                    assertTrue(r0 / sr < qp);
                    double rOffset = Math.rint(r0 / sr) - r0 / sr;     // Q_r = (r/s + offset)·s ⇒ ∂Q_r/∂s = offset
                    double[] qv = frozen(base, base, sr, levels);
                    expectedStepGrad += rOffset * dot(wv, qv) / norm(qv);
                }
            expectedStepGrad /= Math.sqrt((double) qp * n * f);
            assertEquals(expectedStepGrad, g[1].item(), 1e-4 * (1 + Math.abs(expectedStepGrad)), "∂/∂s_r");
        }
    }

    /** Q(h) with every rounding replaced by "identity + offset frozen at base" (in range, no clamp). */
    private static double[] frozen(double[] h, double[] base, double sr, double levels) {
        double r0 = norm(base), r = norm(h);
        double qr = (r / sr + Math.rint(r0 / sr) - r0 / sr) * sr;
        double[] d = new double[3];
        for (int k = 0; k < 3; k++) {
            double u0 = base[k] / r0, u = h[k] / r;
            d[k] = (u * levels + Math.rint(u0 * levels) - u0 * levels) / levels;
        }
        double nd = norm(d);
        return new double[]{qr * d[0] / nd, qr * d[1] / nd, qr * d[2] / nd};
    }

    /** The geometric STE's backward is the tangent projection g − (g·û)û, so ∂/∂û ⟂ û. */
    @Test
    void geometricSteProjectsDirectionGradientOntoTangentSpace() {
        SplittableRandom rng = new SplittableRandom(3);
        double[][][] u = randomVectors(rng, 5, 2, 1, 1);
        Tensor ut = features(u, true);
        Tensor w = Tensor.randn(rng, 1f, 5, 3, 2);
        Tensor plain = MddqQuantizer.quantizeDirection(ut, 8, false);
        Tensor geo = MddqQuantizer.quantizeDirection(ut, 8, true);
        assertArrayEquals(plain.data(), geo.data(), 0f, "same forward");
        Tensor gPlain = Autograd.grad(plain.mul(w).sum(), new Tensor[]{ut}, false)[0];
        Tensor gGeo = Autograd.grad(geo.mul(w).sum(), new Tensor[]{ut}, false)[0];
        assertArrayEquals(w.data(), gPlain.data(), 0f, "plain STE is the identity");
        for (int a = 0; a < 5; a++)
            for (int c = 0; c < 2; c++) {
                double[] gw = vector(w, a, c), unit = u[a][c], gg = vector(gGeo, a, c);
                double radial = dot(gw, unit);
                for (int k = 0; k < 3; k++) assertEquals(gw[k] - radial * unit[k], gg[k], 1e-5);
                assertEquals(0, dot(gg, unit), 1e-5);
            }
    }

    /** Through h ↦ û = h/‖h‖ (Jacobian (I − ûûᵀ)/r) the projection is redundant: same ∂/∂h. */
    @Test
    void geometricSteLeavesTheGradientWithRespectToHUnchanged() {
        SplittableRandom rng = new SplittableRandom(9);
        Tensor h = features(randomVectors(rng, 6, 3, 0.2, 3), true);
        Tensor w = Tensor.randn(rng, 1f, 6, 3, 3);
        Tensor gPlain = Autograd.grad(new MddqQuantizer(8, 4, 0.05, false).apply(h).mul(w).sum(), new Tensor[]{h}, false)[0];
        Tensor gGeo = Autograd.grad(new MddqQuantizer(8, 4, 0.05, true).apply(h).mul(w).sum(), new Tensor[]{h}, false)[0];
        assertArrayEquals(gPlain.data(), gGeo.data(), 1e-4f);
    }

    @Test
    void disabledOrFullPrecisionIsIdentityAndBadShapesAreRejected() {
        Tensor h = features(randomVectors(new SplittableRandom(1), 2, 2, 0.1, 1), false);
        MddqQuantizer off = new MddqQuantizer(8, 8, 0.1);
        assertSame(h, new MddqQuantizer(32, 32, 0.1).apply(h));
        MddqQuantizer directionOnly = new MddqQuantizer(32, 8, 0.1);
        for (int a = 0; a < 2; a++)
            for (int c = 0; c < 2; c++) assertEquals(norm(vector(h, a, c)), norm(vector(directionOnly.apply(h), a, c)), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> off.apply(Tensor.zeros(2, 4, 1)));
        assertThrows(IllegalArgumentException.class, () -> new ComponentwiseVectorQuantizer(8, 0.1).apply(Tensor.zeros(6)));
    }
}
