package org.gaq.train;

import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.NeighborList;
import org.gaq.model.EquivariantTransformer;

import java.util.List;

/**
 * The per-element energy shift μ_Z and scale σ_Z of the energy head, fitted on the training set.
 *
 * <p>μ solves the least-squares problem E_m ≈ Σ_Z n_{m,Z} μ_Z over molecules m (n = element counts),
 * with a tiny ridge so that data of one composition (rMD17: every frame is the same molecule)
 * still gives a unique answer (the minimum-norm one); elements absent from the data get μ = 0. σ is the
 * RMS of the force components, the natural scale of the per-atom energies' gradients; without force
 * labels (QM9) it is the per-atom RMS of the residual energies, σ² = Σ_m (E_m − Σ_Z n_{m,Z} μ_Z)² / Σ_m n_m,
 * the scale the network's per-atom outputs must cover. It is shared by all elements. Everything is summed
 * and solved in double: QM9's totals (−1,100 to −7,700 eV in its first 100 molecules) leave residuals of tenths of an eV.
 */
public final class ElementEnergies {
    private ElementEnergies() {}

    public static void fit(Dataset train, float[] shift, float[] scale) {
        int zMax = shift.length - 1;
        double[][] ata = new double[zMax + 1][zMax + 1];
        double[] atb = new double[zMax + 1];
        double sumF2 = 0;
        long nF = 0;
        for (Frame f : train.frames()) {
            double[] counts = new double[zMax + 1];
            for (int z : f.atomicNumbers()) {
                if (z > zMax) throw new IllegalArgumentException("element Z=" + z + " exceeds the model's table (max " + zMax + ")");
                counts[z]++;
            }
            for (int a = 0; a <= zMax; a++) {
                if (counts[a] == 0) continue;
                atb[a] += counts[a] * f.energy();
                for (int b = 0; b <= zMax; b++) ata[a][b] += counts[a] * counts[b];
            }
            if (f.hasForces()) for (double x : f.forces()) { sumF2 += x * x; nF++; }
        }
        double trace = 0;
        for (int a = 0; a <= zMax; a++) trace += ata[a][a];
        for (int a = 0; a <= zMax; a++) ata[a][a] += 1e-9 * trace + (ata[a][a] == 0 ? 1 : 0);
        double[] mu = solve(ata, atb);
        double sigma = nF > 0 ? Math.sqrt(sumF2 / nF) : residualEnergyScale(train, mu);
        for (int z = 0; z <= zMax; z++) {
            shift[z] = (float) mu[z];
            scale[z] = (float) sigma;
        }
    }

    /** √(Σ_m r_m² / Σ_m n_m), r_m = E_m − Σ_{i in m} μ_{Z_i} (eV); 1 eV if the fit leaves no residual (one frame). */
    static double residualEnergyScale(Dataset train, double[] mu) {
        double sumSq = 0;
        long atoms = 0;
        for (Frame f : train.frames()) {
            double r = f.energy();
            for (int z : f.atomicNumbers()) r -= mu[z];
            sumSq += r * r;
            atoms += f.numAtoms();
        }
        double sigma = atoms > 0 ? Math.sqrt(sumSq / atoms) : 0;
        return sigma > 1e-6 ? sigma : 1.0;
    }

    /**
     * Refits the shifts μ_Z of a trained model on its training set: least squares of the energy
     * residuals E_m − Ê_m on the element counts, added to μ. With a small energy weight the network's
     * constant offset drifts during training (forces do not see it); this removes the drift using
     * training labels only. Returns the RMS correction per molecule (eV). A non-finite prediction or label
     * throws before any shift changes (a NaN would otherwise spread into every shift).
     */
    public static double refit(EquivariantTransformer model, Dataset train, int batchSize) {
        float[] shift = model.elementShift();
        int zMax = shift.length - 1;
        double[][] ata = new double[zMax + 1][zMax + 1];
        double[] atb = new double[zMax + 1];
        for (int s = 0; s < train.size(); s += batchSize) {
            List<Frame> frames = train.frames().subList(s, Math.min(train.size(), s + batchSize));
            double[] predicted = model.predictEnergies(NeighborList.batch(frames, model.config().cutoff()));
            for (int m = 0; m < frames.size(); m++) {
                double[] counts = new double[zMax + 1];
                for (int z : frames.get(m).atomicNumbers()) counts[z]++;
                double residual = frames.get(m).energy() - predicted[m];
                if (!Double.isFinite(residual)) {
                    throw new IllegalArgumentException(train.name() + " frame " + (s + m) + ": the model predicts an energy of "
                            + predicted[m] + " eV (label " + frames.get(m).energy() + "): the energy shifts are left as they were");
                }
                for (int a = 0; a <= zMax; a++) {
                    if (counts[a] == 0) continue;
                    atb[a] += counts[a] * residual;
                    for (int b = 0; b <= zMax; b++) ata[a][b] += counts[a] * counts[b];
                }
            }
        }
        double trace = 0;
        for (int a = 0; a <= zMax; a++) trace += ata[a][a];
        for (int a = 0; a <= zMax; a++) ata[a][a] += 1e-9 * trace + (ata[a][a] == 0 ? 1 : 0);
        double[] delta = solve(ata, atb);
        double sumSq = 0;
        for (Frame f : train.frames()) {
            double d = 0;
            for (int z : f.atomicNumbers()) d += delta[z];
            sumSq += d * d;
        }
        for (int z = 0; z <= zMax; z++) shift[z] += (float) delta[z];
        return Math.sqrt(sumSq / train.size());
    }

    /** Gaussian elimination with partial pivoting (a small, well-conditioned system). */
    static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) m[i] = a[i].clone();
        double[] x = b.clone();
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
            double[] t = m[c]; m[c] = m[piv]; m[piv] = t;
            double tx = x[c]; x[c] = x[piv]; x[piv] = tx;
            for (int r = c + 1; r < n; r++) {
                double f = m[r][c] / m[c][c];
                for (int k = c; k < n; k++) m[r][k] -= f * m[c][k];
                x[r] -= f * x[c];
            }
        }
        for (int c = n - 1; c >= 0; c--) {
            double s = x[c];
            for (int k = c + 1; k < n; k++) s -= m[c][k] * x[k];
            x[c] = s / m[c][c];
        }
        return x;
    }
}
