package org.gaq.infer;

import jdk.incubator.vector.FloatVector;
import org.gaq.data.GraphBatch;
import org.gaq.engine.FusedMddq;
import org.gaq.model.LocalFrames;

/**
 * Every array one evaluation needs, sized for a capacity of atoms, edges and molecules and reused across
 * calls: once it has grown to the largest structure seen, an evaluation allocates nothing. Not thread-safe;
 * one workspace per thread.
 *
 * <p>Layouts are row-major: atom features [N, F], vector features [N, 3, F] (row a·3 + x), edge features
 * [E, ·], per-head values [·, H]. The forward pass keeps per layer what the reverse pass reads
 * ({@link LayerState}); the reverse pass's gradients live in the shared arrays below.
 */
public final class Workspace {
    final int features, heads, radialBasis;
    final boolean basisProducts;          // some layer's radial channels are products over the basis (RadialProjection)
    int atomCapacity = -1, edgeCapacity = -1, moleculeCapacity = -1;

    // the structure in use, and whether this evaluation goes on to forces (the forward then keeps their inputs)
    int atoms, edges, molecules;
    boolean withForces;
    int[] segmentStart = new int[0];      // edges of centre i: [segmentStart[i], segmentStart[i+1])
    float[] segmentMax;                   // the softmax's row maximum per centre and head [N, H]

    // edge geometry
    float[] unit, distance, expDistance, cutoff, cutoffDerivative;
    float[] rbf, rbfDerivative;           // only for layers whose radial channels are products over the basis
    int[] edgesByLength = new int[0];     // edges in the order of their table interval (RadialTable), per geometry
    int[] intervalCounts = new int[0];
    boolean edgesByLengthValid;

    // atom state, updated layer by layer
    float[] h, v;

    final LayerState[] layers;

    // energy head
    float[] headNormalized, headRstd, headInput, hiddenPre, hidden, hiddenSlope, atomic;

    // reverse pass
    float[] gH, gV, gVq, gS, gO, gU, gDh, gDvPre, gA, gFilter, gAlphaF, gAlpha, gLogit, gQt, gKt, gQ, gK,
            gRbfSite, gDistance, gUnit, gCutoff, gHidden, gAtomic, gQtByHead, gKtByHead;
    float[] mddqScratch = new float[FusedMddq.SCRATCH_LENGTH];
    // The lanes of three vectors, summed in a fixed order (InteractionLayer): the Vector API's lane reduction adds in
    // another order once C2 has compiled it, which changed the forces by an ulp as the JIT warmed up.
    final float[] laneScratch = new float[3 * FloatVector.SPECIES_PREFERRED.length()];

    double[] positions = new double[0];   // float positions of a GraphBatch, widened

    // local frames [N, 3, 3] and vectors in them [N, 3, F]: only local-frame vector quantization asks for them
    float[] frames = new float[0], frameIn = new float[0], frameOut = new float[0], frameGrad = new float[0];
    private final double[] frameScratch = new double[LocalFrames.SCRATCH_LENGTH];
    private int[] frameCenter;
    private boolean framesValid;

    // results of the whole batch; a group's forces first go to groupForces (sized like the other atom arrays)
    double[] energies = new double[0];
    float[] forces = new float[0], groupForces = new float[0];
    int resultAtomCapacity = -1;

    /** The molecules of a batch evaluated together (CompiledModel.evaluate), atoms and molecules counted from 0. */
    final Group group = new Group();
    /** Edges per group (CompiledModel.GROUP_EDGES; tests set it to compare groupings). */
    int groupEdges = CompiledModel.GROUP_EDGES;

    /**
     * @param basisProducts whether some layer computes its radial channels as products over the basis: only then are
     *                      the basis and those products' edge arrays allocated
     */
    Workspace(int features, int heads, int radialBasis, int layerCount, boolean basisProducts) {
        this.features = features;
        this.heads = heads;
        this.radialBasis = radialBasis;
        this.basisProducts = basisProducts;
        this.layers = new LayerState[layerCount];
        for (int l = 0; l < layerCount; l++) layers[l] = new LayerState();
    }

    /** Energies (eV) of the molecules of the last evaluation; valid entries: the number of molecules. */
    public double[] energies() {
        return energies;
    }

