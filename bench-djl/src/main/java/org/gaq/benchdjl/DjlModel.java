package org.gaq.benchdjl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.gaq.data.GraphBatch;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.gaq.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * gaq's equivariant transformer (src/main/java/org/gaq/model/EquivariantTransformer.java, docs/model.md) on
 * DJL's PyTorch engine, float32: a port of tools/torch-reference/gaq_torch.py to NDArray ops. Same
 * parameter names and layouts as the gaq checkpoint (weights [in, out], y = x·W + b), same graph
 * convention (edge e: i ← j, i = center[e], j = neighbor[e], r_ij = R_j − R_i), same float constants.
 *
 * <p>DJL has no index_add / scatter_add, which message passing needs for its segment sums. They are done
 * here with operations DJL does have, exactly and differentiably to any order: every edge gets a slot
 * (centre i, k-th neighbour of i) in a padded [N·K, W] array (K = the largest number of neighbours),
 * {@code scatter} (no reduction; each slot is written once) puts the edge values there, and a sum over
 * the K axis gives the segment sums. The per-centre softmax maximum uses the same padded layout (a max
 * over K of the detached logits). Atom energies are summed into molecules the same way.
 */
public final class DjlModel {
    /** EquivariantTransformer.ATTENTION_SINK: ε of the softmax α = φ e^l / (ε + Σ φ e^l). */
    static final float ATTENTION_SINK = 1f;

    private final NDManager manager;
    private final ModelConfig config;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final float[] elementShift, elementScale;
    private final NDArray mu;
    private final float beta;
    /** Adam state, created on the first training step. */
    private final Map<String, NDArray[]> adamState = new LinkedHashMap<>();
    private int adamSteps;

    /** FLOAT32 (the benchmark), or FLOAT64 (a reference for the agreement check). */
    private final DataType dtype;

    /** The FP32 parameters of a gaq model, copied into {@code manager}, computing in float32. */
    public DjlModel(EquivariantTransformer model, NDManager manager) {
        this(model, manager, DataType.FLOAT32);
    }

