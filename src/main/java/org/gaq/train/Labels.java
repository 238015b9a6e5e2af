package org.gaq.train;

import org.gaq.data.Dataset;

/**
 * Which labels a training set carries, and so what the loss fits (design notes §3). rMD17 and force-labelled
 * extended XYZ give {@link EnergiesAndForces}; QM9 (molecules at their relaxed geometries) and any file without
 * forces give {@link EnergiesOnly}, whose loss has no force term and needs no force pass, so its parameter gradient
 * is one ordinary backward pass instead of the double backward through F = −∂E/∂R.
 *
 * <p>Mixed data (forces on some frames only) is refused: a force term averaged over a varying subset of each batch
 * would weight molecules by whether they happen to have forces, and the validation loss would mix two losses.
 */
public sealed interface Labels permits Labels.EnergiesAndForces, Labels.EnergiesOnly {

    /** Energies and forces on every frame: loss = w_E·energy term + w_F·force term. */
    record EnergiesAndForces() implements Labels {}

    /** Energies only: loss = mean_m((E_m − Ê_m)/σ)², the force weights do not apply. */
    record EnergiesOnly() implements Labels {}

    /** The labels every frame of {@code data} has; throws naming the data and a frame if some lack energies or forces. */
    static Labels of(Dataset data) {
        int withForces = 0, firstWithout = -1, firstWith = -1;
        for (int f = 0; f < data.size(); f++) {
            if (!data.frame(f).hasEnergy()) {
                throw new IllegalArgumentException(data.name() + " frame " + f + " has no energy label: training needs an energy on every frame");
            }
            if (data.frame(f).hasForces()) {
                withForces++;
                if (firstWith < 0) firstWith = f;
            } else if (firstWithout < 0) {
                firstWithout = f;
            }
        }
        if (withForces == data.size()) return new EnergiesAndForces();
        if (withForces == 0) return new EnergiesOnly();
        throw new IllegalArgumentException(String.format("%s mixes frames with forces (%d, e.g. frame %d) and without (%d, e.g. frame %d): "
                        + "gaq trains on energies and forces, or on energies alone; split the file, or drop the forces to train on energies only",
                data.name(), withForces, firstWith, data.size() - withForces, firstWithout));
    }

    /** The labels of a training and a validation set, which must be of one kind (the validation loss is the training loss's). */
    static Labels of(Dataset train, Dataset validation) {
        Labels t = of(train), v = of(validation);
        if (!t.equals(v)) {
            throw new IllegalArgumentException(train.name() + " has " + t.description() + " but " + validation.name() + " has "
                    + v.description() + ": training and validation frames need the same labels");
        }
        return t;
    }

    /** True if the loss has a force term. */
    default boolean forces() {
        return this instanceof EnergiesAndForces;
    }

    default String description() {
        return switch (this) {
            case EnergiesAndForces e -> "energies and forces";
            case EnergiesOnly e -> "energies only";
        };
    }
}
