package org.gaq.tensor;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Broadcasting element-wise ops, their summed backward ({@code mulSumTo}, {@code sumTo}) and the
 * gather / index-add pair against naive index loops, on the shapes the model uses (same shape,
 * [E,3,F]·[E,1,F], [E,F]·[E,1], a scalar, a row [F]) with lengths that leave vector tails.
 * The kernels compute each element exactly like the naive loop, so the comparison is bitwise.
 */
class BroadcastKernelsTest {
    private static final int[][][] PAIRS = {
            {{7, 37}, {7, 37}},          // same shape, tail of 37
            {{5, 3, 33}, {5, 1, 33}},     // row broadcast along the middle axis (vector message)
            {{9, 3, 64}, {9, 1, 64}},
            {{11, 20}, {11, 1}},          // one value per row
            {{1, 17}, {6, 17}},           // broadcast left operand
            {{13}, {1}},                  // scalar
            {{1}, {19}},
            {{4, 1, 18}, {1, 5, 18}},     // both broadcast
            {{3, 4, 5}, {5}},
            {{2, 3, 1}, {2, 1, 40}},
    };

    private static Tensor random(SplittableRandom r, int[] shape) {
        float[] x = new float[Shape.size(shape)];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 6 - 3) + (i % 2 == 0 ? 3.5f : -3.5f);
        return Tensor.of(x, shape);
    }

    /** Element i of a tensor of shape {@code full} read from operand {@code t} by broadcasting. */
    private static float at(Tensor t, int[] full, int flat) {
        int[] st = Shape.broadcastStrides(t.shape, full);
        int off = 0;
        for (int d = full.length - 1; d >= 0; d--) {
            int i = flat % full[d];
            flat /= full[d];
            off += i * st[d];
        }
        return t.data[off];
    }

    @Test
    void binaryOpsMatchNaiveBroadcast() {
        SplittableRandom r = new SplittableRandom(21);
        for (int[][] pair : PAIRS) {
            for (int swap = 0; swap < 2; swap++) {
                Tensor a = random(r, pair[swap]), b = random(r, pair[1 - swap]);
                int[] full = Shape.broadcast(a.shape, b.shape, "test");
                int n = Shape.size(full);
                float[] add = new float[n], sub = new float[n], mul = new float[n], div = new float[n];
                for (int i = 0; i < n; i++) {
                    float x = at(a, full, i), y = at(b, full, i);
                    add[i] = x + y; sub[i] = x - y; mul[i] = x * y; div[i] = x / y;
                }
                String what = Shape.str(a.shape) + " with " + Shape.str(b.shape);
                assertArrayEquals(add, a.add(b).data, "add " + what);
                assertArrayEquals(sub, a.sub(b).data, "sub " + what);
                assertArrayEquals(mul, a.mul(b).data, "mul " + what);
                assertArrayEquals(div, a.div(b).data, "div " + what);
            }
        }
    }

    @Test
    void mulSumToAndSumToMatchNaiveLoops() {
        SplittableRandom r = new SplittableRandom(22);
        for (int[][] pair : PAIRS) {
            Tensor a = random(r, pair[0]), b = random(r, pair[1]);
            int[] full = Shape.broadcast(a.shape, b.shape, "test");
            Tensor g = random(r, full);
            for (int[] target : new int[][]{a.shape, b.shape}) {
                // Naive: accumulate in the order of the flat index of the full shape, as the kernels do.
                int[] st = Shape.broadcastStrides(target, full);
                float[] expected = new float[Shape.size(target)];
                float[] expectedSum = new float[Shape.size(target)];
                boolean reducesInner = st[full.length - 1] == 0 && full[full.length - 1] > 1;
                int inner = full[full.length - 1];
                for (int o = 0; o < Shape.size(full); o += inner) {
                    int dst = offset(st, full, o);
                    if (reducesInner) {
                        float acc = 0f, accSum = 0f;
                        for (int k = 0; k < inner; k++) {
                            acc += g.data[o + k] * at(b, full, o + k);
                            accSum += g.data[o + k];
                        }
                        expected[dst] += acc;
                        expectedSum[dst] += accSum;
                    } else {
                        for (int k = 0; k < inner; k++) {
                            expected[dst + k * st[full.length - 1]] += g.data[o + k] * at(b, full, o + k);
                            expectedSum[dst + k * st[full.length - 1]] += g.data[o + k];
                        }
                    }
                }
                String what = Shape.str(full) + " to " + Shape.str(target);
                assertArrayEquals(expected, Elementwise.mulSumTo(g, b, target).data, "mulSumTo " + what);
                assertArrayEquals(expectedSum, g.sumTo(target).data, "sumTo " + what);
            }
        }
    }

    private static int offset(int[] strides, int[] full, int flat) {
        int off = 0;
        for (int d = full.length - 1; d >= 0; d--) {
            off += (flat % full[d]) * strides[d];
            flat /= full[d];
        }
        return off;
    }

    @Test
    void gatherAndIndexAddMatchNaiveLoops() {
        SplittableRandom r = new SplittableRandom(23);
        for (int[] rowShape : new int[][]{{}, {1}, {3}, {17}, {64}, {3, 33}}) {
            int rows = 7, edges = 41;
            int[] shape = new int[rowShape.length + 1];
            shape[0] = rows;
            System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
            Tensor a = random(r, shape);
            int row = Shape.size(shape) / rows;
            int[] index = new int[edges];
            for (int e = 0; e < edges; e++) index[e] = r.nextInt(rows);
            Tensor gathered = a.gatherRows(index);
            float[] expectedGather = new float[edges * row];
            for (int e = 0; e < edges; e++) System.arraycopy(a.data, index[e] * row, expectedGather, e * row, row);
            assertArrayEquals(expectedGather, gathered.data, "gather row " + row);

            Tensor perEdge = random(r, gathered.shape);
            float[] expectedSum = new float[rows * row];
            for (int e = 0; e < edges; e++) {
                for (int k = 0; k < row; k++) expectedSum[index[e] * row + k] += perEdge.data[e * row + k];
            }
            assertArrayEquals(expectedSum, perEdge.indexAdd(index, rows).data, "indexAdd row " + row);
        }
    }
}
