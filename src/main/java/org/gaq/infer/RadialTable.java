package org.gaq.infer;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The radial channels of one layer tabulated once, when the model is compiled (docs/engine.md, "Radial
 * channels"): f(d) = SiLU(W_r rbf(d) + b_r) and b(d) = W_b rbf(d) depend on the edge length only, so instead of
 * two products over the K basis functions, a SiLU and their reverse on every call, the engine interpolates
 * them between nodes of a table.
 *
 * <p>The variable is u = e^{−d}, in which every basis function is the same Gaussian exp(−β (u − μ_k)²): a
 * uniform grid in u resolves them all alike, from d = 0 to r_c. Each node u_n holds the values y_n, the
 * differences δ_n = y_{n+1} − y_n and the slopes m_n = Δu ∂y/∂u, computed in double from the weights; between
 * nodes, the cubic Hermite interpolant (t = (u − u_n)/Δu):
 * <pre>
 *   y(u)  = y_n + (3t² − 2t³) δ_n + (t³ − 2t² + t) m_n + (t³ − t²) m_{n+1}
 *   ∂y/∂d = −u/Δu · [6t(1 − t) δ_n + (3t² − 4t + 1) m_n + (3t² − 2t) m_{n+1}]
 * </pre>
 * (δ_n is stored, not taken from two rounded values: their difference would lose the digits the derivative needs.)
 * The interpolant is continuously differentiable and its derivative is the one the reverse pass uses, so the
 * forces are the exact gradient of the energy the engine computes (MD conserves it). With {@value NODES_PER_WIDTH}
 * nodes per basis width 1/√β the interpolant is within float rounding of the products it replaces
 * ({@code RadialTableTest}).
 */
final class RadialTable implements RadialChannels {
    /** Nodes per 1/√β of u: 1,025 nodes for the paper model (K = 32, r_c = 5 Å). */
    static final int NODES_PER_WIDTH = 64;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = S.length();

    private final int filterWidth, heads, channels, nodes;   // channels: 3F filter values, then H bias values
    private final float lowest, inverseStep;                 // u_0 = e^{−r_c}, 1/Δu
    private final float[] table;                             // node n: y, δ, m [channels each]

    /**
     * @param filterWeight W_r [K × 3F], as the layer multiplies by it (FP32, fake-quantized or dequantized)
     * @param filterBias   b_r [3F]
     * @param biasWeight   W_b [K × H]
     * @param centres      μ_k of the basis, in u
     * @param beta         β of the basis
     * @param cutoff       r_c: the table spans u from e^{−r_c} to 1
     */
    RadialTable(float[] filterWeight, float[] filterBias, float[] biasWeight, float[] centres, float beta, double cutoff) {
        int k = centres.length;
        this.filterWidth = filterBias.length;
        this.heads = biasWeight.length / k;
        if (filterWeight.length != k * filterWidth || biasWeight.length != k * heads) {
            throw new IllegalArgumentException("weights of " + filterWeight.length + " and " + biasWeight.length + " values do not fit " + k + " basis functions");
        }
        if (filterWidth % LANES != 0) throw new IllegalArgumentException(filterWidth + " filter channels are not a multiple of " + LANES + " lanes");
        this.channels = filterWidth + heads;
        double lo = Math.exp(-cutoff), width = 1.0 / Math.sqrt(beta);
        this.nodes = (int) Math.ceil((1.0 - lo) / width * NODES_PER_WIDTH) + 1;
        double du = (1.0 - lo) / (nodes - 1);
        this.lowest = (float) lo;
        this.inverseStep = (float) (1.0 / du);
        this.table = new float[nodes * 3 * channels];
        double[] rbf = new double[k], slope = new double[k];
        double[] value = new double[nodes * channels];
        for (int n = 0; n < nodes; n++) {
            double u = n == nodes - 1 ? 1.0 : lo + n * du;
            for (int j = 0; j < k; j++) {
                double diff = u - centres[j];
                rbf[j] = Math.exp(-beta * diff * diff);
                slope[j] = -2.0 * beta * diff * rbf[j];      // ∂rbf_j/∂u
            }
            int row = n * 3 * channels;
            for (int c = 0; c < filterWidth; c++) {
                double pre = filterBias[c], preSlope = 0;
                for (int j = 0; j < k; j++) {
                    pre += filterWeight[j * filterWidth + c] * rbf[j];
                    preSlope += filterWeight[j * filterWidth + c] * slope[j];
                }
                double sigmoid = 1.0 / (1.0 + Math.exp(-pre));
                value[n * channels + c] = pre * sigmoid;
                table[row + 2 * channels + c] = (float) (du * sigmoid * (1.0 + pre * (1.0 - sigmoid)) * preSlope);
            }
            for (int h = 0; h < heads; h++) {
                double b = 0, bSlope = 0;
                for (int j = 0; j < k; j++) {
                    b += biasWeight[j * heads + h] * rbf[j];
                    bSlope += biasWeight[j * heads + h] * slope[j];
                }
                value[n * channels + filterWidth + h] = b;
                table[row + 2 * channels + filterWidth + h] = (float) (du * bSlope);
            }
        }
        for (int n = 0; n < nodes; n++) {
            for (int c = 0; c < channels; c++) {
                double y = value[n * channels + c];
                table[n * 3 * channels + c] = (float) y;
                table[n * 3 * channels + channels + c] = n + 1 < nodes ? (float) (value[(n + 1) * channels + c] - y) : 0f;
            }
        }
    }

    @Override
    public boolean readsRadialBasis() {
        return false;
    }

    @Override
    public void forward(Workspace ws, Workspace.LayerState st, float[] logit) {
        int f3 = filterWidth, c3 = 3 * channels;
        boolean slopes = ws.withForces;
        float[] t = table, filter = st.filter, filterSlope = st.filterSlope, biasSlope = st.biasSlope;
        int[] order = edgesByInterval(ws);
        for (int o = 0; o < ws.edges; o++) {
            int edge = order[o];
            float u = ws.expDistance[edge];
            int n = interval(u);
            float x = Math.min(Math.max((u - lowest) * inverseStep - n, 0f), 1f), x2 = x * x, x3 = x2 * x;
            float aD = 3f * x2 - 2f * x3, a0 = x3 - 2f * x2 + x, a1 = x3 - x2;
            float scale = -u * inverseStep;
            float bD = scale * 6f * (x - x2), b0 = scale * (3f * x2 - 4f * x + 1f), b1 = scale * (3f * x2 - 2f * x);
            int y = n * c3, delta = y + channels, m0 = y + 2 * channels, m1 = m0 + c3, out = edge * f3;
            interpolate(t, y, delta, m0, m1, f3, aD, a0, a1, filter, out);
            if (slopes) slope(t, delta, m0, m1, f3, bD, b0, b1, filterSlope, out);
            if (heads == InteractionLayer.HEAD_LANES) {
                interpolateHeads(t, y + f3, delta + f3, m0 + f3, m1 + f3, aD, a0, a1, bD, b0, b1, slopes, logit, biasSlope, edge * heads);
                continue;
            }
            for (int h = 0; h < heads; h++) {
                int c = f3 + h;
                logit[edge * heads + h] = t[m1 + c] * a1 + (t[m0 + c] * a0 + (t[delta + c] * aD + t[y + c]));
                if (slopes) biasSlope[edge * heads + h] = t[m1 + c] * b1 + (t[m0 + c] * b0 + t[delta + c] * bD);
            }
        }
    }

    // The interpolation of one edge in methods of their own, vectors inside: in one long loop body C2 compiled them
    // boxed in some processes (see dot).

    /** out[c] = y + aD·δ + a0·m_n + a1·m_{n+1} for the {@code width} channels from the table rows at y, delta, m0, m1. */
    private static void interpolate(float[] t, int y, int delta, int m0, int m1, int width, float aD, float a0, float a1,
                                    float[] out, int at) {
        FloatVector vaD = FloatVector.broadcast(S, aD), va0 = FloatVector.broadcast(S, a0), va1 = FloatVector.broadcast(S, a1);
        for (int c = 0; c < width; c += LANES) {
            FloatVector vd = FloatVector.fromArray(S, t, delta + c);
            FloatVector vm0 = FloatVector.fromArray(S, t, m0 + c), vm1 = FloatVector.fromArray(S, t, m1 + c);
            vm1.fma(va1, vm0.fma(va0, vd.fma(vaD, FloatVector.fromArray(S, t, y + c)))).intoArray(out, at + c);
        }
    }

    /** out[c] = bD·δ + b0·m_n + b1·m_{n+1}: ∂y/∂d. */
    private static void slope(float[] t, int delta, int m0, int m1, int width, float bD, float b0, float b1, float[] out, int at) {
        FloatVector vbD = FloatVector.broadcast(S, bD), vb0 = FloatVector.broadcast(S, b0), vb1 = FloatVector.broadcast(S, b1);
        for (int c = 0; c < width; c += LANES) {
            FloatVector vd = FloatVector.fromArray(S, t, delta + c);
            FloatVector vm0 = FloatVector.fromArray(S, t, m0 + c), vm1 = FloatVector.fromArray(S, t, m1 + c);
            vm1.fma(vb1, vm0.fma(vb0, vd.mul(vbD))).intoArray(out, at + c);
        }
    }

    /** The attention bias of the 8 heads and its slope as one vector each (the paper model). */
    private static void interpolateHeads(float[] t, int y, int delta, int m0, int m1, float aD, float a0, float a1,
                                         float bD, float b0, float b1, boolean slopes, float[] logit, float[] biasSlope, int at) {
        VectorSpecies<Float> hs = InteractionLayer.HEADS;
        FloatVector hd = FloatVector.fromArray(hs, t, delta);
        FloatVector hm0 = FloatVector.fromArray(hs, t, m0), hm1 = FloatVector.fromArray(hs, t, m1);
        hm1.mul(a1).add(hm0.mul(a0).add(hd.mul(aD).add(FloatVector.fromArray(hs, t, y)))).intoArray(logit, at);
        if (slopes) hm1.mul(b1).add(hm0.mul(b0).add(hd.mul(bD))).intoArray(biasSlope, at);
    }

    /** n with u_n ≤ u < u_{n+1}, clamped to the table. */
    private int interval(float u) {
        return Math.min(Math.max((int) ((u - lowest) * inverseStep), 0), nodes - 2);
    }

    /**
     * The edges ordered by their table interval (a counting sort, once per geometry): consecutive edges then read
     * the same or neighbouring rows, which stay in cache, where a batch's edges in their own order would read
     * rows all over the table (2.5 MB per layer).
     */
    private int[] edgesByInterval(Workspace ws) {
        if (ws.edgesByLengthValid) return ws.edgesByLength;
        if (ws.intervalCounts.length < nodes) ws.intervalCounts = new int[nodes];
        int[] start = ws.intervalCounts, order = ws.edgesByLength;
        Arrays.fill(start, 0, nodes, 0);
        for (int e = 0; e < ws.edges; e++) start[interval(ws.expDistance[e])]++;
        for (int n = 0, sum = 0; n < nodes; n++) {
            int count = start[n];
            start[n] = sum;
            sum += count;
        }
        for (int e = 0; e < ws.edges; e++) order[start[interval(ws.expDistance[e])]++] = e;
        ws.edgesByLengthValid = true;
        return order;
    }

    @Override
    public void reverseAdd(Workspace ws, Workspace.LayerState st, float[] gFilter, float[] gLogit) {
        int f3 = filterWidth;
        float[] slope = st.filterSlope, biasSlope = st.biasSlope, lanes = ws.laneScratch;
        for (int edge = 0; edge < ws.edges; edge++) {
            float gd = dot(gFilter, slope, edge * f3, f3, lanes);
            for (int h = 0; h < heads; h++) gd += gLogit[edge * heads + h] * biasSlope[edge * heads + h];
            ws.gDistance[edge] += gd;
        }
    }

    /**
     * Σ_c a[at + c]·b[at + c] over {@code length} entries, the lanes summed in a fixed order. A method of its own, so
     * that no vector lives across the edge loop: with the running sum in the caller's loop, C2 compiled that loop
     * with boxed vectors in some processes (once a batch had been evaluated in groups of other sizes), ~1 KB per edge.
     */
    private static float dot(float[] a, float[] b, int at, int length, float[] lanes) {
        FloatVector sum = FloatVector.zero(S);
        for (int c = 0; c < length; c += LANES) {
            sum = FloatVector.fromArray(S, a, at + c).fma(FloatVector.fromArray(S, b, at + c), sum);
        }
        sum.intoArray(lanes, 0);
        return InteractionLayer.sumInOrder(lanes, 0);
    }

    @Override
    public long residentBytes() {
        return 4L * table.length;
    }
}
