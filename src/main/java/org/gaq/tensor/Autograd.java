package org.gaq.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Collections;
import java.util.Arrays;

/**
 * Reverse-mode differentiation over the recorded graph.
 *
 * <p>{@code grad(y, xs, createGraph)} walks the ops between {@code y} and {@code xs} in reverse
 * topological order and applies each op's backward rule. The rules are tensor ops, so with
 * {@code createGraph = true} the gradients are themselves on the graph and can be differentiated
 * again: forces F = −∂E/∂R, then ∂loss(F)/∂θ. With {@code createGraph = false} the rules run with
 * recording off and the result is plain numbers.
 */
public final class Autograd {
    /** While a backward pass runs on this thread: which tensors lead to a requested input. */
    private static final ThreadLocal<Map<Tensor, Boolean>> ON_PATH = new ThreadLocal<>();

    private Autograd() {}

    /**
     * Whether a backward rule should compute the gradient for input {@code t}: inside a backward
     * pass, only if t leads to one of the requested inputs (forces need ∂/∂R, not ∂/∂W, so the
     * weight-gradient products are skipped); outside one, whenever t requires grad.
     */
    public static boolean needsGradient(Tensor t) {
        Map<Tensor, Boolean> onPath = ON_PATH.get();
        return onPath == null ? t.requiresGrad() : Boolean.TRUE.equals(onPath.get(t));
    }

    /** ∂y/∂x for each x, where y is a one-element tensor (seed 1). */
    public static Tensor[] grad(Tensor y, Tensor[] xs, boolean createGraph) {
        if (y.size() != 1) {
            throw new IllegalArgumentException("grad: the output must have one element (got shape " + Shape.str(y.shape)
                    + "); pass an explicit output gradient instead");
        }
        return grad(y, xs, Tensor.ones(y.shape), createGraph);
    }

    /**
     * Vector–Jacobian product: Σ gradOutput·∂y/∂x for each x. Inputs that y does not depend on get
     * a zero gradient of their own shape.
     */
    public static Tensor[] grad(Tensor y, Tensor[] xs, Tensor gradOutput, boolean createGraph) {
        Shape.requireSame(y, gradOutput, "grad (output vs output gradient)");
        for (Tensor x : xs) {
            if (!x.requiresGrad()) {
                throw new IllegalArgumentException("grad: an input of shape " + Shape.str(x.shape)
                        + (x.name() != null ? " (" + x.name() + ")" : "") + " does not require grad");
            }
        }
        Set<Tensor> targets = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor x : xs) targets.add(x);

        Map<Tensor, Boolean> reaches = new IdentityHashMap<>();
        List<Tensor> order = topologicalOrder(y, targets, reaches);
        // The gradient contributions of each tensor, summed in one pass when the tensor's turn comes (a tensor
        // used k times, as the radial basis by every layer, would otherwise allocate k − 1 partial sums).
        Map<Tensor, List<Tensor>> grads = new IdentityHashMap<>();
        Map<Tensor, Boolean> outerPath = ON_PATH.get();
        ON_PATH.set(reaches);
        try (GradMode.Scope ignored = createGraph ? GradMode.enableGrad() : GradMode.noGrad()) {
            if (!order.isEmpty()) grads.put(y, contributions(gradOutput));
            for (Tensor t : order) {
                List<Tensor> parts = grads.get(t);
                if (parts == null || t.gradFn == null) continue;
                Tensor g = Elementwise.sum(parts);
                Node node = t.gradFn;
                Tensor[] inputGrads = node.backward.apply(g);
                for (int i = 0; i < node.inputs.length; i++) {
                    Tensor in = node.inputs[i];
                    Tensor gi = inputGrads[i];
                    if (in == null || gi == null || !Boolean.TRUE.equals(reaches.get(in))) continue;
                    if (!Arrays.equals(gi.shape, in.shape)) {
                        throw new IllegalStateException("backward of " + node.op + " gave a gradient of shape "
                                + Shape.str(gi.shape) + " for an input of shape " + Shape.str(in.shape));
                    }
                    grads.computeIfAbsent(in, k -> new ArrayList<>(2)).add(gi);
                }
                // Free intermediate gradients early; keep the ones asked for.
                if (!targets.contains(t)) grads.remove(t);
            }
            Tensor[] out = new Tensor[xs.length];
            for (int i = 0; i < xs.length; i++) {
                List<Tensor> parts = grads.get(xs[i]);
                out[i] = parts != null ? Elementwise.sum(parts) : Tensor.zeros(xs[i].shape);
            }
            return out;
        } finally {
            if (outerPath == null) ON_PATH.remove();
            else ON_PATH.set(outerPath);
        }
    }

    private static List<Tensor> contributions(Tensor first) {
        List<Tensor> parts = new ArrayList<>(2);
        parts.add(first);
        return parts;
    }

    /**
     * Tensors on a path from y down to any target, parents before children (y first). Iterative DFS so
     * deep graphs (six layers, second order) do not overflow the stack.
     */
    private static List<Tensor> topologicalOrder(Tensor y, Set<Tensor> targets, Map<Tensor, Boolean> reaches) {
        // reaches: does this tensor lead to a target? (filled for every tensor visited)
        List<Tensor> postOrder = new ArrayList<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[]{y, 0});
        Set<Tensor> onStack = Collections.newSetFromMap(new IdentityHashMap<>());
        onStack.add(y);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Node node = t.gradFn;
            if (node != null && next < node.inputs.length) {
                frame[1] = next + 1;
                Tensor in = node.inputs[next];
                if (in != null && in.requiresGrad() && !reaches.containsKey(in) && !onStack.contains(in)) {
                    stack.push(new Object[]{in, 0});
                    onStack.add(in);
                }
                continue;
            }
            stack.pop();
            onStack.remove(t);
            boolean r = targets.contains(t);
            if (node != null) {
                for (Tensor in : node.inputs) {
                    if (in != null && Boolean.TRUE.equals(reaches.get(in))) r = true;
                }
            }
            reaches.put(t, r);
            if (r) postOrder.add(t);
        }
        Collections.reverse(postOrder);
        return postOrder;
    }
}
