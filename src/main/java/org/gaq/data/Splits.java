package org.gaq.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Train / validation / test splits.
 *
 * <p>Randomness: a Fisher–Yates shuffle of {@code 0..n-1} driven by
 * {@code new java.util.SplittableRandom(seed)}, whose sequence is specified by the JDK and
 * identical on every platform and Java version, so a seed reproduces a split exactly. Indices
 * inside each part are then sorted, so each part keeps file order (trainers shuffle per epoch).
 */
public final class Splits {
    private Splits() {}

    /** rMD17 protocol: 50 validation frames held out from train_01. */
    public static final int RMD17_VALIDATION = 50;

    /**
     * rMD17 protocol: {@code train01} (1000 frames) → 950 train + 50 validation by a seeded shuffle;
     * all of {@code test01} is the test set.
     */
    public static Split rmd17(Dataset train01, Dataset test01, long seed) {
        return rmd17(train01, test01, RMD17_VALIDATION, seed);
    }

    public static Split rmd17(Dataset train01, Dataset test01, int numValidation, long seed) {
        if (numValidation < 0 || numValidation >= train01.size())
            throw new IllegalArgumentException("numValidation " + numValidation + " must be in [0, "
                    + train01.size() + ") for " + train01.name());
        int[] perm = permutation(train01.size(), seed);
        int nTrain = train01.size() - numValidation;
        return new Split(
                train01.subset(train01.name() + "[train]", sortedRange(perm, 0, nTrain)),
                train01.subset(train01.name() + "[validation]", sortedRange(perm, nTrain, train01.size())),
                test01);
    }

    /**
     * Seeded split of one dataset into parts of the given sizes (the sum may be less than the
     * dataset size; the remaining frames are unused). Order of assignment from the shuffled
     * indices: test first, then validation, then train — so growing {@code numTrain} for a
     * learning curve with the same seed keeps the test and validation sets fixed.
     */
    public static Split bySizes(Dataset all, int numTrain, int numValidation, int numTest, long seed) {
        if (numTrain < 0 || numValidation < 0 || numTest < 0)
            throw new IllegalArgumentException("split sizes must be non-negative");
        long total = (long) numTrain + numValidation + numTest;
        if (total > all.size())
            throw new IllegalArgumentException("split sizes " + numTrain + "+" + numValidation + "+" + numTest
                    + " = " + total + " exceed the " + all.size() + " frames of " + all.name());
        int[] perm = permutation(all.size(), seed);
        int a = numTest, b = numTest + numValidation;
        return new Split(
                all.subset(all.name() + "[train]", sortedRange(perm, b, b + numTrain)),
                all.subset(all.name() + "[validation]", sortedRange(perm, a, b)),
                all.subset(all.name() + "[test]", sortedRange(perm, 0, a)));
    }

    /**
     * Seeded split by fractions; test gets {@code round(n·testFraction)}, validation
     * {@code round(n·validationFraction)}, train the rest.
     */
    public static Split byFractions(Dataset all, double validationFraction, double testFraction, long seed) {
        if (!(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction < 1))
            throw new IllegalArgumentException("fractions must be >= 0 with validation + test < 1, got "
                    + validationFraction + " and " + testFraction);
        int n = all.size();
        int nTest = (int) Math.round(n * testFraction);
        int nVal = (int) Math.round(n * validationFraction);
        return bySizes(all, n - nTest - nVal, nVal, nTest, seed);
    }

    /** Seeded random permutation of 0..n-1 (Fisher–Yates with SplittableRandom). */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static int[] sortedRange(int[] perm, int from, int to) {
        int[] r = Arrays.copyOfRange(perm, from, to);
        Arrays.sort(r);
        return r;
    }
}
