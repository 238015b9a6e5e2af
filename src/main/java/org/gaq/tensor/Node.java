package org.gaq.tensor;

/**
 * One recorded operation on the autodiff graph: the op's name, its inputs, and how to map the
 * gradient of its output to gradients of its inputs.
 *
 * <p>The backward function is written with ordinary {@link Tensor} operations. Run with recording
 * on, it therefore records its own graph, which is what makes gradients of gradients (forces
 * trained against reference forces) possible.
 */
public final class Node {
    final String op;
    final Tensor[] inputs;
    final Backward backward;

    Node(String op, Tensor[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }

    public String op() {
        return op;
    }

    /** Maps dL/d(output) to dL/d(input_k) for every input; an entry may be null (no gradient). */
    @FunctionalInterface
    public interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }
}
