package org.gaq.infer;

import org.gaq.data.GraphBatch;
import org.gaq.model.EdgeGeometry;
import org.gaq.model.ModelConfig;

import java.util.Arrays;

/**
 * The model compiled for inference: energies, and forces F = −∂E/∂R by a hand-written reverse pass (positions
 * only: no weight gradients, no graph), over a reusable {@link Workspace}. Built by {@link ModelCompiler} from
 * any model the tape runs (FP32, fake-quantized, integer); the precision lives in the {@link Projection}s and
 * the sites' {@link ScalarQuantization}/{@link VectorQuantization}, so this class and the layers never ask
 * which precision they run. docs/engine.md gives the reverse pass equation by equation.
 */
public final class CompiledModel {
    private final ModelConfig config;
    private final float[] embedding;          // [(maxZ + 1) × F]
    private final float[] elementShift, elementScale;
    private final EdgeGeometry geometry;
    private final InteractionLayer[] layers;
    private final EnergyHead head;
    private final String precision;
    private final boolean basisProducts;      // whether some layer's radial channels are products over the basis
    /** Edges per group of a batch's molecules (see {@link #evaluate}); one ethanol has 72, one aspirin ~300. */
    static final int GROUP_EDGES = Integer.getInteger("gaq.groupEdges", 256);

    CompiledModel(ModelConfig config, float[] embedding, float[] elementShift, float[] elementScale,
                  InteractionLayer[] layers, EnergyHead head, String precision) {
        this.config = config;
        this.embedding = embedding;
        this.elementShift = elementShift;
        this.elementScale = elementScale;
        this.geometry = new EdgeGeometry(config.cutoff(), config.radialBasis());
        this.layers = layers;
        this.head = head;
        this.precision = precision;
        this.basisProducts = Arrays.stream(layers).anyMatch(l -> l.radial().readsRadialBasis());
    }

    public ModelConfig config() {
        return config;
    }

    /** "FP32", "fake-quantized …" or "integer …": what the projections and sites hold. */
    public String precision() {
        return precision;
    }

    /** A workspace for this model; one per thread, reused across calls. */
    public Workspace newWorkspace() {
        return new Workspace(config.features(), config.heads(), config.radialBasis(), layers.length, basisProducts);
    }

    /** Energies only (into {@link Workspace#energies()}): the forward pass, no reverse pass. */
    public void energies(GraphBatch g, Workspace ws) {
        evaluate(g, null, ws, false);
    }

    /** Energies and forces (into {@link Workspace#energies()} and {@link Workspace#forces()}). */
    public void energiesAndForces(GraphBatch g, Workspace ws) {
        evaluate(g, null, ws, true);
    }

    /**
     * As {@link #energiesAndForces(GraphBatch, Workspace)} (or energies only) with the positions in double
     * ({@code positions} [3N], same atom order as g), so that edge vectors are exact differences.
     *
     * <p>A batch is evaluated in groups of whole molecules of about {@link #GROUP_EDGES} edges each: the forward pass
     * keeps every layer's edge arrays for the reverse pass (filters, their slopes, attention weights), which for a
     * whole batch of 64 ethanol are tens of MB streamed through memory, and for one group stay in the core's cache
     * (docs/performance.md, "Batches in cache-sized groups"). Molecules do not interact, so the results are the
     * same as one pass over the batch, bitwise.
     */
    public void evaluate(GraphBatch g, double[] positions, Workspace ws, boolean withForces) {
        int n = g.numAtoms(), m = g.numMolecules();
        if (positions != null && positions.length < 3 * n) {
            throw new IllegalArgumentException("expected " + 3 * n + " coordinates, got " + positions.length);
        }
        ws.ensureResults(n, m);
        ws.withForces = withForces;
        if (g.numEdges() <= ws.groupEdges || m == 1) {
            double[] r = positions != null ? positions : ws.positionsOf(g.positions(), n);
            evaluateGroup(n, g.numEdges(), m, g.atomicNumbers(), g.center(), g.neighbor(), g.moleculeOfAtom(), r, ws, 0, 0);
            return;
        }
        Workspace.Group group = ws.group;
        int[] offsets = g.atomOffsets();
        for (int first = 0, last; first < m; first = last) {
            last = g.groupEnd(first, ws.groupEdges);
            int a0 = offsets[first], edges = g.firstEdgeOf(offsets[last]) - g.firstEdgeOf(a0);
            group.fill(g, positions, first, last);
            evaluateGroup(offsets[last] - a0, edges, last - first, group.atomicNumbers, group.center, group.neighbor,
                    group.moleculeOfAtom, group.positions, ws, first, a0);
        }
    }

