package org.gaq.engine;

import org.gaq.quant.Signedness;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.gaq.quant.MddqQuantizer;
import org.gaq.tensor.Autograd;
import org.gaq.tensor.GradMode;
import org.gaq.tensor.StraightThrough;
import org.gaq.tensor.Tensor;
import java.util.Arrays;

/**
 * The MDDQ vector quantizer of integer execution ({@link MddqQuantizer#apply}, straight-through rounding,
 * no geometric STE) as one op: forward and backward are single passes over the vectors instead of the ~25
 * tensor ops (norms, divisions, the magnitude's LSQ, the direction rounding, the zero-vector mask) and
 * their backward rules that the training graph records. Every value is computed by the same IEEE
 * operations in the same order as those ops and their backward rules, and their gradient contributions
 * are summed in the order the autograd engine sums them, so energies and forces are bitwise those of the
 * composed ops (FusedLsqTest). The magnitude step is a constant here (integer execution does not learn it).
 * Under {@code createGraph} the backward differentiates the composed ops instead.
 */
public final class FusedMddq {
    private FusedMddq() {}

    /** With {@code identityGradient} (the plan's {@code Gradient.IDENTITY}) the backward passes the gradient through unchanged. */
    static Tensor apply(Tensor h, MddqQuantizer quantizer, boolean identityGradient) {
        int n = h.dim(0), f = h.dim(2);
        float[] steps = channelSteps(quantizer.magnitude().stepValues(), f);
        float qp = quantizer.magnitude().qp(), qn = quantizer.magnitude().qn();
        float levels = Signedness.SIGNED.qp(quantizer.directionBits());
        return StraightThrough.apply("mddq_fused", new StraightThrough.CustomOp() {
            @Override
            public Tensor forward(Tensor[] inputs) {
                float[] out = new float[n * 3 * f];
                pass(inputs[0].data(), null, out, n, f, steps, qn, qp, levels);
                return Tensor.of(out, n, 3, f);
            }

            @Override
            public Tensor[] backward(Tensor g, Tensor[] inputs, Tensor output) {
                if (identityGradient) return new Tensor[]{g};
                if (GradMode.isEnabled()) {
                    Tensor composed = quantizer.apply(inputs[0]);
                    return new Tensor[]{Autograd.grad(composed, new Tensor[]{inputs[0]}, g, true)[0]};
                }
                float[] gh = new float[n * 3 * f];
                pass(inputs[0].data(), g.data(), gh, n, f, steps, qn, qp, levels);
                return new Tensor[]{Tensor.of(gh, n, 3, f)};
            }
        }, h);
    }

    /** One magnitude step per channel: the quantizer's own (per-channel), or its one step repeated. */
    public static float[] channelSteps(float[] steps, int f) {
        if (steps.length == f) return steps;
        if (steps.length != 1) throw new IllegalArgumentException(steps.length + " magnitude steps for " + f + " channels");
        float[] s = new float[f];
        Arrays.fill(s, steps[0]);
        return s;
    }

    /**
     * Forward (g null: out = Q(h)) or backward (out = ∂L/∂h given g = ∂L/∂Q(h)), per vector (atom a, channel c),
     * components h[(a·3 + k)·f + c]; {@code steps}: the magnitude step of each channel (f of them).
     */
    static void pass(float[] hv, float[] gv, float[] out, int n, int f, float[] steps, float qn, float qp, float levels) {
        pass(hv, gv, out, n, f, steps, qn, qp, levels, gv == null ? null : new float[SCRATCH_LENGTH]);
    }

    /** Length of the scratch array {@link #pass(float[], float[], float[], int, int, float[], float, float, float, float[])} needs for a backward. */
    public static final int SCRATCH_LENGTH = 9 * FloatVector.SPECIES_PREFERRED.length();

