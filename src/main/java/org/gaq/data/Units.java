package org.gaq.data;

import java.util.Locale;

/**
 * Physical constants and unit conversions. Internal units of gaq are Å (length), eV (energy),
 * amu (mass) and fs (time); every reader converts to these at the boundary so the rest of the
 * code never has to guess.
 */
public final class Units {
    private Units() {}

    /** 1 kcal/mol in eV. The value fixed by the design notes (4184 J / N_A / e, rounded). */
    public static final double KCAL_PER_MOL_IN_EV = 0.0433641;
    /** 1 kJ/mol in eV (1 / 96.485332). */
    public static final double KJ_PER_MOL_IN_EV = 0.0103642688;
    /** 1 Hartree in eV (CODATA 2018). */
    public static final double HARTREE_IN_EV = 27.211386245988;
    /** 1 Bohr in Å (CODATA 2018). */
    public static final double BOHR_IN_ANGSTROM = 0.529177210903;
    /**
     * 1 Bohr in Å as ASE computes it ({@code ase.units.Bohr}, CODATA 2014, ASE's default since 3.12
     * and still in 2025). The i-PI socket protocol carries atomic units, so the two ends must agree
     * on the conversion: with ASE's own double here, positions ASE sends (Å / Bohr) come back to the
     * same Å to the last bit or so, and forces and energies it converts back land where gaq computed
     * them. CODATA 2018 ({@link #BOHR_IN_ANGSTROM}) differs by 6.4e-10 relative; i-PI itself uses
     * 8-digit constants (1 Å = 1.8897261 Bohr), ~1e-8 off either way, far below a float32 model's
     * 6e-8 resolution, so the choice only matters for exact round trips through ASE.
     */
    public static final double ASE_BOHR_IN_ANGSTROM = 0.5291772105638411;
    /**
     * 1 Hartree in eV as ASE computes it ({@code ase.units.Hartree}, CODATA 2014): the energy
     * counterpart of {@link #ASE_BOHR_IN_ANGSTROM}. CODATA 2018 ({@link #HARTREE_IN_EV}) differs by
     * 8.1e-9 relative.
     */
    public static final double ASE_HARTREE_IN_EV = 27.211386024367243;
    /** 1 meV in eV: errors are reported in meV and meV/Å, like the paper. */
    public static final double MEV_IN_EV = 1.0e-3;
    /** Boltzmann constant in eV/K (CODATA 2018, exact). */
    public static final double BOLTZMANN_EV_PER_K = 8.617333262e-5;
    /**
     * 1 amu·Å²/fs² in eV. MD needs it to turn (mass × velocity²) in internal units into eV,
     * and force/mass (eV/Å/amu) into Å/fs²: a = F/m / AMU_A2_PER_FS2_IN_EV.
     */
    public static final double AMU_A2_PER_FS2_IN_EV = 103.642696562;

    /** Energy units a data file may use; {@link #toEv} multiplies a value into eV. */
    public enum EnergyUnit {
        EV(1.0), MEV(MEV_IN_EV), KCAL_PER_MOL(KCAL_PER_MOL_IN_EV), KJ_PER_MOL(KJ_PER_MOL_IN_EV),
        HARTREE(HARTREE_IN_EV);

        private final double toEv;

        EnergyUnit(double toEv) { this.toEv = toEv; }

        /** Multiply an energy (or force, per Å) in this unit by this factor to get eV (eV/Å). */
        public double toEv() { return toEv; }

        /** Accepts ev, mev, kcal/mol (kcal, kcal_mol), kj/mol (kj), hartree (ha, eh); case-insensitive. */
        public static EnergyUnit parse(String s) {
            String k = s.trim().toLowerCase(Locale.ROOT).replace("_", "/");
            return switch (k) {
                case "ev" -> EV;
                case "mev" -> MEV;
                case "kcal/mol", "kcal", "kcal/mole" -> KCAL_PER_MOL;
                case "kj/mol", "kj", "kj/mole" -> KJ_PER_MOL;
                case "hartree", "ha", "eh" -> HARTREE;
                default -> throw new IllegalArgumentException(
                        "unknown energy unit '" + s + "' (known: eV, meV, kcal/mol, kJ/mol, Hartree)");
            };
        }
    }
}
