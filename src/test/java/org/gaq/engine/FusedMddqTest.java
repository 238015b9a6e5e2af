package org.gaq.engine;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Vector API pass of the fused MDDQ quantizer agrees bitwise with its plain loop, forward and backward:
 * channel counts around the vector width (tails), zero vectors, vectors at the zero threshold (‖h‖ ≈ 1e-12),
 * ±0 components, large and tiny magnitudes (the magnitude clamp and rounding to 0), and directions at rounding ties.
 * (That the plain loop is bitwise the composed MddqQuantizer ops is FusedLsqTest's whole-model check.)
 */
class FusedMddqTest {

    private static float component(SplittableRandom r) {
        return switch (r.nextInt(10)) {
            case 0 -> 0f;
            case 1 -> -0f;
            case 2 -> (float) (r.nextGaussian() * 1e-12);
            case 3 -> (float) (r.nextGaussian() * 100);
            case 4 -> (r.nextInt(255) - 127) / 127f;
            default -> (float) r.nextGaussian();
        };
    }

    @Test
    void vectorPassMatchesPlainLoopBitwise() {
        SplittableRandom r = new SplittableRandom(3);
        for (int f : new int[]{1, 5, 8, 15, 16, 17, 31, 33, 64, 70}) {
            int n = 7;
            float[] h = new float[n * 3 * f], g = new float[h.length];
            for (int i = 0; i < h.length; i++) {
                h[i] = component(r);
                g[i] = (float) r.nextGaussian();
            }
            for (int a = 0; a < n; a++) {              // whole zero vectors and threshold-sized ones
                int c = r.nextInt(f);
                float scale = r.nextBoolean() ? 0f : (float) (0.3e-12 + r.nextDouble() * 1.4e-12);
                for (int k = 0; k < 3; k++) h[(a * 3 + k) * f + c] = scale * (float) r.nextGaussian();
            }
            float[] perChannel = new float[f];                  // one step per channel, over two decades
            for (int c = 0; c < f; c++) perChannel[c] = (float) Math.pow(10, -2 + 2 * r.nextDouble());
            for (float[] steps : new float[][]{FusedMddq.channelSteps(new float[]{0.01f}, f), FusedMddq.channelSteps(new float[]{0.37f}, f),
                    FusedMddq.channelSteps(new float[]{5f}, f), perChannel}) {
                float step = steps[0];
                for (float[] gv : new float[][]{null, g}) {
                    float[] plain = new float[h.length], simd = new float[h.length];
                    for (int a = 0; a < n; a++) FusedMddq.passPlain(h, gv, plain, a, 0, f, f, steps, 0, 255, 127);
                    FusedMddq.pass(h, gv, simd, n, f, steps, 0, 255, 127);
                    for (int i = 0; i < h.length; i++) {
                        assertEquals(Float.floatToIntBits(plain[i]), Float.floatToIntBits(simd[i]),
                                (gv == null ? "forward" : "backward") + " f=" + f + " step=" + step + " [" + i + "]: " + plain[i] + " vs " + simd[i]);
                    }
                }
            }
        }
    }
}
