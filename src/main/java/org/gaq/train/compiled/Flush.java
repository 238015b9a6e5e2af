package org.gaq.train.compiled;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Values below 10⁻¹⁸ set to 0 in the arrays the products read. Attention weights of far edges (e^{−80}), SiLU of
 * very negative inputs and the gradients through them are tiny, and a product of two of them is a subnormal float,
 * which the CPU computes in microcode: a weight-gradient product ran at 1.5 GFLOP/s instead of 88 with a third of
 * its operands subnormal (docs/performance.md, "The compiled training step"). No product of two flushed operands is
 * subnormal, and a term below 10⁻¹⁸ changes no float sum it joins beside the O(10⁻⁶…1) ones that decide the gradient.
 */
final class Flush {
    static final float TINY = 1e-18f;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Flush() {}

    static void tiny(float[] x, int n) {
        int k = 0;
        for (; k < S.loopBound(n); k += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, k);
            v.blend(0f, v.abs().lt(TINY)).intoArray(x, k);
        }
        for (; k < n; k++) if (Math.abs(x[k]) < TINY) x[k] = 0f;
    }
}
