package org.gaq.model;

import org.gaq.tensor.Tensor;
import java.util.Arrays;

/**
 * An orthonormal, right-handed frame per atom built from the atom's edges, so that it rotates with the molecule
 * (docs/quantization.md, "LocalFrameQuantizer — MDDQ in each atom's local frame"): rows e1, e2, e3 of a 3×3
 * matrix per atom, [N, 3, 3].
 * <pre>
 *   a_i = Σ_j φ_ij r̂_ij,   b_i = Σ_j φ_ij d_ij³ r̂_ij,   c_i = Σ_j φ_ij e^{−2 d_ij} r̂_ij     (φ: the model's cosine cutoff)
 *   ρ(x) = ‖x‖ / Σ_j (its weights)                                                 relative length
 *   e1 = a/‖a‖ if ρ(a) &gt; ε, else the one of b, c with the larger ρ if that is &gt; ε, else x̂
 *   e2 = p/‖p‖ for p = x − (x·e1) e1 the perpendicular part, of the other candidates x, with the largest ρ(p),
 *        if that is &gt; ε; else the laboratory axis least aligned with e1, orthogonalised against e1
 *   e3 = e1 × e2,   ε = {@link #DEGENERATE}
 * </pre>
 * Two candidates for e2 because the perpendicular part of one alone can nearly vanish (the figures are in the same
 * docs section); a frame's sensitivity to rounding errors of the coordinates is 1/ρ.
 * The frame is a function of the edge vectors only, computed in double from their float values, with no
 * gradient: quantizers hold it constant. The laboratory fallbacks are the only parts that do not rotate with the
 * molecule; they are taken where the neighbourhood has no (second) direction: an atom with one neighbour, collinear
 * or symmetric neighbourhoods (methane's carbon). There the features themselves are symmetric (parallel to e1, or
 * zero), so their coordinates along the undefined axes are zero whatever axes are chosen.
 */
public final class LocalFrames {
    /** Relative length below which a candidate axis counts as absent. */
    public static final double DEGENERATE = 1e-3;

    private final int atoms;
    private final int[] center;
    private final Tensor unit, distance, cutoff;
    private Tensor frames;

    /**
     * The frames of {@code atoms} atoms from edge tensors (values only are read, and only when {@link #frames()} is
     * first asked for): unit vectors r̂ [E, 3], distances [E, 1] and cutoff weights φ [E, 1]; edges sorted by centre.
     */
    public LocalFrames(int atoms, int[] center, Tensor unit, Tensor distance, Tensor cutoff) {
        this.atoms = atoms;
        this.center = center;
        this.unit = unit;
        this.distance = distance;
        this.cutoff = cutoff;
    }

    /** Frames known already ([N, 3, 3], rows e1, e2, e3 of each atom): for quantizers used outside the model. */
    public static LocalFrames given(Tensor frames) {
        if (frames.rank() != 3 || frames.dim(1) != 3 || frames.dim(2) != 3) {
            throw new IllegalArgumentException("local frames must have shape [N, 3, 3], got " + java.util.Arrays.toString(frames.shape()));
        }
        LocalFrames f = new LocalFrames(frames.dim(0), new int[0], null, null, null);
        f.frames = frames.detach();
        return f;
    }

    /** The frames [N, 3, 3] (row k of atom i: e_k), a constant tensor; computed on the first call. */
    public Tensor frames() {
        if (frames == null) {
            float[] out = new float[atoms * 9];
            compute(atoms, center, center.length, unit.data(), distance.data(), cutoff.data(), out);
            frames = Tensor.of(out, atoms, 3, 3);
        }
        return frames;
    }

    /**
     * Fills {@code out} [n × 9] (atom i: e1, e2, e3, each x y z) from {@code edges} edges sorted by centre:
     * r̂ {@code unit} [E × 3], d {@code distance} [E], φ {@code cutoff} [E].
     */
    public static void compute(int n, int[] center, int edges, float[] unit, float[] distance, float[] cutoff, float[] out) {
        compute(n, center, edges, unit, distance, cutoff, out, new double[SCRATCH_LENGTH]);
    }

    /** Doubles of scratch {@link #compute(int, int[], int, float[], float[], float[], float[], double[])} needs. */
    public static final int SCRATCH_LENGTH = 12;

