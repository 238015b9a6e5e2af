package org.gaq.model;

import org.gaq.tensor.Tensor;

/**
 * An orthonormal, right-handed frame per atom built from the atom's edges, so that it rotates with the molecule
 * (docs/quantization.md, "Local frames"): rows e1, e2, e3 of a 3×3 matrix per atom, [N, 3, 3].
 * <pre>
 *   a_i = Σ_j φ(d_ij) r̂_ij,   b_i = Σ_j φ(d_ij) d_ij r̂_ij                 (φ: the model's cosine cutoff)
 *   e1 = a/‖a‖  if ‖a‖ &gt; ε Σ_j φ_ij,  else b/‖b‖ if ‖b‖ &gt; ε Σ_j φ_ij d_ij,  else x̂
 *   p  = b − (b·e1) e1 (when e1 came from a);  e2 = p/‖p‖ if ‖p‖ &gt; ε Σ_j φ_ij d_ij,
 *        else the laboratory axis least aligned with e1, orthogonalised against e1
 *   e3 = e1 × e2,   ε = {@link #DEGENERATE}
 * </pre>
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
     * r̂ {@code unit} [E × 3], d {@code distance} [E], φ {@code cutoff} [E]. Allocates nothing.
     */
    public static void compute(int n, int[] center, int edges, float[] unit, float[] distance, float[] cutoff, float[] out) {
        int e = 0;
        for (int i = 0; i < n; i++) {
            double ax = 0, ay = 0, az = 0, bx = 0, by = 0, bz = 0, wa = 0, wb = 0;
            for (; e < edges && center[e] == i; e++) {
                double w = cutoff[e], d = distance[e];
                double ux = unit[3 * e], uy = unit[3 * e + 1], uz = unit[3 * e + 2];
                ax += w * ux;
                ay += w * uy;
                az += w * uz;
                bx += w * d * ux;
                by += w * d * uy;
                bz += w * d * uz;
                wa += w;
                wb += w * d;
            }
            frame(ax, ay, az, wa, bx, by, bz, wb, out, 9 * i);
        }
        if (e != edges) throw new IllegalArgumentException("edges must be sorted by centre atom (edge " + e + " has centre " + center[e] + ")");
    }

    /** One atom's frame from its two candidate axes a, b and their weights' sums (the scales ε is relative to). */
    static void frame(double ax, double ay, double az, double wa, double bx, double by, double bz, double wb, float[] out, int o) {
        double na = Math.sqrt(ax * ax + ay * ay + az * az), nb = Math.sqrt(bx * bx + by * by + bz * bz);
        double x1, y1, z1;
        boolean fromA = na > DEGENERATE * wa && na > 0;
        if (fromA) {
            x1 = ax / na; y1 = ay / na; z1 = az / na;
        } else if (nb > DEGENERATE * wb && nb > 0) {
            x1 = bx / nb; y1 = by / nb; z1 = bz / nb;
        } else {
            x1 = 1; y1 = 0; z1 = 0;
        }
        double x2 = 0, y2 = 0, z2 = 0, np = 0;
        if (fromA) {
            double dot = bx * x1 + by * y1 + bz * z1;
            x2 = bx - dot * x1; y2 = by - dot * y1; z2 = bz - dot * z1;
            np = Math.sqrt(x2 * x2 + y2 * y2 + z2 * z2);
        }
        if (!(np > DEGENERATE * wb && np > 0)) {
            // the laboratory axis least aligned with e1 (the first on a tie), orthogonalised
            double ex = Math.abs(x1), ey = Math.abs(y1), ez = Math.abs(z1);
            double lx = 0, ly = 0, lz = 0;
            if (ex <= ey && ex <= ez) lx = 1;
            else if (ey <= ez) ly = 1;
            else lz = 1;
            double dot = lx * x1 + ly * y1 + lz * z1;
            x2 = lx - dot * x1; y2 = ly - dot * y1; z2 = lz - dot * z1;
            np = Math.sqrt(x2 * x2 + y2 * y2 + z2 * z2);   // ≥ √(2/3): the least aligned axis has |e1_k| ≤ 1/√3
        }
        x2 /= np; y2 /= np; z2 /= np;
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
