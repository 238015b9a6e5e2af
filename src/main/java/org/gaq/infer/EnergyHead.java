package org.gaq.infer;

import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.kernels.Activations;
import org.gaq.tensor.kernels.Normalization;

import java.util.Arrays;

/**
 * The energy head, always FP32: E_i = σ_Z (w_out · SiLU(W_h LN(h_i) + b_h) + b_out), summed per molecule;
 * its reverse pass seeds ∂E/∂h for the interaction layers (∂ of the sum of all molecules' energies).
 */
final class EnergyHead {
    private final int f;
    private final float[] normGamma, normBeta, hiddenBias;
    private final float outBias;
    private final Fp32Projection hidden, out;

    EnergyHead(int features, float[] normGamma, float[] normBeta, Fp32Projection hidden, float[] hiddenBias, Fp32Projection out, float outBias) {
        this.f = features;
        this.normGamma = normGamma;
        this.normBeta = normBeta;
        this.hidden = hidden;
        this.hiddenBias = hiddenBias;
        this.out = out;
        this.outBias = outBias;
    }

    /** ws.atomic[i] = w_out · SiLU(W_h LN(h_i) + b_h) + b_out, before the element scale. */
    void forward(Workspace ws) {
        int n = ws.atoms;
        Normalization.layerNorm(ws.h, normGamma, normBeta, EquivariantTransformer.LAYER_NORM_EPS, ws.headNormalized, ws.headRstd, ws.headInput, n, f);
        hidden.forwardWithBias(ws.headInput, n, hiddenBias, ws.hiddenPre);
        Activations.siluWithSlope(ws.hiddenPre, ws.hidden, ws.hiddenSlope, n * f);
        out.forward(ws.hidden, n, ws.atomic);
        for (int i = 0; i < n; i++) ws.atomic[i] += outBias;
    }

    /** ws.gH = ∂E/∂h given ws.gAtomic = ∂E/∂atomic (the element scales). */
    void reverse(Workspace ws) {
        int n = ws.atoms;
        Arrays.fill(ws.gHidden, 0, n * f, 0f);
        out.backwardAdd(ws.gAtomic, n, ws.gHidden);
        for (int k = 0; k < n * f; k++) ws.gHidden[k] *= ws.hiddenSlope[k];
        Arrays.fill(ws.gS, 0, n * f, 0f);
        hidden.backwardAdd(ws.gHidden, n, ws.gS);
        Arrays.fill(ws.gH, 0, n * f, 0f);
        Normalization.layerNormReverseAdd(ws.gS, ws.headNormalized, ws.headRstd, normGamma, ws.gH, n, f);
    }
}
