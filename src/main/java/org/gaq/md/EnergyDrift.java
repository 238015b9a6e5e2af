package org.gaq.md;

/**
 * Drift of the total energy of an NVE run: the slope of a least-squares line through E_tot(t), per
 * atom, in meV/atom/ps, and the fluctuation: the standard deviation of E_tot about that line, in meV/atom.
 */
public record EnergyDrift(double slopeMeVPerAtomPerPs, double fluctuationMeVPerAtom, double durationPs, int samples) {

    public static EnergyDrift fit(double[] timeFs, double[] totalEnergyEv, int atoms) {
        int n = timeFs.length;
        if (n != totalEnergyEv.length) throw new IllegalArgumentException("times and energies differ in length");
        if (n < 2) throw new IllegalArgumentException("a drift needs at least two samples, got " + n);
        double mt = 0, me = 0;
        for (int i = 0; i < n; i++) {
            mt += timeFs[i];
            me += totalEnergyEv[i];
        }
        mt /= n;
        me /= n;
        double stt = 0, ste = 0;
        for (int i = 0; i < n; i++) {
            stt += (timeFs[i] - mt) * (timeFs[i] - mt);
            ste += (timeFs[i] - mt) * (totalEnergyEv[i] - me);
        }
        if (stt == 0) throw new IllegalArgumentException("all samples at the same time");
        double slope = ste / stt;                              // eV/fs
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double r = totalEnergyEv[i] - (me + slope * (timeFs[i] - mt));
            ss += r * r;
        }
        double fluctuation = Math.sqrt(ss / n);
        return new EnergyDrift(slope * 1e3 * 1e3 / atoms, fluctuation * 1e3 / atoms, (timeFs[n - 1] - timeFs[0]) / 1e3, n);
    }
}