    /** Forces (eV/Å, [N, 3]) of the last evaluation with forces; valid entries: 3 × the number of atoms. */
    public float[] forces() {
        return forces;
    }

    /** New edge geometry (for edges with centres {@code center}): the local frames are computed again when next asked for. */
    void geometryChanged(int[] center) {
        frameCenter = center;
        framesValid = false;
        edgesByLengthValid = false;
    }

    /** The atoms' local frames (n × 9) of the current geometry, computed on the first call after it changed. */
    float[] localFrames() {
        if (!framesValid) {
            int n = atomCapacity, vectors = atomCapacity * 3 * features;
            if (frames.length < n * 9) frames = new float[n * 9];
            if (frameIn.length < vectors) {
                frameIn = new float[vectors];
                frameOut = new float[vectors];
                frameGrad = new float[vectors];
            }
            LocalFrames.compute(atoms, frameCenter, edges, unit, distance, cutoff, frames, frameScratch);
            framesValid = true;
        }
        return frames;
    }

    double[] positionsOf(float[] source, int n) {
        if (positions.length < 3 * n) positions = new double[3 * n];
        for (int k = 0; k < 3 * n; k++) positions[k] = source[k];
        return positions;
    }

    /** Grows the result arrays to hold the energies of {@code m} molecules and the forces on {@code n} atoms. */
    void ensureResults(int n, int m) {
        if (m > moleculeCapacity) {
            moleculeCapacity = m;
            energies = new double[m];
        }
        if (n > resultAtomCapacity) {
            resultAtomCapacity = grow(n);
            forces = new float[3 * resultAtomCapacity];
        }
    }

    /** Grows the arrays (never shrinks them) to hold {@code n} atoms, {@code e} edges and {@code m} molecules. */
    void ensure(int n, int e, int m) {
        if (n > atomCapacity) {
            atomCapacity = grow(n);
            allocateAtoms(atomCapacity);
        }
        if (e > edgeCapacity) {
            edgeCapacity = grow(e);
            allocateEdges(edgeCapacity);
        }
        atoms = n;
        edges = e;
        molecules = m;
    }

    private static int grow(int x) {
        return Math.max(x, 8);
    }

    private void allocateAtoms(int n) {
        int f = features, hd = heads;
        segmentStart = new int[n + 1];
        segmentMax = new float[n * hd];
        h = new float[n * f];
        v = new float[n * 3 * f];
        for (LayerState s : layers) s.allocateAtoms(n, f, hd);
        headNormalized = new float[n * f];
        headRstd = new float[n];
        headInput = new float[n * f];
        hiddenPre = new float[n * f];
        hidden = new float[n * f];
        hiddenSlope = new float[n * f];
        atomic = new float[n];
        gH = new float[n * f];
        gV = new float[n * 3 * f];
        gVq = new float[n * 3 * f];
        gS = new float[n * f];
        gO = new float[n * 3 * f];
        gU = new float[n * 9 * f];
        gDh = new float[n * f];
        gDvPre = new float[n * 3 * f];
        gA = new float[n * 3 * f];
        gQt = new float[n * f];
        gQtByHead = new float[n * f];
        gKtByHead = new float[n * f];
        gKt = new float[n * f];
        gQ = new float[n * f];
        gK = new float[n * f];
        gHidden = new float[n * f];
        gAtomic = new float[n];
        groupForces = new float[n * 3];
    }

    private void allocateEdges(int e) {
        int f = features, hd = heads, k = radialBasis;
        unit = new float[e * 3];
        edgesByLength = new int[e];
        distance = new float[e];
        expDistance = new float[e];
        cutoff = new float[e];
        cutoffDerivative = new float[e];
        int basis = basisProducts ? e * k : 0;
        rbf = new float[basis];
        rbfDerivative = new float[basis];
        for (LayerState s : layers) s.allocateEdges(e, f, hd, basisProducts ? k : 0);
        gFilter = new float[e * 3 * f];
        gAlphaF = new float[e * f];
        gAlpha = new float[e * hd];
        gLogit = new float[e * hd];
        gRbfSite = new float[basis];
        gDistance = new float[e];
        gUnit = new float[e * 3];
        gCutoff = new float[e];
    }

