package org.gaq.data;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Chemical elements known to gaq: symbol ↔ atomic number and standard atomic mass.
 *
 * <p>Covers H–Xe (Z = 1..54), Cs, Ba and a few common heavy elements (Pt, Au, Hg, Pb, Bi). Masses
 * are IUPAC 2013/2016 conventional standard atomic weights in amu (the same table ASE uses), which
 * MD uses for the equations of motion; unstable Tc uses its longest-lived isotope, like ASE.
 */
public final class Elements {
    private Elements() {}

    /** Largest atomic number with a table slot (sparse above 56). */
    public static final int MAX_Z = 83;

    private static final String[] SYMBOL = new String[MAX_Z + 1];
    private static final double[] MASS = new double[MAX_Z + 1];
    private static final Map<String, Integer> BY_SYMBOL = new HashMap<>();

    private static void add(int z, String symbol, double mass) {
        SYMBOL[z] = symbol;
        MASS[z] = mass;
        BY_SYMBOL.put(symbol, z);
    }

    static {
        add(1, "H", 1.008); add(2, "He", 4.002602);
        add(3, "Li", 6.94); add(4, "Be", 9.0121831); add(5, "B", 10.81); add(6, "C", 12.011);
        add(7, "N", 14.007); add(8, "O", 15.999); add(9, "F", 18.998403163); add(10, "Ne", 20.1797);
        add(11, "Na", 22.98976928); add(12, "Mg", 24.305); add(13, "Al", 26.9815385);
        add(14, "Si", 28.085); add(15, "P", 30.973761998); add(16, "S", 32.06); add(17, "Cl", 35.45);
        add(18, "Ar", 39.948);
        add(19, "K", 39.0983); add(20, "Ca", 40.078); add(21, "Sc", 44.955908); add(22, "Ti", 47.867);
        add(23, "V", 50.9415); add(24, "Cr", 51.9961); add(25, "Mn", 54.938044); add(26, "Fe", 55.845);
        add(27, "Co", 58.933194); add(28, "Ni", 58.6934); add(29, "Cu", 63.546); add(30, "Zn", 65.38);
        add(31, "Ga", 69.723); add(32, "Ge", 72.630); add(33, "As", 74.921595); add(34, "Se", 78.971);
        add(35, "Br", 79.904); add(36, "Kr", 83.798);
        add(37, "Rb", 85.4678); add(38, "Sr", 87.62); add(39, "Y", 88.90584); add(40, "Zr", 91.224);
        add(41, "Nb", 92.90637); add(42, "Mo", 95.95); add(43, "Tc", 97.90721); add(44, "Ru", 101.07);
        add(45, "Rh", 102.90550); add(46, "Pd", 106.42); add(47, "Ag", 107.8682); add(48, "Cd", 112.414);
        add(49, "In", 114.818); add(50, "Sn", 118.710); add(51, "Sb", 121.760); add(52, "Te", 127.60);
        add(53, "I", 126.90447); add(54, "Xe", 131.293);
        add(55, "Cs", 132.90545196); add(56, "Ba", 137.327);
        add(78, "Pt", 195.084); add(79, "Au", 196.966569); add(80, "Hg", 200.592);
        add(82, "Pb", 207.2); add(83, "Bi", 208.98040);
    }

    /** True if gaq has a symbol and mass for this atomic number. */
    public static boolean isKnown(int z) {
        return z >= 1 && z <= MAX_Z && SYMBOL[z] != null;
    }

    /** Symbol for Z, e.g. 6 → "C". @throws IllegalArgumentException for an unknown Z */
    public static String symbol(int z) {
        requireKnown(z);
        return SYMBOL[z];
    }

    /** Standard atomic mass in amu. @throws IllegalArgumentException for an unknown Z */
    public static double mass(int z) {
        requireKnown(z);
        return MASS[z];
    }

    /**
     * Atomic number for a symbol. Exact spelling first ("Cl"); then, leniently, any capitalisation
     * ("CL", "cl") since some writers upper-case symbols. Empty if not an element we know.
     */
    public static OptionalInt atomicNumber(String symbol) {
        Integer z = BY_SYMBOL.get(symbol);
        if (z == null && !symbol.isEmpty()) {
            String norm = symbol.substring(0, 1).toUpperCase(Locale.ROOT)
                    + symbol.substring(1).toLowerCase(Locale.ROOT);
            z = BY_SYMBOL.get(norm);
        }
        return z == null ? OptionalInt.empty() : OptionalInt.of(z);
    }

    /** Atomic number for a symbol. @throws IllegalArgumentException if unknown */
    public static int requireAtomicNumber(String symbol) {
        OptionalInt z = atomicNumber(symbol);
        if (z.isEmpty()) throw new IllegalArgumentException("unknown element symbol '" + symbol + "'");
        return z.getAsInt();
    }

    /** Masses (amu) for each atom of a molecule. */
    public static double[] masses(int[] atomicNumbers) {
        double[] m = new double[atomicNumbers.length];
        for (int i = 0; i < m.length; i++) m[i] = mass(atomicNumbers[i]);
        return m;
    }

    /** Hill-order chemical formula, e.g. ethanol → "C2H6O" (for log messages and reports). */
    public static String formula(int[] atomicNumbers) {
        int[] count = new int[MAX_Z + 1];
        for (int z : atomicNumbers) { requireKnown(z); count[z]++; }
        StringBuilder sb = new StringBuilder();
        boolean hasC = count[6] > 0;
        if (hasC) { appendCount(sb, 6, count[6]); appendCount(sb, 1, count[1]); }
        TreeMap<String, Integer> rest = new TreeMap<>();
        for (int z = 1; z <= MAX_Z; z++) {
            if (count[z] == 0 || (hasC && (z == 6 || z == 1))) continue;
            rest.put(SYMBOL[z], z);
        }
        for (int z : rest.values()) appendCount(sb, z, count[z]);
        return sb.toString();
    }

    private static void appendCount(StringBuilder sb, int z, int n) {
        if (n == 0) return;
        sb.append(SYMBOL[z]);
        if (n > 1) sb.append(n);
    }

    private static void requireKnown(int z) {
        if (!isKnown(z)) throw new IllegalArgumentException("unknown atomic number " + z);
    }
}
