package org.gaq.quant;

import java.util.List;
import java.util.function.UnaryOperator;

import org.gaq.model.LocalFrames;
import org.gaq.tensor.StraightThrough;
import org.gaq.tensor.Tensor;

/**
 * MDDQ in each atom's local frame (docs/quantization.md, "Local-frame MDDQ"): vector features h [N, 3, F] are
 * turned into their coordinates in the atom's frame E_i (rows e1, e2, e3, {@link LocalFrames}), quantized there by
 * {@link MddqQuantizer}, and turned back:
 * <pre>
 *   c = E_i h,   Q(h) = E_iᵀ · MDDQ(c)
 * </pre>
 * The coordinates are rotation invariant, so Q(R·h) = R·Q(h) exactly: the direction grid turns with the molecule.
 * The frame is a constant of the graph (no derivative), so the straight-through gradient is MDDQ's conjugated by
 * the frame, ∂Q/∂h = E_iᵀ (∂MDDQ/∂c) E_i, and the identity gradient stays the identity.
 */
public final class LocalFrameQuantizer extends FakeQuantizer {
    private final MddqQuantizer mddq;

    public LocalFrameQuantizer(MddqQuantizer mddq) {
        this.mddq = mddq;
    }

    /** Without frames there is no local quantization to do: a caller error. */
    @Override
    public Tensor apply(Tensor h) {
        throw new IllegalStateException("local-frame vector quantization needs the atoms' local frames (the model passes them at its vector sites)");
    }

    @Override
    public Tensor apply(Tensor h, LocalFrames frames) {
        if (frames == null) return apply(h);
        MddqQuantizer.requireVectorShape(h, "LocalFrameQuantizer");
        return inFrames(h, frames, mddq::apply);
    }

    /** E_iᵀ · quantize(E_i h): {@code quantize} (this quantizer's MDDQ, or an equivalent kernel) applied in the frames. */
    public Tensor inFrames(Tensor h, LocalFrames frames, UnaryOperator<Tensor> quantize) {
        Tensor e = frames.frames();
        if (e.dim(0) != h.dim(0)) throw new IllegalArgumentException("LocalFrameQuantizer: " + e.dim(0) + " frames for " + h.dim(0) + " atoms");
        return rotate(quantize.apply(rotate(h, e, false)), e, true);
    }

    /**
     * E_i h (to the frame) or E_iᵀ h (back), per atom, as a differentiable op with the frames constant; its
     * backward is the other rotation, so derivatives of every order exist.
     */
    static Tensor rotate(Tensor h, Tensor frames, boolean back) {
        return StraightThrough.apply(back ? "fromLocalFrame" : "toLocalFrame", new StraightThrough.CustomOp() {
            @Override
            public Tensor forward(Tensor[] in) {
                int n = in[0].dim(0), f = in[0].dim(2);
                float[] out = new float[n * 3 * f];
                if (back) fromFrame(frames.data(), in[0].data(), out, n, f);
                else toFrame(frames.data(), in[0].data(), out, n, f);
                return Tensor.of(out, n, 3, f);
            }

            @Override
            public Tensor[] backward(Tensor g, Tensor[] in, Tensor out) {
                return new Tensor[]{rotate(g, frames, !back)};
            }
        }, h);
    }

    /** out[i,k,c] = Σ_m E[i,k,m] h[i,m,c]: coordinates in the frames {@code e} [n × 9]. */
    static void toFrame(float[] e, float[] h, float[] out, int n, int f) {
        for (int i = 0; i < n; i++) {
            int o = 9 * i, b = 3 * f * i;
            for (int k = 0; k < 3; k++) {
                float m0 = e[o + 3 * k], m1 = e[o + 3 * k + 1], m2 = e[o + 3 * k + 2];
                int row = b + k * f;
                for (int c = 0; c < f; c++) out[row + c] = m0 * h[b + c] + m1 * h[b + f + c] + m2 * h[b + 2 * f + c];
            }
        }
    }

    /** out[i,m,c] = Σ_k E[i,k,m] c[i,k,c]: back from coordinates in the frames {@code e} [n × 9]. */
    static void fromFrame(float[] e, float[] q, float[] out, int n, int f) {
        for (int i = 0; i < n; i++) {
            int o = 9 * i, b = 3 * f * i;
            for (int m = 0; m < 3; m++) {
                float k0 = e[o + m], k1 = e[o + 3 + m], k2 = e[o + 6 + m];
                int row = b + m * f;
                for (int c = 0; c < f; c++) out[row + c] = k0 * q[b + c] + k1 * q[b + f + c] + k2 * q[b + 2 * f + c];
            }
        }
    }

    /** The MDDQ quantizer acting on the coordinates (its magnitude step is this quantizer's only parameter). */
    public MddqQuantizer mddq() {
        return mddq;
    }

    @Override
    public List<Tensor> parameters() {
        return mddq.parameters();
    }
}
