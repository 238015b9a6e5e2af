package org.gaq.data;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ElementsTest {
    @Test
    void symbolsAndNumbers() {
        String[] first18 = {"H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar"};
        for (int z = 1; z <= 18; z++) {
            assertEquals(first18[z - 1], Elements.symbol(z));
            assertEquals(z, Elements.requireAtomicNumber(first18[z - 1]));
        }
        assertEquals(35, Elements.requireAtomicNumber("Br"));
        assertEquals(53, Elements.requireAtomicNumber("I"));
        assertEquals(17, Elements.requireAtomicNumber("CL")); // lenient capitalisation
        assertTrue(Elements.atomicNumber("Xx").isEmpty());
        assertFalse(Elements.isKnown(0));
        assertFalse(Elements.isKnown(60));
        assertThrows(IllegalArgumentException.class, () -> Elements.symbol(0));
    }

    @Test
    void massesAreStandardAndIncreaseRoughlyWithZ() {
        assertEquals(1.008, Elements.mass(1), 1e-9);
        assertEquals(12.011, Elements.mass(6), 1e-9);
        assertEquals(15.999, Elements.mass(8), 1e-9);
        assertEquals(79.904, Elements.mass(35), 1e-9);
        assertEquals(126.90447, Elements.mass(53), 1e-9);
        // mass/Z sits between 1 and 2.6 for every element in the table (catches typos like 1.2 for 12)
        for (int z = 1; z <= Elements.MAX_Z; z++)
            if (Elements.isKnown(z)) {
                double ratio = Elements.mass(z) / z;
                assertTrue(ratio > 0.99 && ratio < 2.6, Elements.symbol(z) + " mass " + Elements.mass(z));
            }
    }

    @Test
    void formula() {
        assertEquals("C2H6O", Elements.formula(new int[] {6, 6, 8, 1, 1, 1, 1, 1, 1}));
        assertEquals("H2O", Elements.formula(new int[] {8, 1, 1}));
        assertEquals("C7H8", Elements.formula(new int[] {6, 6, 6, 6, 6, 6, 6, 1, 1, 1, 1, 1, 1, 1, 1}));
    }

    @Test
    void unitsConstants() {
        assertEquals(0.0433641, Units.KCAL_PER_MOL_IN_EV);
        assertEquals(1 / 23.0605, Units.KCAL_PER_MOL_IN_EV, 1e-6);
        assertEquals(27.2114, Units.HARTREE_IN_EV, 1e-4);
        assertEquals(0.529177, Units.BOHR_IN_ANGSTROM, 1e-6);
        assertEquals(Units.KCAL_PER_MOL_IN_EV, Units.EnergyUnit.parse("kcal/mol").toEv());
        assertEquals(Units.HARTREE_IN_EV, Units.EnergyUnit.parse("Hartree").toEv());
        assertThrows(IllegalArgumentException.class, () -> Units.EnergyUnit.parse("furlongs"));
        // 1 amu Å²/fs² = 1.66053906660e-27 kg · 1e10 m²/s² / 1.602176634e-19 J/eV
        assertEquals(1.66053906660e-17 / 1.602176634e-19, Units.AMU_A2_PER_FS2_IN_EV, 1e-6);
    }

    @Test
    void frameValidation() {
        assertThrows(IllegalArgumentException.class, () -> new Frame(new int[] {1, 1}, new double[5], 0, null));
        assertThrows(IllegalArgumentException.class, () -> new Frame(new int[] {1}, new double[3], 0, new double[6]));
        assertThrows(IllegalArgumentException.class, () -> new Frame(new int[] {0}, new double[3], 0, null));
        assertThrows(IllegalArgumentException.class, () -> new Frame(new int[0], new double[0], 0, null));
        Frame f = new Frame(new int[] {1, 8}, new double[6], Double.NaN, null);
        assertEquals(2, f.numAtoms());
        assertFalse(f.hasEnergy());
        assertEquals(f, new Frame(new int[] {1, 8}, new double[6], Double.NaN, null));
    }
}