    /** As {@link #compute(int, int[], int, float[], float[], float[], float[])}, with the caller's scratch: allocates nothing. */
    public static void compute(int n, int[] center, int edges, float[] unit, float[] distance, float[] cutoff, float[] out, double[] c) {
        int e = 0;
        for (int i = 0; i < n; i++) {
            Arrays.fill(c, 0, SCRATCH_LENGTH, 0);
            for (; e < edges && center[e] == i; e++) {
                double phi = cutoff[e], d = distance[e];
                double ux = unit[3 * e], uy = unit[3 * e + 1], uz = unit[3 * e + 2];
                accumulate(c, 0, phi, ux, uy, uz);
                accumulate(c, 1, phi * d * d * d, ux, uy, uz);
                accumulate(c, 2, phi * Math.exp(-2 * d), ux, uy, uz);
            }
            frame(c, out, 9 * i);
        }
        if (e != edges) throw new IllegalArgumentException("edges must be sorted by centre atom (edge " + e + " has centre " + center[e] + ")");
    }

    /** The candidate axes: a (weights φ), b (φ d³: far neighbours count more), c (φ e^{−2d}: near ones); 4 doubles each. */
    static final int CANDIDATES = SCRATCH_LENGTH / 4;

    private static void accumulate(double[] c, int k, double w, double ux, double uy, double uz) {
        c[4 * k] += w * ux;
        c[4 * k + 1] += w * uy;
        c[4 * k + 2] += w * uz;
        c[4 * k + 3] += w;
    }

    /** ‖candidate k‖ relative to its weights' sum (0 when it has no weight). */
    private static double relativeLength(double[] c, int k) {
        double w = c[4 * k + 3];
        return w > 0 ? Math.sqrt(c[4 * k] * c[4 * k] + c[4 * k + 1] * c[4 * k + 1] + c[4 * k + 2] * c[4 * k + 2]) / w : 0;
    }

    /** One atom's frame from its candidate axes {@code c} (x, y, z, weights' sum per candidate). */
    static void frame(double[] c, float[] out, int o) {
        // e1: a, or (a vanishing) the relatively longer of b and c, or x̂
        int first = 0;
        if (!(relativeLength(c, 0) > DEGENERATE)) first = relativeLength(c, 2) > relativeLength(c, 1) ? 2 : 1;
        double x1 = 1, y1 = 0, z1 = 0;
        double r1 = relativeLength(c, first);
        if (r1 > DEGENERATE) {
            double len = r1 * c[4 * first + 3];
            x1 = c[4 * first] / len;
            y1 = c[4 * first + 1] / len;
            z1 = c[4 * first + 2] / len;
        } else {
            first = -1;
        }
        // e2: the other candidate whose part perpendicular to e1 is relatively longest (the first on a tie)
        double x2 = 0, y2 = 0, z2 = 0, best = 0;
        for (int k = 0; first >= 0 && k < CANDIDATES; k++) {
            if (k == first || !(c[4 * k + 3] > 0)) continue;
            double dot = c[4 * k] * x1 + c[4 * k + 1] * y1 + c[4 * k + 2] * z1;
            double px = c[4 * k] - dot * x1, py = c[4 * k + 1] - dot * y1, pz = c[4 * k + 2] - dot * z1;
            double rel = Math.sqrt(px * px + py * py + pz * pz) / c[4 * k + 3];
            if (rel > best) {
                best = rel;
                x2 = px;
                y2 = py;
                z2 = pz;
            }
        }
        if (!(best > DEGENERATE)) {
            // the laboratory axis least aligned with e1 (the first on a tie), orthogonalised
            double ex = Math.abs(x1), ey = Math.abs(y1), ez = Math.abs(z1);
            double lx = 0, ly = 0, lz = 0;
            if (ex <= ey && ex <= ez) lx = 1;
            else if (ey <= ez) ly = 1;
            else lz = 1;
            double dot = lx * x1 + ly * y1 + lz * z1;
            x2 = lx - dot * x1;
            y2 = ly - dot * y1;
            z2 = lz - dot * z1;    // length ≥ √(2/3): the least aligned axis has |e1_k| ≤ 1/√3
        }
        double np = Math.sqrt(x2 * x2 + y2 * y2 + z2 * z2);
        x2 /= np;
        y2 /= np;
        z2 /= np;
        out[o] = (float) x1;
        out[o + 1] = (float) y1;
        out[o + 2] = (float) z1;
        out[o + 3] = (float) x2;
        out[o + 4] = (float) y2;
        out[o + 5] = (float) z2;
        out[o + 6] = (float) (y1 * z2 - z1 * y2);
        out[o + 7] = (float) (z1 * x2 - x1 * z2);
        out[o + 8] = (float) (x1 * y2 - y1 * x2);
    }
}