    /** A group of a batch's molecules as a structure of its own: atoms, molecules and edges renumbered from 0. */
    static final class Group {
        int[] atomicNumbers = new int[0], moleculeOfAtom = new int[0], center = new int[0], neighbor = new int[0];
        double[] positions = new double[0];

        /** Molecules [first, last) of g; positions from {@code positions} (double, [3N]) or, when null, g's float positions. */
        void fill(GraphBatch g, double[] positions, int first, int last) {
            int a0 = g.atomOffsets()[first], n = g.atomOffsets()[last] - a0;
            int e = g.firstEdgeOf(g.atomOffsets()[last]) - g.firstEdgeOf(a0);
            if (atomicNumbers.length < n) {
                atomicNumbers = new int[n];
                moleculeOfAtom = new int[n];
                this.positions = new double[3 * n];
            }
            if (center.length < e) {
                center = new int[e];
                neighbor = new int[e];
            }
            g.copyMolecules(first, last, atomicNumbers, moleculeOfAtom, center, neighbor);
            if (positions != null) {
                System.arraycopy(positions, 3 * a0, this.positions, 0, 3 * n);
            } else {
                float[] r = g.positions();
                for (int k = 0; k < 3 * n; k++) this.positions[k] = r[3 * a0 + k];
            }
        }
    }

    /** What the forward pass of one interaction layer keeps for the reverse pass. */
    static final class LayerState {
        // atoms
        float[] normalized, rstd;            // LayerNorm: x̂ [N, F], 1/σ [N]
        float[] sPre, s;                     // LayerNorm output before and after the scalar_in site
        float[] vIn, vq;                     // v before and after the vector_in site [N, 3, F]
        float[] q, k, qNorm, kNorm;          // projections [N, F]; per-head norms [N, H]
        float[] qtPre, ktPre, qt, kt;        // normalised, before and after the attention sites
        float[] qtByHead, ktByHead;          // q̃, k̃ after the sites with the heads as the last axis [N, d, H]
        float[] a;                           // values [N, 3F]
        float[] dhPre, dh, dvPre, dv;        // aggregated messages before and after their sites
        float[] u;                           // vector mix [N, 3, 3F]
        float[] o;                           // output projection [N, 3F]
        // edges
        float[] rbfSite;                     // radial basis after the rbf_in site [E, K]
        float[] p, alpha, alphaF;            // e^{l−m}/Z and α [E, H]; α per channel [E, F]
        float[] filter, filterSlope;         // radial filters f [E, 3F] and ∂f/∂(their input): d (table) or W_r rbf + b_r
        float[] filterPre, biasSlope;        // W_r rbf + b_r [E, 3F] (products); ∂b/∂d of the attention bias [E, H] (table)

        void allocateAtoms(int n, int f, int hd) {
            normalized = new float[n * f];
            rstd = new float[n];
            sPre = new float[n * f];
            s = new float[n * f];
            vIn = new float[n * 3 * f];
            vq = new float[n * 3 * f];
            q = new float[n * f];
            k = new float[n * f];
            qNorm = new float[n * hd];
            kNorm = new float[n * hd];
            qtPre = new float[n * f];
            ktPre = new float[n * f];
            qt = new float[n * f];
            kt = new float[n * f];
            qtByHead = new float[n * f];
            ktByHead = new float[n * f];
            a = new float[n * 3 * f];
            dhPre = new float[n * f];
            dh = new float[n * f];
            dvPre = new float[n * 3 * f];
            dv = new float[n * 3 * f];
            u = new float[n * 9 * f];
            o = new float[n * 3 * f];
        }

        /** k: the basis functions, 0 when no layer computes products over the basis. */
        void allocateEdges(int e, int f, int hd, int k) {
            rbfSite = new float[e * k];
            p = new float[e * hd];
            alpha = new float[e * hd];
            alphaF = new float[e * f];
            filterPre = new float[k > 0 ? e * 3 * f : 0];
            filter = new float[e * 3 * f];
            filterSlope = new float[e * 3 * f];
            biasSlope = new float[e * hd];
        }
    }
}