    /**
     * One pass over a structure of whole molecules (atom indices from 0), its energies written from molecule
     * {@code firstMolecule} on and its forces from atom {@code firstAtom} on of the workspace's results.
     */
    private void evaluateGroup(int n, int e, int m, int[] z, int[] center, int[] neighbor, int[] molecule, double[] r,
                               Workspace ws, int firstMolecule, int firstAtom) {
        int f = config.features();
        ws.ensure(n, e, m);
        EdgeGeometry.segments(center, e, n, ws.segmentStart);

        geometry.edges(r, center, neighbor, e, ws.unit, ws.distance, ws.expDistance, ws.cutoff, ws.cutoffDerivative);
        if (basisProducts) geometry.basis(ws.expDistance, e, ws.rbf, ws.rbfDerivative);
        ws.geometryChanged(center);
        for (int i = 0; i < n; i++) {
            int zi = z[i];
            if (zi < 1 || zi > config.maxAtomicNumber()) {
                throw new IllegalArgumentException("atomic number " + zi + " is outside the model's elements 1.." + config.maxAtomicNumber());
            }
            System.arraycopy(embedding, zi * f, ws.h, i * f, f);
        }
        Arrays.fill(ws.v, 0, n * 3 * f, 0f);
        for (int l = 0; l < layers.length; l++) layers[l].forward(ws, ws.layers[l], center, neighbor);
        head.forward(ws);

        double[] energies = ws.energies;
        Arrays.fill(energies, firstMolecule, firstMolecule + m, 0.0);
        for (int i = 0; i < n; i++) energies[firstMolecule + molecule[i]] += ws.atomic[i] * elementScale[z[i]];
        for (int i = 0; i < n; i++) energies[firstMolecule + molecule[i]] += elementShift[z[i]];
        if (!ws.withForces) return;

        for (int i = 0; i < n; i++) ws.gAtomic[i] = elementScale[z[i]];
        head.reverse(ws);
        Arrays.fill(ws.gV, 0, n * 3 * f, 0f);
        Arrays.fill(ws.gDistance, 0, e, 0f);
        Arrays.fill(ws.gCutoff, 0, e, 0f);
        Arrays.fill(ws.gUnit, 0, 3 * e, 0f);
        for (int l = layers.length - 1; l >= 0; l--) layers[l].reverse(ws, ws.layers[l], center, neighbor);
        // forces = −∂E/∂R from the gradients reaching the edge geometry
        EdgeGeometry.addPositionGradient(center, neighbor, e, ws.unit, ws.distance, ws.cutoffDerivative, ws.gDistance, ws.gCutoff, ws.gUnit,
                -1f, ws.groupForces, n);
        System.arraycopy(ws.groupForces, 0, ws.forces, 3 * firstAtom, 3 * n);
    }

    /**
     * Bytes of parameters this compiled model keeps: weights in their precision, the FP32 reverse copies, and the
     * radial tables.
     */
    public long residentBytes() {
        long bytes = 4L * (embedding.length + elementShift.length + elementScale.length);
        for (InteractionLayer l : layers) {
            LayerWeights w = l.weights();
            for (Projection p : new Projection[]{w.query(), w.key(), w.value(), w.vectorMix(), w.output()}) {
                bytes += p.residentBytes();
            }
            bytes += l.radial().residentBytes();
        }
        return bytes;
    }
}
