package org.gaq.tensor;

import org.gaq.tensor.kernels.ElementwiseKernels;

import java.util.Arrays;

/**
 * Graph ops: gather rows by index (node → edge) and its adjoint, index-add / segment sum
 * (edge → node). A "row" is everything below the first axis, so [N, 3, F] gathers whole 3×F blocks.
 */
public final class Index {
    private Index() {}

    /** out[e] = a[index[e]]; shape [index.length, a.shape[1:]...]. Backward: indexAdd. */
    public static Tensor gatherRows(Tensor a, int[] index) {
        if (a.shape.length == 0) throw new IllegalArgumentException("gatherRows: needs rank ≥ 1, got a scalar");
        int rows = a.shape[0], row = a.data.length / Math.max(rows, 1);
        checkIndex(index, rows, "gatherRows", a.shape);
        int[] outShape = a.shape.clone();
        outShape[0] = index.length;
        float[] out = new float[index.length * row];
        if (row == 1) {
            for (int e = 0; e < index.length; e++) out[e] = a.data[index[e]];
        } else {
            for (int e = 0; e < index.length; e++) System.arraycopy(a.data, index[e] * row, out, e * row, row);
        }
        return Tensor.result(out, outShape, "gatherRows", g -> new Tensor[]{indexAdd(g, index, rows)}, a);
    }

    /** out[index[e]] += a[e]; shape [numRows, a.shape[1:]...]. The segment sum. Backward: gatherRows. */
    public static Tensor indexAdd(Tensor a, int[] index, int numRows) {
        if (a.shape.length == 0) throw new IllegalArgumentException("indexAdd: needs rank ≥ 1, got a scalar");
        if (index.length != a.shape[0]) {
            throw new IllegalArgumentException("indexAdd: " + index.length + " indices for a tensor of shape " + Shape.str(a.shape));
        }
        checkIndex(index, numRows, "indexAdd", null);
        int[] outShape = a.shape.clone();
        outShape[0] = numRows;
        // The row size comes from the shape, not data.length / rows: with no rows (no edges) the output still has numRows rows.
        int row = Shape.size(Arrays.copyOfRange(a.shape, 1, a.shape.length));
        float[] out = new float[numRows * row];
        if (row == 1) {
            for (int e = 0; e < index.length; e++) out[index[e]] += a.data[e];
        } else {
            for (int e = 0; e < index.length; e++) ElementwiseKernels.addTo(a.data, e * row, out, index[e] * row, row);
        }
        return Tensor.result(out, outShape, "indexAdd", g -> new Tensor[]{gatherRows(g, index)}, a);
    }

    /** Per-segment maximum of each column, a constant (used only to stabilise softmax). Empty segments get 0. */
    public static Tensor segmentMax(Tensor a, int[] segment, int numSegments) {
        Shape.requireRank(a, 2, "segmentMax");
        if (segment.length != a.shape[0]) {
            throw new IllegalArgumentException("segmentMax: " + segment.length + " segment ids for shape " + Shape.str(a.shape));
        }
        checkIndex(segment, numSegments, "segmentMax", null);
        int cols = a.shape[1];
        float[] out = new float[numSegments * cols];
        Arrays.fill(out, Float.NEGATIVE_INFINITY);
        for (int e = 0; e < segment.length; e++) {
            int dst = segment[e] * cols;
            for (int c = 0; c < cols; c++) out[dst + c] = Math.max(out[dst + c], a.data[e * cols + c]);
        }
        for (int i = 0; i < out.length; i++) if (out[i] == Float.NEGATIVE_INFINITY) out[i] = 0f;
        return Tensor.of(out, numSegments, cols);
    }

    private static void checkIndex(int[] index, int bound, String op, int[] shape) {
        for (int e = 0; e < index.length; e++) {
            if (index[e] < 0 || index[e] >= bound) {
                throw new IndexOutOfBoundsException(op + ": index " + index[e] + " at position " + e + " is out of range [0, "
                        + bound + ")" + (shape != null ? " for shape " + Shape.str(shape) : ""));
            }
        }
    }
}
