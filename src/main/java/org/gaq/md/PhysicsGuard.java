package org.gaq.md;

import org.gaq.data.Elements;
import org.gaq.data.NeighborList;
import org.gaq.data.Units;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Decides whether an MD state is still physics worth recording. A blow-up (too large a time step, a model far
 * outside its training data) need not produce large forces or NaNs: at --dt 3 ethanol heats to 20,000 K within 40
 * steps and its atoms fly apart, where the model's forces vanish, so a force limit alone never trips. Checked every
 * step, each with a documented bound:
 * <ul>
 *   <li>every energy, force and position finite, and no force above {@code --max-force};</li>
 *   <li>temperature at most {@link #TEMPERATURE_FACTOR} × max(--temperature, {@link #MIN_REFERENCE_K} K): a molecule
 *       started (or thermostatted) at T stays near T, or at half of it in NVE;</li>
 *   <li>no new fragment: atoms closer than {@link #SPLIT_DISTANCE_A} Å are linked, and the structure may not fall into
 *       more pieces than it started with (no covalent bond reaches 3 Å; an atom that far from all its former neighbours has
 *       left its molecule);</li>
 *   <li>NVE only: the total energy may change by at most k_B·max(--temperature, {@value #MIN_REFERENCE_K} K) per atom in one
 *       step (26 meV/atom at 300 K; a healthy FP32 run changes it by about 10⁻⁵ of that). A Langevin thermostat
 *       changes the energy on purpose, so it is not held to this.</li>
 * </ul>
 */
final class PhysicsGuard {
    static final double TEMPERATURE_FACTOR = 5;
    static final double MIN_REFERENCE_K = 300;
    static final double SPLIT_DISTANCE_A = 3.0;

    private final double[] masses;
    private final int[] atomicNumbers;
    private final int degreesOfFreedom;
    private final double maxForce, referenceK, maxTemperature, maxEnergyStepPerAtom;
    private final boolean conservesEnergy;
    private int startFragments = -1;                // pieces of the state the run started (or resumed) from

    PhysicsGuard(int[] atomicNumbers, double[] masses, Integrator integrator, RunFiles.Settings settings) {
        this.atomicNumbers = atomicNumbers;
        this.masses = masses;
        this.degreesOfFreedom = integrator.degreesOfFreedom(masses.length);
        this.maxForce = settings.maxForceEvPerA();
        this.referenceK = Math.max(settings.temperatureK(), MIN_REFERENCE_K);
        this.maxTemperature = TEMPERATURE_FACTOR * referenceK;
        this.maxEnergyStepPerAtom = Units.BOLTZMANN_EV_PER_K * referenceK;
        this.conservesEnergy = integrator instanceof VelocityVerlet;
    }

    /**
     * What is wrong with {@code s}, or null if nothing. {@code previous} is the state it was integrated from; null for
     * a starting state, which is only checked for non-finite values and the force limit (its temperature and shape are
     * the user's choice, and the reference for the later ones).
     */
    String problem(MdState s, MdState previous) {
        String p = nonFiniteOrLargeForce(s);
        if (p != null || previous == null) return p;
        if (startFragments < 0) startFragments = fragments(previous.positions()).size();   // the run's first state: its pieces
        double t = Dynamics.temperature(Dynamics.kineticEnergy(masses, s.velocities()), degreesOfFreedom);
        if (t > maxTemperature) {
            return String.format(Locale.ROOT, "the temperature is %.0f K, above the limit of %.0f K (%.0f × the %.0f K it started from)",
                    t, maxTemperature, TEMPERATURE_FACTOR, referenceK);
        }
        p = split(s.positions());
        if (p != null) return p;
        if (conservesEnergy) {
            double change = Math.abs(total(s) - total(previous)) / masses.length;
            if (change > maxEnergyStepPerAtom) {
                return String.format(Locale.ROOT, "the total energy changed by %.1f meV/atom in one step (NVE allows %.1f)",
                        1000 * change, 1000 * maxEnergyStepPerAtom);
            }
        }
        return null;
    }

    private String nonFiniteOrLargeForce(MdState s) {
        if (!Double.isFinite(s.potentialEnergy())) return "the potential energy is " + s.potentialEnergy();
        double largest = 0;
        double[] f = s.forces(), x = s.positions(), v = s.velocities();
        for (int i = 0; i < f.length; i += 3) {
            double norm = Math.sqrt(f[i] * f[i] + f[i + 1] * f[i + 1] + f[i + 2] * f[i + 2]);
            if (!Double.isFinite(norm) || !Double.isFinite(x[i] + x[i + 1] + x[i + 2]) || !Double.isFinite(v[i] + v[i + 1] + v[i + 2])) {
                return "atom " + i / 3 + " has non-finite forces, positions or velocities";
            }
            largest = Math.max(largest, norm);
        }
        if (largest > maxForce) {
            return String.format(Locale.ROOT, "a force of %.1f eV/Å exceeds the limit of %.1f eV/Å (--max-force)", largest, maxForce);
        }
        return null;
    }

    private double total(MdState s) {
        return s.potentialEnergy() + Dynamics.kineticEnergy(masses, s.velocities());
    }

    /** Null, or which atoms broke away if the structure is in more pieces than at the start. */
    private String split(double[] positions) {
        List<List<Integer>> pieces = fragments(positions);
        if (pieces.size() <= startFragments) return null;
        List<Integer> smallest = pieces.get(0);
        for (List<Integer> piece : pieces) if (piece.size() < smallest.size()) smallest = piece;
        List<String> atoms = new ArrayList<>();
        for (int i : smallest) atoms.add(i + " (" + Elements.symbol(atomicNumbers[i]) + ")");
        return String.format(Locale.ROOT, "the molecule split into %d pieces (it started as %d): atom%s %s %s more than %.1f Å from every other atom",
                pieces.size(), startFragments, atoms.size() == 1 ? "" : "s", String.join(", ", atoms), atoms.size() == 1 ? "is" : "are",
                SPLIT_DISTANCE_A);
    }

    /** The connected pieces of the structure, atoms linked when closer than {@link #SPLIT_DISTANCE_A}. */
    static List<List<Integer>> fragments(double[] positions) {
        int n = positions.length / 3;
        int[] parent = new int[n];
        for (int i = 0; i < n; i++) parent[i] = i;
        NeighborList.Edges edges = NeighborList.of(positions, SPLIT_DISTANCE_A);
        for (int e = 0; e < edges.size(); e++) {
            int a = root(parent, edges.center()[e]), b = root(parent, edges.neighbor()[e]);
            if (a != b) parent[Math.max(a, b)] = Math.min(a, b);
        }
        List<List<Integer>> pieces = new ArrayList<>();
        int[] pieceOfRoot = new int[n];
        Arrays.fill(pieceOfRoot, -1);
        for (int i = 0; i < n; i++) {
            int r = root(parent, i);
            if (pieceOfRoot[r] < 0) {
                pieceOfRoot[r] = pieces.size();
                pieces.add(new ArrayList<>());
            }
            pieces.get(pieceOfRoot[r]).add(i);
        }
        return pieces;
    }

    private static int root(int[] parent, int i) {
        while (parent[i] != i) i = parent[i] = parent[parent[i]];
        return i;
    }
}
