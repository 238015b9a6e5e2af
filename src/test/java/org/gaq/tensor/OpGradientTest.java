package org.gaq.tensor;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/** First and second derivatives of every op against finite differences (tolerances: see {@link GradCheck}). */
class OpGradientTest {

    private record Case(String name, Function<Tensor[], Tensor> f, Supplier<Tensor[]> inputs) {}

    private static final int[] SEGMENTS = {0, 0, 1, 2, 2, 2, 1};

    private static List<Case> cases() {
        SplittableRandom r = new SplittableRandom(42);
        List<Case> c = new ArrayList<>();
        Supplier<Tensor[]> ab = () -> new Tensor[]{GradCheck.rand(r, -1, 1, 3, 4), GradCheck.rand(r, -1, 1, 3, 4)};
        Supplier<Tensor[]> abRow = () -> new Tensor[]{GradCheck.rand(r, -1, 1, 3, 4), GradCheck.rand(r, -1, 1, 4)};
        Supplier<Tensor[]> abCol = () -> new Tensor[]{GradCheck.rand(r, -1, 1, 2, 3, 4), GradCheck.rand(r, 0.5f, 1.5f, 2, 1, 4)};
        Supplier<Tensor[]> pos = () -> new Tensor[]{GradCheck.rand(r, 0.5f, 2f, 3, 4)};
        Supplier<Tensor[]> any = () -> new Tensor[]{GradCheck.rand(r, -2, 2, 3, 4)};

        c.add(new Case("add", x -> x[0].add(x[1]), ab));
        c.add(new Case("sum of terms", x -> Elementwise.sum(List.of(x[0], x[1].mul(x[0]), x[1])), ab));
        c.add(new Case("add broadcast row", x -> x[0].add(x[1]), abRow));
        c.add(new Case("sub broadcast", x -> x[0].sub(x[1]), abCol));
        c.add(new Case("mul", x -> x[0].mul(x[1]), ab));
        c.add(new Case("mul broadcast", x -> x[0].mul(x[1]), abCol));
        c.add(new Case("div", x -> x[0].div(x[1].add(3f)), ab));
        c.add(new Case("div broadcast", x -> x[1].div(x[0].add(3f)), abRow));
        c.add(new Case("addScalar", x -> x[0].add(0.3f), any));
        c.add(new Case("mulScalar", x -> x[0].mul(-1.7f), any));
        c.add(new Case("exp", x -> x[0].exp(), any));
        c.add(new Case("log", x -> x[0].log(), pos));
        c.add(new Case("sqrt", x -> x[0].sqrt(), pos));
        c.add(new Case("square", x -> x[0].square(), any));
        c.add(new Case("pow 1.5", x -> x[0].pow(1.5f), pos));
        c.add(new Case("rsqrt", x -> x[0].rsqrt(), pos));
        c.add(new Case("sin", x -> x[0].sin(), any));
        c.add(new Case("cos", x -> x[0].cos(), any));
        c.add(new Case("tanh", x -> x[0].tanh(), any));
        c.add(new Case("sigmoid", x -> x[0].sigmoid(), any));
        c.add(new Case("silu", x -> x[0].silu(), any));
        c.add(new Case("siluPrime", x -> Elementwise.siluPrime(x[0]), any));
        c.add(new Case("siluSecond", x -> Elementwise.siluSecond(x[0]), any));
        c.add(new Case("matmul", x -> x[0].matmul(x[1]),
                () -> new Tensor[]{GradCheck.rand(r, -1, 1, 3, 5), GradCheck.rand(r, -1, 1, 5, 2)}));
        c.add(new Case("matmulNT", x -> Linalg.matmulNT(x[0], x[1]),
                () -> new Tensor[]{GradCheck.rand(r, -1, 1, 3, 5), GradCheck.rand(r, -1, 1, 2, 5)}));
        c.add(new Case("matmulTN", x -> Linalg.matmulTN(x[0], x[1]),
                () -> new Tensor[]{GradCheck.rand(r, -1, 1, 5, 3), GradCheck.rand(r, -1, 1, 5, 2)}));
        c.add(new Case("matmul squared (second order non-zero)", x -> x[0].matmul(x[1]).square(),
                () -> new Tensor[]{GradCheck.rand(r, -1, 1, 3, 5), GradCheck.rand(r, -1, 1, 5, 2)}));
        c.add(new Case("sum all", x -> x[0].square().sum(), any));
        c.add(new Case("sum axis 0", x -> x[0].square().sum(0, false), any));
        c.add(new Case("sum axis 1 keep", x -> x[0].square().sum(1, true), any));
        c.add(new Case("mean axis", x -> x[0].exp().mean(-1, false), any));
        c.add(new Case("mean all", x -> x[0].exp().mean(), any));
        c.add(new Case("reshape", x -> x[0].reshape(2, -1).square(), any));
        c.add(new Case("expand", x -> x[0].expand(3, 3, 4).square(), () -> new Tensor[]{GradCheck.rand(r, -1, 1, 3, 1, 4)}));
        c.add(new Case("sumTo", x -> x[0].sumTo(1, 4).square(), any));
        c.add(new Case("narrow", x -> x[0].narrow(1, 1, 2).square(), any));
        c.add(new Case("pad", x -> Shapes.pad(x[0], 0, 1, 5).exp(), any));
        c.add(new Case("concat", x -> Shapes.concat(List.of(x[0], x[1].square()), 0).sin(),
                () -> new Tensor[]{GradCheck.rand(r, -1, 1, 2, 4), GradCheck.rand(r, -1, 1, 3, 4)}));
        c.add(new Case("transpose", x -> x[0].transpose().matmul(x[0]), any));
        c.add(new Case("gatherRows", x -> x[0].gatherRows(new int[]{2, 0, 2, 1}).square(), any));
        c.add(new Case("indexAdd", x -> x[0].indexAdd(new int[]{1, 1, 0}, 3).square(), any));
        c.add(new Case("layerNorm", x -> Functional.layerNorm(x[0], x[1], null, 1e-5f),
                () -> new Tensor[]{GradCheck.rand(r, -1, 1, 3, 4), GradCheck.rand(r, 0.5f, 1.5f, 4)}));
        c.add(new Case("norm over vector axis", x -> Functional.norm(x[0], 1, false, 1e-6f),
                () -> new Tensor[]{GradCheck.rand(r, -1, 1, 2, 3, 4)}));
        c.add(new Case("segmentSoftmax weighted", x -> Functional.segmentSoftmax(x[0], x[1], SEGMENTS, 3, 1e-3f),
                () -> new Tensor[]{GradCheck.rand(r, -2, 2, 7, 2), GradCheck.rand(r, 0.2f, 1f, 7, 1)}));
        c.add(new Case("mulSumTo [2,3,4]·[2,1,4] → [2,3,1]", x -> Elementwise.mulSumTo(x[0], x[1], new int[]{2, 3, 1}), abCol));
        c.add(new Case("mulSumTo → [4]", x -> Elementwise.mulSumTo(x[0], x[1], new int[]{4}), abCol));
        c.add(new Case("mulSumTo with expansion", x -> Elementwise.mulSumTo(x[0], x[1], new int[]{2, 2, 3, 4}), abCol));
        c.add(new Case("linear", x -> Functional.linear(x[0], x[1], x[2]).silu(),
                () -> new Tensor[]{GradCheck.rand(r, -1, 1, 3, 4), GradCheck.rand(r, -1, 1, 4, 2), GradCheck.rand(r, -1, 1, 2)}));
        return c;
    }

    @TestFactory
    List<DynamicTest> firstDerivatives() {
        return cases().stream().map(k -> DynamicTest.dynamicTest(k.name,
                () -> GradCheck.first(k.name, k.f, k.inputs.get()))).toList();
    }

    @TestFactory
    List<DynamicTest> secondDerivatives() {
        return cases().stream().map(k -> DynamicTest.dynamicTest(k.name,
                () -> GradCheck.second(k.name, k.f, k.inputs.get()))).toList();
    }
}