    /**
     * {@link #pass} with the caller's scratch ({@link #SCRATCH_LENGTH} floats, needed only for a backward),
     * so that a caller that reuses its buffers allocates nothing.
     */
    public static void pass(float[] hv, float[] gv, float[] out, int n, int f, float[] steps, float qn, float qp, float levels,
                            float[] saved) {
        if (!SIMD) {
            for (int a = 0; a < n; a++) passPlain(hv, gv, out, a, 0, f, f, steps, qn, qp, levels);
            return;
        }
        int bound = S.loopBound(f);
        for (int a = 0; a < n; a++) {
            int c = 0;
            for (; c < bound; c += L) {
                int i0 = (a * 3) * f + c;
                boolean vector = forwardVector(hv, gv == null ? out : null, saved, i0, f, steps, c, qn, qp, levels);
                if (vector && gv != null) backwardVector(hv, gv, out, saved, i0, f, steps, c, qn, qp, levels);
                if (!vector) passPlain(hv, gv, out, a, c, c + L, f, steps, qn, qp, levels);   // a (near-)zero vector among these
            }
            passPlain(hv, gv, out, a, c, f, f, steps, qn, qp, levels);
        }
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final boolean SIMD = L >= 8 && !"plain".equals(System.getProperty("gaq.quantize.kernels"));
    private static final float MAGIC = 12582912f;   // 1.5·2^23: (x + MAGIC) − MAGIC is Math.rint(x) for |x| < 2^22, but for the sign of 0
    /** Forward values the backward reads, L lanes each, in {@code saved}: r, t = r/s, rq, nd, d0, d1, d2, the mask m, hSafe_0. */
    private static final int R = 0, T = 1, RQ = 2, ND = 3, D0 = 4, M = 7, S0 = 8, SAVED = 9;

    /*
     * The Vector API versions below are written as two methods of moderate size without vector parameters or
     * helper methods: a single large method exceeded C2's inlining budget, and a vector passed to a method C2
     * compiled on its own has no exact type; either way the operations ran the Vector API's Java fallback.
     * Math.rint is (x + MAGIC) − MAGIC, where that is 0 replaced by x·0 (±0 with x's sign, as Math.rint keeps it).
     */

    /**
     * The forward of {@link #passPlain} for L channels from {@code i0} (component k at i0 + k·f): writes Q(h) to
     * {@code out} (if not null) and the values the backward needs to {@code saved} (if not null). The zero test
     * (‖h‖² < 1e-24 in double) from the float sum of squares, which is within 1e-6 (relative) + 1e-44 of the
     * double one: ≥ 2e-24 is not zero, exactly 0 is zero; false, with nothing written, if any of the L vectors
     * lies in between (the caller runs the plain loop).
     */
    private static boolean forwardVector(float[] hv, float[] out, float[] saved, int i0, int f,
                                         float[] steps, int c, float qn, float qp, float levels) {
        int i1 = i0 + f, i2 = i1 + f;
        FloatVector h0 = FloatVector.fromArray(S, hv, i0), h1 = FloatVector.fromArray(S, hv, i1), h2 = FloatVector.fromArray(S, hv, i2);
        FloatVector sq = h0.mul(h0).add(h1.mul(h1)).add(h2.mul(h2));
        VectorMask<Float> isZero = sq.compare(VectorOperators.EQ, 0f);     // every h_k² < 2^-149: ‖h‖² < 1e-44 in double
        if (sq.compare(VectorOperators.LT, 2e-24f).andNot(isZero).anyTrue()) return false;
        FloatVector zero = FloatVector.zero(S);
        FloatVector fill = zero.blend(1f, isZero), m = FloatVector.broadcast(S, 1f).blend(0f, isZero);
        FloatVector s0 = h0.add(fill), s1 = h1.add(0f), s2 = h2.add(0f);
        FloatVector r = zero.add(s0.mul(s0)).add(s1.mul(s1)).add(s2.mul(s2)).add(0f).sqrt();
        FloatVector step = FloatVector.fromArray(S, steps, c);
        FloatVector t = r.div(step);
        FloatVector tc = t.max(qn).min(qp), rr = tc.add(MAGIC).sub(MAGIC);
        FloatVector rq = rr.blend(tc.mul(0f), rr.compare(VectorOperators.EQ, 0f)).mul(step);
        FloatVector x0 = s0.div(r).mul(levels), x1 = s1.div(r).mul(levels), x2 = s2.div(r).mul(levels);
        FloatVector r0 = x0.add(MAGIC).sub(MAGIC), r1 = x1.add(MAGIC).sub(MAGIC), r2 = x2.add(MAGIC).sub(MAGIC);
        float inv = 1f / levels;
        FloatVector d0 = r0.blend(x0.mul(0f), r0.compare(VectorOperators.EQ, 0f)).mul(inv);
        FloatVector d1 = r1.blend(x1.mul(0f), r1.compare(VectorOperators.EQ, 0f)).mul(inv);
        FloatVector d2 = r2.blend(x2.mul(0f), r2.compare(VectorOperators.EQ, 0f)).mul(inv);
        FloatVector nd = zero.add(d0.mul(d0)).add(d1.mul(d1)).add(d2.mul(d2)).add(0f).sqrt();
        if (out != null) {
            d0.div(nd).mul(rq).mul(m).intoArray(out, i0);
            d1.div(nd).mul(rq).mul(m).intoArray(out, i1);
            d2.div(nd).mul(rq).mul(m).intoArray(out, i2);
        }
        if (saved != null) {
            r.intoArray(saved, R * L);
            t.intoArray(saved, T * L);
            rq.intoArray(saved, RQ * L);
            nd.intoArray(saved, ND * L);
            d0.intoArray(saved, D0 * L);
            d1.intoArray(saved, (D0 + 1) * L);
            d2.intoArray(saved, (D0 + 2) * L);
            m.intoArray(saved, M * L);
            s0.intoArray(saved, S0 * L);
        }
        return true;
    }

    /** The backward of {@link #passPlain} for the L channels {@link #forwardVector} accepted, from its saved values. */
    private static void backwardVector(float[] hv, float[] gv, float[] out, float[] saved, int i0, int f,
                                       float[] steps, int c, float qn, float qp, float levels) {
        int i1 = i0 + f, i2 = i1 + f;
        FloatVector zero = FloatVector.zero(S);
        FloatVector r = FloatVector.fromArray(S, saved, R * L), t = FloatVector.fromArray(S, saved, T * L);
        FloatVector rq = FloatVector.fromArray(S, saved, RQ * L), nd = FloatVector.fromArray(S, saved, ND * L);
        FloatVector d0 = FloatVector.fromArray(S, saved, D0 * L), d1 = FloatVector.fromArray(S, saved, (D0 + 1) * L);
        FloatVector d2 = FloatVector.fromArray(S, saved, (D0 + 2) * L);
        FloatVector m = FloatVector.fromArray(S, saved, M * L);
        FloatVector g0 = FloatVector.fromArray(S, gv, i0).mul(m), g1 = FloatVector.fromArray(S, gv, i1).mul(m);
        FloatVector g2 = FloatVector.fromArray(S, gv, i2).mul(m);
        FloatVector gd0 = g0.mul(rq), gd1 = g1.mul(rq), gd2 = g2.mul(rq);
        FloatVector grq = zero.add(g0.mul(d0.div(nd))).add(g1.mul(d1.div(nd))).add(g2.mul(d2.div(nd)));
        FloatVector mr = zero.blend(1f, t.compare(VectorOperators.GE, qn).and(t.compare(VectorOperators.LE, qp)));
        FloatVector step = FloatVector.fromArray(S, steps, c);
        FloatVector grA = grq.mul(step).mul(mr).div(step);
        FloatVector nd2 = nd.mul(nd);
        FloatVector gnd = zero.add(gd0.mul(d0).div(nd2).mul(-1f)).add(gd1.mul(d1).div(nd2).mul(-1f)).add(gd2.mul(d2).div(nd2).mul(-1f));
        FloatVector ga2 = gnd.div(nd).mul(0.5f);
        float inv = 1f / levels;
        FloatVector gu0 = gd0.div(nd).add(ga2.mul(d0).mul(2f)).mul(inv).mul(levels);
        FloatVector gu1 = gd1.div(nd).add(ga2.mul(d1).mul(2f)).mul(inv).mul(levels);
        FloatVector gu2 = gd2.div(nd).add(ga2.mul(d2).mul(2f)).mul(inv).mul(levels);
        FloatVector s0 = FloatVector.fromArray(S, saved, S0 * L), s1 = FloatVector.fromArray(S, hv, i1).add(0f);
        FloatVector s2 = FloatVector.fromArray(S, hv, i2).add(0f);
        FloatVector r2 = r.mul(r);
        FloatVector grB = zero.add(gu0.mul(s0).div(r2).mul(-1f)).add(gu1.mul(s1).div(r2).mul(-1f)).add(gu2.mul(s2).div(r2).mul(-1f));
        FloatVector ga1 = grA.add(grB).div(r).mul(0.5f);
        gu0.div(r).add(ga1.mul(s0).mul(2f)).intoArray(out, i0);
        gu1.div(r).add(ga1.mul(s1).mul(2f)).intoArray(out, i1);
        gu2.div(r).add(ga1.mul(s2).mul(2f)).intoArray(out, i2);
    }

    /**
     * {@link #pass} for atom a, channels [from, to), plain loops: the definition. The comments name the composed
     * op each line reproduces.
     */
    static void passPlain(float[] hv, float[] gv, float[] out, int a, int from, int to, int f, float[] steps, float qn, float qp, float levels) {
        float inv = 1f / levels;
        {
            int i0 = (a * 3) * f, i1 = i0 + f, i2 = i1 + f;
            for (int c = from; c < to; c++) {
                float h0 = hv[i0 + c], h1 = hv[i1 + c], h2 = hv[i2 + c], step = steps[c];
                double sq = 0;
                sq += (double) h0 * h0;
                sq += (double) h1 * h1;
                sq += (double) h2 * h2;
                boolean zero = sq < MddqQuantizer.MIN_NORM_SQUARED;
                float m = zero ? 0f : 1f;
                // hSafe = h + unitFill
                float s0 = h0 + (zero ? 1f : 0f), s1 = h1 + 0f, s2 = h2 + 0f;
                // r = norm(hSafe): square, sumTo (from 0), add(0), sqrt
                float r = (float) Math.sqrt((((0f + s0 * s0) + s1 * s1) + s2 * s2) + 0f);
                float u0 = s0 / r, u1 = s1 / r, u2 = s2 / r;
                // rq = LSQ(r): div, clampMasked, roundSte, mul
                float t = r / step;
                float rq = (float) Math.rint(Math.min(qp, Math.max(qn, t))) * step;
                // d = roundSte(u·levels)·(1/levels)
                float d0 = (float) Math.rint(u0 * levels) * inv, d1 = (float) Math.rint(u1 * levels) * inv, d2 = (float) Math.rint(u2 * levels) * inv;
                float nd = (float) Math.sqrt((((0f + d0 * d0) + d1 * d1) + d2 * d2) + 0f);
                float dir0 = d0 / nd, dir1 = d1 / nd, dir2 = d2 / nd;
                if (gv == null) {
                    // direction.mul(rq).mul(mask)
                    out[i0 + c] = dir0 * rq * m;
                    out[i1 + c] = dir1 * rq * m;
                    out[i2 + c] = dir2 * rq * m;
                    continue;
                }
                // out = o1·mask: G1 = g·m
                float g0 = gv[i0 + c] * m, g1 = gv[i1 + c] * m, g2 = gv[i2 + c] * m;
                // o1 = dir·rq: Gdir = G1·rq; Grq = mulSumTo(G1, dir) from 0
                float gd0 = g0 * rq, gd1 = g1 * rq, gd2 = g2 * rq;
                float grq = ((0f + g0 * dir0) + g1 * dir1) + g2 * dir2;
                // LSQ backward to r: ((Grq·s)·mask)/s — the first contribution to r's gradient
                float mr = t >= qn && t <= qp ? 1f : 0f;
                float grA = grq * step * mr / step;
                // dir = d/nd: Gd = Gdir/nd (first); Gnd = sumTo(−((Gdir·d)/(nd·nd))) from 0
                float nd2 = nd * nd;
                float gnd = ((0f + (gd0 * d0 / nd2) * -1f) + (gd1 * d1 / nd2) * -1f) + (gd2 * d2 / nd2) * -1f;
                // nd = sqrt(a2): Ga2 = (Gnd/nd)·0.5; add(0) identity; sumTo → expand; square: (G·d)·2, added second
                float ga2 = gnd / nd * 0.5f;
                float gdd0 = gd0 / nd + ga2 * d0 * 2f, gdd1 = gd1 / nd + ga2 * d1 * 2f, gdd2 = gd2 / nd + ga2 * d2 * 2f;
                // d = mul(roundSte(mul(u, levels)), 1/levels): Gu = (Gd·(1/levels))·levels
                float gu0 = gdd0 * inv * levels, gu1 = gdd1 * inv * levels, gu2 = gdd2 * inv * levels;
                // u = hSafe/r: GhSafe = Gu/r (first); Gr += sumTo(−((Gu·hSafe)/(r·r))) from 0, added to grA
                float r2 = r * r;
                float grB = ((0f + (gu0 * s0 / r2) * -1f) + (gu1 * s1 / r2) * -1f) + (gu2 * s2 / r2) * -1f;
                float gr = grA + grB;
                // r = sqrt(a1): Ga1 = (Gr/r)·0.5; square: (Ga1·hSafe)·2, added second; hSafe = h + fill: identity
                float ga1 = gr / r * 0.5f;
                out[i0 + c] = gu0 / r + ga1 * s0 * 2f;
                out[i1 + c] = gu1 / r + ga1 * s1 * 2f;
                out[i2 + c] = gu2 / r + ga1 * s2 * 2f;
            }
        }
    }
}
