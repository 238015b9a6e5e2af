package org.gaq.tensor;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training problem in miniature: a pairwise potential E(R; θ) = Σ_{i≠j} A exp(−b d_ij) SiLU(c d_ij − 1),
 * forces F = −∂E/∂R by autodiff with createGraph, a force loss L = Σ (F − F_ref)², and ∂L/∂θ —
 * each checked against finite differences.
 */
class SecondOrderEndToEndTest {
    private static final int N = 5;
    private static final int[] CENTER, NEIGHBOR;

    static {
        int e = 0;
        CENTER = new int[N * (N - 1)];
        NEIGHBOR = new int[N * (N - 1)];
        for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) if (i != j) { CENTER[e] = i; NEIGHBOR[e] = j; e++; }
    }

    static Tensor energy(Tensor positions, Tensor theta) {
        Tensor rij = positions.gatherRows(NEIGHBOR).sub(positions.gatherRows(CENTER));   // [E,3]
        Tensor d = Functional.norm(rij, 1, true, 0f);                                  // [E,1]
        Tensor a = theta.narrow(0, 0, 1), b = theta.narrow(0, 1, 1), c = theta.narrow(0, 2, 1);
        return a.mul(d.mul(b).neg().exp()).mul(d.mul(c).add(-1f).silu()).sum();
    }

    static Tensor forces(Tensor positions, Tensor theta, boolean createGraph) {
        return Autograd.grad(energy(positions, theta), new Tensor[]{positions}, createGraph)[0].neg();
    }

    static double forceLoss(Tensor positions, Tensor theta, float[] reference) {
        Tensor f = forces(positions, theta, true);
        return f.sub(Tensor.of(reference, N, 3)).square().sum().item();
    }

    @Test
    void forcesAndForceLossGradientMatchFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(3);
        float[] r = new float[N * 3];
        for (int i = 0; i < r.length; i++) r[i] = (float) (rng.nextDouble() * 3.0);
        Tensor positions = Tensor.leaf(r, N, 3);
        Tensor theta = Tensor.leaf(new float[]{1.3f, 0.7f, 0.9f}, 3);
        float[] reference = Tensor.randn(rng, 0.3f, N, 3).data();

        // Forces against −dE/dR by central differences (double-summed through float energies).
        float[] f = forces(positions, theta, false).data();
        for (int k = 0; k < r.length; k++) {
            double h = 1e-2;
            float[] p = r.clone(), m = r.clone();
            p[k] += (float) h;
            m[k] -= (float) h;
            double fd = -(energy(Tensor.leaf(p, N, 3), theta).item() - energy(Tensor.leaf(m, N, 3), theta).item()) / (2 * h);
            assertEquals(fd, f[k], 3e-3 + 1e-2 * Math.abs(fd), "force component " + k);
        }

        // ∂L/∂θ through the force graph (second order) against finite differences of L(θ).
        Tensor loss = forces(positions, theta, true).sub(Tensor.of(reference, N, 3)).square().sum();
        float[] dTheta = Autograd.grad(loss, new Tensor[]{theta}, false)[0].data();
        float[] t = theta.toArray();
        for (int k = 0; k < t.length; k++) {
            double h = 1e-2;
            float[] p = t.clone(), m = t.clone();
            p[k] += (float) h;
            m[k] -= (float) h;
            double fd = (forceLoss(positions, Tensor.leaf(p, 3), reference) - forceLoss(positions, Tensor.leaf(m, 3), reference)) / (2 * h);
            assertEquals(fd, dTheta[k], 3e-3 + 1e-2 * Math.abs(fd), "dLoss/dθ" + k);
            assertTrue(Math.abs(dTheta[k]) > 1e-3, "the check must test a non-trivial gradient");
        }
    }
}
