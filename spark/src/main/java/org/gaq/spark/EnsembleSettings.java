package org.gaq.spark;

import java.io.Serializable;
import java.util.Locale;

/**
 * What every trajectory of an ensemble shares; the fields mean what {@code gaq md}'s options of the same names mean
 * ({@code sampleEvery} is its {@code --trajectory-every}: the sampled frames).
 */
public record EnsembleSettings(String ensemble, double dtFs, long steps, double frictionPerFs, int logEvery, int sampleEvery,
                               double maxForceEvPerA) implements Serializable {
    public EnsembleSettings {
        ensemble = ensemble.toLowerCase(Locale.ROOT);
        if (!ensemble.equals("nve") && !ensemble.equals("langevin")) {
            throw new IllegalArgumentException("--ensemble must be nve or langevin, not '" + ensemble + "'");
        }
        if (steps < 1) throw new IllegalArgumentException("--steps must be ≥ 1, got " + steps);
    }
}
