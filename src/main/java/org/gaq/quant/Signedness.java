package org.gaq.quant;

/**
 * The integer range of a b-bit quantizer.
 *
 * <p>SIGNED is symmetric and drops the most negative code so that 0 is exact and the range is
 * mirror-symmetric: [Qn, Qp] = [−(2^{b−1}−1), 2^{b−1}−1] (±127 for 8 bits). UNSIGNED, for
 * magnitudes (which are ≥ 0), is [0, 2^b−1] (0…255 for 8 bits).
 */
public enum Signedness {
    SIGNED, UNSIGNED;

    /** Smallest code Qn. */
    public int qn(int bits) {
        checkBits(bits);
        return this == SIGNED ? -((1 << (bits - 1)) - 1) : 0;
    }

    /** Largest code Qp. */
    public int qp(int bits) {
        checkBits(bits);
        return this == SIGNED ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    }

    /** Integer bit widths 2…16 (2 is the least for which a signed range has a non-zero code). */
    static void checkBits(int bits) {
        if (bits < 2 || bits > 16) {
            throw new IllegalArgumentException("bits must be in 2..16 (or 32 for full precision where allowed), got " + bits);
        }
    }
}
