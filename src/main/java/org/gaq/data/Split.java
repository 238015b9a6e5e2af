package org.gaq.data;

/** The three parts of a split (see {@link Splits}); validation or test may be empty but never null. */
public record Split(Dataset train, Dataset validation, Dataset test) {
    public Split {
        if (train == null || validation == null || test == null)
            throw new IllegalArgumentException("split parts must not be null");
    }

    @Override
    public String toString() {
        return "Split[train=" + train.size() + ", validation=" + validation.size() + ", test=" + test.size() + "]";
    }
}