    /** The parameters of a gaq model, copied into {@code manager}, computing in {@code dtype}. */
    public DjlModel(EquivariantTransformer model, NDManager manager, DataType dtype) {
        this.manager = manager;
        this.dtype = dtype;
        this.config = model.config();
        for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) {
            int[] s = e.getValue().shape();
            long[] shape = new long[s.length];
            for (int i = 0; i < s.length; i++) shape[i] = s[i];
            params.put(e.getKey(), manager.create(e.getValue().toArray(), new Shape(shape)).toType(dtype, false));
        }
        this.elementShift = model.elementShift().clone();
        this.elementScale = model.elementScale().clone();
        // PhysNet centres and width, rounded to float like Radial.physNet
        int k = config.radialBasis();
        double lo = Math.exp(-config.cutoff());
        float[] muValues = new float[k];
        for (int i = 0; i < k; i++) muValues[i] = (float) (lo + (1.0 - lo) * i / (k - 1));
        this.mu = manager.create(muValues, new Shape(k)).toType(dtype, false);
        this.beta = (float) Math.pow((2.0 / k) * (1.0 - lo), -2);
    }

    public ModelConfig config() {
        return config;
    }

    public Map<String, NDArray> parameters() {
        return params;
    }

    public float[] elementScale() {
        return elementScale;
    }

    /** The parameters as the forward sees them: themselves, or per-step views during training (see lossAndGradients). */
    private Map<String, NDArray> active = params;

    private NDArray p(String name) {
        return active.get(name);
    }

    /** Whether the parameters record gradients (training) or not (inference: forces only). */
    public void setParametersRequireGrad(boolean on) {
        for (NDArray a : params.values()) JniUtils.attachGradient((PtNDArray) a, on);
    }

    // ------------------------------------------------------------------ graph

    /**
     * A GraphBatch as index arrays for DJL, built once per graph (like gaq's neighbour list, outside the
     * timed region): gather indices, and the scatter slots of the segment sums for each width used.
     */
    public static final class Graph implements AutoCloseable {
        final GraphBatch g;
        final int n, e, k, molecules, maxAtoms;
        final NDManager m;
        final NDArray z, center, neighbor, scaleOfAtom;
        final NDArray slotF, slot3F, slotH, atomSlot;
        final double[] shifts;

        public Graph(GraphBatch g, DjlModel model, NDManager parent) {
            this.g = g;
            this.m = parent.newSubManager();
            ModelConfig c = model.config;
            n = g.numAtoms();
            e = g.numEdges();
            molecules = g.numMolecules();
            int f = c.features(), h = c.heads();
            int[] ci = g.center(), nj = g.neighbor();
            // slot of edge e: centre * K + (rank of e among the edges of its centre)
            int[] degree = new int[n];
            long[] edgeSlot = new long[e];
            for (int i = 0; i < e; i++) edgeSlot[i] = degree[ci[i]]++;
            int kMax = 1;
            for (int d : degree) kMax = Math.max(kMax, d);
            k = kMax;
            for (int i = 0; i < e; i++) edgeSlot[i] += (long) ci[i] * k;
            int[] atomsOf = new int[molecules];
            long[] atomSlotValues = new long[n];
            for (int i = 0; i < n; i++) atomSlotValues[i] = atomsOf[g.moleculeOfAtom()[i]]++;
            int am = 1;
            for (int a : atomsOf) am = Math.max(am, a);
            maxAtoms = am;
            for (int i = 0; i < n; i++) atomSlotValues[i] += (long) g.moleculeOfAtom()[i] * maxAtoms;
            z = m.create(toLong(g.atomicNumbers()));
            center = m.create(toLong(ci));
            neighbor = m.create(toLong(nj));
            float[] scale = new float[n];
            for (int i = 0; i < n; i++) scale[i] = model.elementScale[g.atomicNumbers()[i]];
            scaleOfAtom = m.create(scale, new Shape(n, 1)).toType(model.dtype, false);
            slotF = m.create(expand(edgeSlot, f), new Shape(e, f));
            slot3F = m.create(expand(edgeSlot, 3 * f), new Shape(e, 3L * f));
            slotH = m.create(expand(edgeSlot, h), new Shape(e, h));
            atomSlot = m.create(atomSlotValues, new Shape(n, 1));
            shifts = new double[molecules];
            for (int i = 0; i < n; i++) shifts[g.moleculeOfAtom()[i]] += model.elementShift[g.atomicNumbers()[i]];
        }

        public GraphBatch batch() {
            return g;
        }

        private static long[] toLong(int[] a) {
            long[] r = new long[a.length];
            for (int i = 0; i < a.length; i++) r[i] = a[i];
            return r;
        }

        private static long[] expand(long[] slot, int width) {
            long[] r = new long[slot.length * width];
            for (int i = 0; i < slot.length; i++) java.util.Arrays.fill(r, i * width, (i + 1) * width, slot[i]);
            return r;
        }

        @Override
        public void close() {
            m.close();
        }
    }

    /** out[index[e]] += src[e] over the first axis: [E, W] → [rows, W], via the padded slots. */
    private static NDArray segmentSum(NDArray src, NDArray slots, int rows, int k) {
        long w = src.getShape().get(1);
        NDArray padded = src.getManager().zeros(new Shape((long) rows * k, w), src.getDataType());
        return padded.scatter(slots, src, 0).reshape(rows, k, w).sum(new int[]{1});
    }

    private static NDArray rows(NDArray x, NDArray index) {
        return x.get(new NDIndex("{}", index));
    }

    private static NDArray silu(NDArray x) {
        return x.mul(ai.djl.nn.Activation.sigmoid(x));
    }

    private static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        return LayerNorm.layerNorm(x, new Shape(x.getShape().get(x.getShape().dimension() - 1)), gamma, beta, 1e-5f)
                .singletonOrThrow();
    }

    /** alpha_e = w_e exp(l_e − m) / (ε e^{−m} + Σ_{seg(e)} w exp(l − m)), m = per-segment max (a constant). */
    private static NDArray segmentSoftmax(NDArray logits, NDArray weight, Graph gr, float eps) {
        long h = logits.getShape().get(1);
        NDArray detached = logits.stopGradient();
        NDArray padded = logits.getManager().full(new Shape((long) gr.n * gr.k, h), Float.NEGATIVE_INFINITY, logits.getDataType());
        NDArray max = padded.scatter(gr.slotH, detached, 0).reshape(gr.n, gr.k, h).max(new int[]{1});   // [N,H]
        NDArray num = logits.sub(rows(max, gr.center)).exp().mul(weight);
        NDArray denom = segmentSum(num, gr.slotH, gr.n, gr.k).add(max.neg().exp().mul(eps));
        return num.div(rows(denom, gr.center));
    }

    // ------------------------------------------------------------------ forward

    /** E_m − Σ μ_Z per molecule [M] (eV) as a function of positions [N, 3]. */
    public NDArray interactionEnergies(Graph gr, NDArray positions) {
        int n = gr.n, e = gr.e, f = config.features(), heads = config.heads(), d = config.headDim();
        float rc = (float) config.cutoff();

        // Edge geometry: r_ij = R_j − R_i, d_ij = |r_ij|, r̂ = r/d, cosine cutoff, PhysNet basis
        NDArray rij = rows(positions, gr.neighbor).sub(rows(positions, gr.center));                 // [E,3]
        NDArray dij = rij.mul(rij).sum(new int[]{1}, true).sqrt();                                   // [E,1]
        NDArray unit = rij.div(dij);
        NDArray inside = dij.lt(config.cutoff()).toType(dtype, false);
        NDArray cutoff = dij.mul((float) (Math.PI / config.cutoff())).cos().add(1f).mul(0.5f).mul(inside);
        NDArray rbf = dij.neg().exp().sub(mu).square().mul(-beta).exp();                             // [E,K]

        NDArray h = rows(p("embedding"), gr.z);                                                      // [N,F]
        NDArray v = null;                                                                            // [N,3,F], 0 in layer 0
        for (int l = 0; l < config.layers(); l++) {
            String lp = "layers." + l + ".";
            NDArray s = layerNorm(h, p(lp + "norm.gamma"), p(lp + "norm.beta"));
            NDArray q = s.matMul(p(lp + "query.weight"));
            NDArray k = s.matMul(p(lp + "key.weight"));
            NDArray a = s.matMul(p(lp + "value.weight")).add(p(lp + "value.bias"));                 // [N,3F]

            NDArray qh = q.reshape(n, heads, d), kh = k.reshape(n, heads, d);
            if (config.cosineAttention()) {
                float eps2 = 1e-6f * 1e-6f;
                qh = qh.div(qh.mul(qh).sum(new int[]{2}, true).add(eps2).sqrt());
                kh = kh.div(kh.mul(kh).sum(new int[]{2}, true).add(eps2).sqrt());
            }
            NDArray dot = rows(qh, gr.center).mul(rows(kh, gr.neighbor)).sum(new int[]{2});           // [E,H]
            NDArray logits = config.cosineAttention() ? dot.mul(p(lp + "temperature"))
                    : dot.mul((float) (1.0 / Math.sqrt(d)));
            logits = logits.add(rbf.matMul(p(lp + "radial_bias.weight")));
            NDArray alpha = segmentSoftmax(logits, cutoff, gr, ATTENTION_SINK);                      // [E,H]
            NDArray alphaF = alpha.reshape(e, heads, 1).broadcast(new Shape(e, heads, d)).reshape(e, f);

            // messages [m1|m2|m3] = a_j ⊙ SiLU(W_r rbf + b_r), each weighted by α
            NDArray filt = silu(rbf.matMul(p(lp + "radial_filter.weight")).add(p(lp + "radial_filter.bias")));
            NDList msg = rows(a, gr.neighbor).mul(filt).split(3, 1);
            NDArray m1 = msg.get(0).mul(alphaF), m3 = msg.get(2).mul(alphaF);
            // Δh_i = Σ_j m1;  Δv_i = Σ_j (m3 ⊗ r̂_ij + m2 ⊙ v_j)
            NDArray dh = segmentSum(m1, gr.slotF, n, gr.k);                                          // [N,F]
            NDArray vmsg = m3.reshape(e, 1, f).mul(unit.reshape(e, 3, 1));                            // [E,3,F]
            if (v != null) vmsg = vmsg.add(msg.get(1).mul(alphaF).reshape(e, 1, f).mul(rows(v, gr.neighbor)));
            NDArray dv = segmentSum(vmsg.reshape(e, 3L * f), gr.slot3F, n, gr.k).reshape(n, 3, f);
            // [o1 o2 o3] = W_o Δh + b_o;  h += o3 + o2 ⊙ ⟨u1,u2⟩;  v += o1 ⊙ u3 + Δv,  [u1 u2 u3] = U v
            NDList o = dh.matMul(p(lp + "output.weight")).add(p(lp + "output.bias")).split(3, 1);
            if (v == null) {
                h = h.add(o.get(2));
                v = dv;
                continue;
            }
            NDList u = v.reshape(3L * n, f).matMul(p(lp + "vector_mix.weight")).reshape(n, 3, 3L * f).split(3, 2);
            h = h.add(o.get(2)).add(o.get(1).mul(u.get(0).mul(u.get(1)).sum(new int[]{1})));
            v = v.add(o.get(0).reshape(n, 1, f).mul(u.get(2))).add(dv);
        }

        // E = Σ_i σ_Z MLP(LN(h_i)); the shifts μ_Z are added in double by the caller
        NDArray s = layerNorm(h, p("head.norm.gamma"), p("head.norm.beta"));
        NDArray hidden = silu(s.matMul(p("head.hidden.weight")).add(p("head.hidden.bias")));
        NDArray atomic = hidden.matMul(p("head.out.weight")).add(p("head.out.bias"));                 // [N,1]
        NDArray atomEnergy = atomic.mul(gr.scaleOfAtom);
        return segmentSum(atomEnergy, gr.atomSlot, gr.molecules, gr.maxAtoms).reshape(gr.molecules);
    }

    /** Energies and forces of one evaluation, as Java arrays. */
    public record Prediction(double[] energies, float[] forces) {}

    /**
     * E and F = −∂E/∂R. Inference: the parameters must not require grad (see {@link #setParametersRequireGrad}),
     * so the backward computes the position gradient only, as gaq's predict(g, false) does.
     */
    public Prediction predict(Graph gr) {
        JniUtils.setGradMode(true);   // DJL's PyTorch engine starts with autograd off (GradientCollector turns it on)
        setParametersRequireGrad(false);
        try (NDScope ignored = new NDScope(); NDManager scope = gr.m.newSubManager()) {
            NDArray pos = scope.create(gr.g.positions(), new Shape(gr.n, 3)).toType(dtype, false);
            pos.setRequiresGradient(true);
            NDArray energy = interactionEnergies(gr, pos);
            NDArray total = energy.sum();
            JniUtils.backward((PtNDArray) total, (PtNDArray) scope.ones(total.getShape()), false, false);
            float[] forces = pos.getGradient().neg().toType(DataType.FLOAT32, false).toFloatArray();
            double[] e = energy.toType(DataType.FLOAT64, false).toDoubleArray();
            double[] out = new double[e.length];
            for (int i = 0; i < e.length; i++) out[i] = e[i] + gr.shifts[i];
            return new Prediction(out, forces);
        }
    }

    /** Loss and its gradient for every parameter (checkpoint order), as Trainer.lossAndGradients. */
    public record LossAndGradients(double loss, double[] energies, float[] forces, Map<String, double[]> grads) {}

    /**
     * One training step's worth of work: forward, forces with a graph (create_graph), energy + force loss
     * (Trainer.loss: w_E/B Σ((E−Ê)/σ)² + w_F/(3N) Σ((F−F̂)/σ)², σ = element_scale[1]), gradients of all
     * parameters by a second backward. If {@code copyGradients}, returns them (for the agreement check);
     * the gradients stay in the parameters' .grad for {@link #adamStep}.
     *
     * <p>JniUtils.backward is torch's Tensor.backward: it accumulates into every leaf that requires grad.
     * The first backward (forces) must reach the positions only: the parameters are switched to
     * requires_grad = false for it (torch's AccumulateGrad then skips them, while the graph built during
     * the forward still leads to them for the second backward). Otherwise it would add ∂E/∂θ into θ.grad,
     * and, with create_graph, make θ.grad hold a graph referring to θ: a reference cycle that leaks.
     *
     * <p>Known leak: the positions are such a leaf too. Their .grad (the forces, with create_graph) holds a
     * graph that leads back to the positions, and torch breaks that cycle only when .grad is reset to None,
     * which DJL cannot do (no setter, no autograd.grad; zeroGrad zeroes in place). Each step therefore keeps
     * part of its graph alive: 30–45 MB per step for 8 ethanol (RSS, measured). See bench-djl/README.md.
     */
    public LossAndGradients lossAndGradients(Graph gr, float energyWeight, float forceWeight, boolean copyGradients) {
        GraphBatch g = gr.g;
        JniUtils.setGradMode(true);
        try (NDScope ignored = new NDScope(); NDManager scope = gr.m.newSubManager()) {
            setParametersRequireGrad(true);
            for (NDArray a : params.values()) JniUtils.zeroGrad((PtNDArray) a);
            // the forward uses views of the parameters (non-leaves), so that the graph of the forces keeps
            // its path to the parameters while their requires_grad is off for the first backward
            Map<String, NDArray> views = new LinkedHashMap<>();
            for (var en : params.entrySet()) views.put(en.getKey(), en.getValue().reshape(en.getValue().getShape()));
            active = views;
            NDArray pos = scope.create(g.positions(), new Shape(gr.n, 3)).toType(dtype, false);
            pos.setRequiresGradient(true);
            NDArray energy;
            try {
                energy = interactionEnergies(gr, pos);
            } finally {
                active = params;
            }
            NDArray total = energy.sum();
            setParametersRequireGrad(false);
            try {
                JniUtils.backward((PtNDArray) total, (PtNDArray) scope.ones(total.getShape()), true, true);
            } finally {
                setParametersRequireGrad(true);
            }
            NDArray forces = pos.getGradient().neg();                                                 // [N,3], on the graph

            // labels as Trainer.loss: E − Σμ formed in double, rounded to float; forces rounded to float
            float[] eRef = new float[gr.molecules];
            for (int m = 0; m < eRef.length; m++) eRef[m] = (float) (g.energies()[m] - gr.shifts[m]);
            float[] fRef = new float[g.forces().length];
            for (int i = 0; i < fRef.length; i++) fRef[i] = (float) g.forces()[i];
            float invSigma = 1f / elementScale[1];
            float energyNorm = 1f / gr.molecules, forceNorm = 1f / (3f * gr.n);
            NDArray ee = energy.sub(scope.create(eRef).toType(dtype, false)).mul(invSigma);
            NDArray fe = forces.sub(scope.create(fRef, new Shape(gr.n, 3)).toType(dtype, false)).mul(invSigma);
            NDArray loss = ee.mul(ee).sum().mul(energyWeight * energyNorm).add(fe.mul(fe).sum().mul(forceWeight * forceNorm));
            JniUtils.backward((PtNDArray) loss, (PtNDArray) scope.ones(loss.getShape()), false, false);

            double lossValue = loss.toType(DataType.FLOAT64, false).getDouble();
            Map<String, double[]> grads = new LinkedHashMap<>();
            double[] energies = null;
            float[] forceValues = null;
            if (copyGradients) {
                for (var en : params.entrySet()) grads.put(en.getKey(), en.getValue().getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
                double[] e = energy.toType(DataType.FLOAT64, false).toDoubleArray();
                energies = new double[e.length];
                for (int i = 0; i < e.length; i++) energies[i] = e[i] + gr.shifts[i];
                forceValues = forces.toType(DataType.FLOAT32, false).toFloatArray();
            }
            return new LossAndGradients(lossValue, energies, forceValues, grads);
        }
    }

    /** Adam on the gradients left in the parameters by lossAndGradients (DJL's fused adamUpdate). */
    public void adamStep(float lr, float beta1, float beta2, float eps) {
        adamSteps++;
        float correction = (float) (lr * Math.sqrt(1 - Math.pow(beta2, adamSteps)) / (1 - Math.pow(beta1, adamSteps)));
        {
            for (var en : params.entrySet()) {
                NDArray w = en.getValue();
                NDArray[] st = adamState.computeIfAbsent(en.getKey(),
                        k -> new NDArray[]{manager.zeros(w.getShape()), manager.zeros(w.getShape())});
                NDArray grad = w.getGradient();
                JniUtils.adamUpdate((PtNDArray) w, (PtNDArray) grad, (PtNDArray) st[0], (PtNDArray) st[1],
                        lr, correction, 0f, 1f, -1f, beta1, beta2, eps, false);
                grad.close();
            }
        }
    }

    /** Parameter names in checkpoint order. */
    public List<String> parameterNames() {
        return new ArrayList<>(params.keySet());
    }
}
