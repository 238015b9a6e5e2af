package org.gaq.md;

import org.gaq.infer.Potential;
import org.gaq.data.ExtXyz;
import org.gaq.data.Frame;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** Integrators, thermostat, drift fit, blow-up handling and resume, on analytic and real force fields. */
class MdTest {

    /** Independent isotropic harmonic wells E = ½ k |x − x₀|² per atom (eV, Å); optionally NaN from call {@code nanFrom}. */
    static final class HarmonicWells implements ForceField {
        final int[] z;
        final double k;
        final double[] x0;
        final AtomicInteger calls = new AtomicInteger();
        int nanFrom = Integer.MAX_VALUE;

        HarmonicWells(int atoms, double k) {
            this.z = new int[atoms];
            java.util.Arrays.fill(z, 6);
            this.k = k;
            this.x0 = new double[3 * atoms];
            for (int i = 0; i < atoms; i++) x0[3 * i] = 3.0 * i;
        }

        @Override
        public Evaluation evaluate(double[] x) {
            double e = 0;
            double[] f = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double d = x[i] - x0[i];
                e += 0.5 * k * d * d;
                f[i] = -k * d;
            }
            if (calls.incrementAndGet() >= nanFrom) f[0] = Double.NaN;
            return new Evaluation(e, f);
        }

        @Override
        public int[] atomicNumbers() {
            return z.clone();
        }
    }

    static RunFiles.Settings settings(String ensemble, long steps, double dt) {
        return new RunFiles.Settings("test", "test", ensemble, dt, 300, 0.05, 7, steps, 5, 10, 50);
    }

    @Test
    void velocityVerletFollowsTheAnalyticOscillatorAndConservesEnergy() {
        HarmonicWells wells = new HarmonicWells(1, 10.0);
        double m = org.gaq.data.Elements.mass(6);
        double omega = Math.sqrt(10.0 / (m * Dynamics.C));      // rad/fs
        double[] x = {0.1, 0, 0};
        MdState s = new MdState(0, 0, x, new double[3], wells.evaluate(x).forces(), wells.evaluate(x).energy());
        VelocityVerlet vv = new VelocityVerlet();
        double dt = 0.1, e0 = s.potentialEnergy(), maxDev = 0;
        for (int n = 0; n < 5000; n++) {
            s = vv.step(s, wells, new double[]{m}, dt);
            double e = s.potentialEnergy() + Dynamics.kineticEnergy(new double[]{m}, s.velocities());
            maxDev = Math.max(maxDev, Math.abs(e - e0));
        }
        assertEquals(0.1 * Math.cos(omega * s.timeFs()), s.positions()[0], 2e-3 * 0.1, "x(t) = x0 cos ωt");
        assertTrue(maxDev < 1e-3 * e0, "Verlet energy error is O((ωΔt)²) and bounded: " + maxDev + " of " + e0);
    }

    @Test
    void velocityVerletIsTimeReversible() {
        HarmonicWells wells = new HarmonicWells(3, 5.0);
        double[] masses = org.gaq.data.Elements.masses(wells.z);
        double[] x = {0.05, -0.02, 0.01, 3.1, 0.03, 0, 5.95, 0, -0.04};
        double[] v = Dynamics.maxwellBoltzmann(masses, 300, 3);
        MdState s = new MdState(0, 0, x, v, wells.evaluate(x).forces(), 0);
        VelocityVerlet vv = new VelocityVerlet();
        for (int n = 0; n < 200; n++) s = vv.step(s, wells, masses, 0.5);
        double[] back = s.velocities().clone();
        for (int i = 0; i < back.length; i++) back[i] = -back[i];
        s = new MdState(0, 0, s.positions(), back, s.forces(), 0);
        for (int n = 0; n < 200; n++) s = vv.step(s, wells, masses, 0.5);
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], s.positions()[i], 1e-10);
            assertEquals(-v[i], s.velocities()[i], 1e-10);
        }
    }

    @Test
    void maxwellBoltzmannHasZeroMomentumAndTheRequestedTemperature() {
        int atoms = 3000;
        double[] masses = new double[atoms];
        for (int i = 0; i < atoms; i++) masses[i] = i % 2 == 0 ? 1.008 : 15.999;
        double[] v = Dynamics.maxwellBoltzmann(masses, 300, 11);
        for (double p : Dynamics.momentum(masses, v)) assertEquals(0, p, 1e-9);
        double t = Dynamics.temperature(Dynamics.kineticEnergy(masses, v), 3 * atoms - 3);
        assertEquals(300, t, 300 * 4 * Math.sqrt(2.0 / (3 * atoms)), "T within 4σ of its sampling spread");
        // Known value: hydrogen at 300 K has σ_v = √(k_B T / m) ≈ 0.0157 Å/fs (1.57 km/s).
        assertEquals(0.01574, Math.sqrt(org.gaq.data.Units.BOLTZMANN_EV_PER_K * 300 / (1.008 * Dynamics.C)), 1e-4);
        assertThrows(IllegalArgumentException.class, () -> Dynamics.maxwellBoltzmann(masses, -1, 1));
    }

    @Test
    void langevinThermostatHoldsTheBathTemperature() {
        HarmonicWells wells = new HarmonicWells(100, 5.0);
        double[] masses = org.gaq.data.Elements.masses(wells.z);
        double[] x = wells.x0.clone();
        MdState s = new MdState(0, 0, x, new double[x.length], wells.evaluate(x).forces(), 0);   // starts cold
        LangevinBaoab baoab = new LangevinBaoab(300, 0.05, 5);
        double sum = 0;
        int samples = 0;
        for (int n = 0; n < 6000; n++) {
            s = baoab.step(s, wells, masses, 1.0);
            if (n >= 1000) {
                sum += Dynamics.temperature(Dynamics.kineticEnergy(masses, s.velocities()), baoab.degreesOfFreedom(100));
                samples++;
            }
        }
        assertEquals(300, sum / samples, 12, "mean kinetic temperature after equilibration");
    }

    @Test
    void driftFitRecoversAKnownSlope() {
        double[] t = new double[101], e = new double[101];
        for (int i = 0; i <= 100; i++) {
            t[i] = 10.0 * i;                                     // fs, 1 ps in all
            e[i] = -100 + 9e-3 * (t[i] / 1000) + (i % 2 == 0 ? 1e-4 : -1e-4);   // 9 meV/ps over 9 atoms, ±0.1 meV wiggle
        }
        EnergyDrift d = EnergyDrift.fit(t, e, 9);
        assertEquals(1.0, d.slopeMeVPerAtomPerPs(), 1e-3);
        assertEquals(0.1 / 9, d.fluctuationMeVPerAtom(), 1e-3);
        assertEquals(1.0, d.durationPs(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> EnergyDrift.fit(new double[]{1}, new double[]{1}, 1));
    }

    @Test
    void aBlowUpStopsWithTheLastGoodFrameAndStateSaved(@TempDir Path dir) throws Exception {
        HarmonicWells wells = new HarmonicWells(2, 5.0);
        Simulation sim = new Simulation(wells, new VelocityVerlet(), settings("nve", 100, 0.5), dir);
        MdState start = sim.initialState(wells.x0.clone(), new double[6]);
        wells.nanFrom = 1 + 23;                                  // the 23rd step's forces are NaN
        MdBlowUpException e = assertThrows(MdBlowUpException.class, () -> sim.run(start));
        assertEquals(23, e.step());
        assertTrue(e.getMessage().contains("non-finite") && e.getMessage().contains("last_good.xyz"), e.getMessage());
        assertEquals(22, RunFiles.readState(dir).step());
        Frame lastGood = ExtXyz.read(dir.resolve(RunFiles.LAST_GOOD)).frame(0);
        assertArrayEquals(RunFiles.readState(dir).positions(), lastGood.positions(), 1e-9);
        assertEquals(6, Files.readAllLines(dir.resolve(RunFiles.ENERGY_LOG)).size(), "header + steps 0, 5, 10, 15, 20 kept");
    }

    @Test
    void absurdForcesCountAsABlowUpToo(@TempDir Path dir) {
        HarmonicWells wells = new HarmonicWells(1, 1e4);
        Simulation sim = new Simulation(wells, new VelocityVerlet(), settings("nve", 10, 0.5), dir);
        double[] far = {1.0, 0, 0};                              // 1e4 eV/Å² × 1 Å = 1e4 eV/Å > 50
        MdBlowUpException e = assertThrows(MdBlowUpException.class, () -> sim.initialState(far, new double[3]));
        assertTrue(e.getMessage().contains("starting structure") && e.getMessage().contains("--max-force"), e.getMessage());
    }

    @Test
    void aResumedRunContinuesBitForBit(@TempDir Path dir) throws Exception {
        HarmonicWells wells = new HarmonicWells(4, 5.0);
        double[] masses = org.gaq.data.Elements.masses(wells.z);
        double[] v = Dynamics.maxwellBoltzmann(masses, 300, 2);
        Path whole = dir.resolve("whole"), parts = dir.resolve("parts");
        Simulation one = new Simulation(wells, new LangevinBaoab(300, 0.05, 7), settings("langevin", 40, 0.5), whole).plot(false);
        MdState end = one.run(one.initialState(wells.x0.clone(), v)).finalState();

        Simulation first = new Simulation(wells, new LangevinBaoab(300, 0.05, 7), settings("langevin", 25, 0.5), parts).plot(false);
        first.run(first.initialState(wells.x0.clone(), v));   // checkpoints at 0, 10, 20 and its last step 25
        // Rows a crash could leave after a checkpoint; the resume must drop them and write them again:
        Files.writeString(parts.resolve(RunFiles.ENERGY_LOG), "30,15.0,0,0,0,0\n", java.nio.file.StandardOpenOption.APPEND);
        Simulation second = new Simulation(wells, new LangevinBaoab(300, 0.05, 7), settings("langevin", 40, 0.5), parts).plot(false);
        MdState resumed = second.run(RunFiles.readState(parts)).finalState();

        assertArrayEquals(end.positions(), resumed.positions(), 0);
        assertArrayEquals(end.velocities(), resumed.velocities(), 0);
        assertEquals(Files.readString(whole.resolve(RunFiles.ENERGY_LOG)), Files.readString(parts.resolve(RunFiles.ENERGY_LOG)));
        assertEquals(Files.readString(whole.resolve(RunFiles.TRAJECTORY)), Files.readString(parts.resolve(RunFiles.TRAJECTORY)));
    }

    @Test
    void theModelsForcesConserveEnergyInNve(@TempDir Path dir) throws Exception {
        ModelConfig tiny = new ModelConfig(16, 2, 4, 8, 5.0, true, 18);
        EquivariantTransformer model = new EquivariantTransformer(tiny, 5);
        int[] z = org.gaq.model.TestMolecules.ETHANOL_ELEMENTS;
        double[] x = org.gaq.model.TestMolecules.ETHANOL_POSITIONS.clone();
        ModelForceField ff = new ModelForceField(Potential.of(model), z);
        Simulation sim = new Simulation(ff, new VelocityVerlet(), new RunFiles.Settings("tiny", "test", "nve", 0.25, 300, 0.01, 1, 200, 2, 100, 50), dir);
        var r = sim.run(sim.initialState(x, Dynamics.maxwellBoltzmann(org.gaq.data.Elements.masses(z), 300, 4)));
        // If the forces were not −∇E the total energy would wander by the order of the kinetic energy (~40 meV/atom).
        assertTrue(Math.abs(r.drift().slopeMeVPerAtomPerPs()) < 0.5, "drift " + r.drift());
        assertTrue(r.drift().fluctuationMeVPerAtom() < 0.2, "fluctuation " + r.drift());
        assertTrue(Files.size(dir.resolve(RunFiles.ENERGY_PLOT)) > 1000);
        assertThrows(IllegalArgumentException.class, () -> new ModelForceField(Potential.of(model), new int[]{6, 92}));
    }

    /** A force field from an energy function alone: zero forces unless {@code forces} says otherwise. */
    record Scripted(int[] z, java.util.function.ToDoubleFunction<double[]> energy, java.util.function.Function<double[], double[]> forces)
            implements ForceField {
        @Override
        public Evaluation evaluate(double[] x) {
            return new Evaluation(energy.applyAsDouble(x), forces.apply(x));
        }

        @Override
        public int[] atomicNumbers() {
            return z.clone();
        }
    }

    @Test
    void overheatingStopsTheRunThoughForcesStaySmall(@TempDir Path dir) throws Exception {
        // Two carbons 1 Å apart pushed apart by a constant 5 eV/Å (E = −5·(x₁ − x₀)): they heat past 5 × 300 K long before 3 Å.
        ForceField push = new Scripted(new int[]{6, 6}, x -> -5 * (x[3] - x[0]), x -> new double[]{-5, 0, 0, 5, 0, 0});
        Simulation sim = new Simulation(push, new VelocityVerlet(), settings("nve", 1000, 0.5), dir).plot(false);
        MdBlowUpException e = assertThrows(MdBlowUpException.class, () -> sim.run(sim.initialState(new double[]{0, 0, 0, 1, 0, 0}, new double[6])));
        assertTrue(e.getMessage().contains("the temperature is") && e.getMessage().contains("above the limit of 1500 K"), e.getMessage());
        assertTrue(e instanceof org.gaq.run.RunStoppedException, "the command line prints it as one line, exit code 3");
        assertEquals(e.step() - 1, RunFiles.readState(dir).step(), "the last good state is the checkpoint");
    }

    @Test
    void aMoleculeSplittingStopsTheRunAtNormalTemperature(@TempDir Path dir) throws Exception {
        // Free atoms (no forces) at ~100 K, the first carbon drifting away: nothing heats, nothing is large, but C–H–C comes apart.
        ForceField free = new Scripted(new int[]{6, 1, 6}, x -> 0, x -> new double[9]);
        double[] x = {0, 0, 0, 1.0, 0, 0, 2.0, 0, 0}, v = {-0.006, 0, 0, 0, 0, 0, 0.002, 0, 0};
        Simulation sim = new Simulation(free, new VelocityVerlet(), settings("nve", 1000, 0.5), dir).plot(false);
        MdBlowUpException e = assertThrows(MdBlowUpException.class, () -> sim.run(sim.initialState(x, v)));
        assertTrue(e.getMessage().contains("the molecule split into 2 pieces (it started as 1): atom 0 (C) is more than 3.0 Å from every other atom"),
                e.getMessage());
        assertTrue(Files.exists(dir.resolve(RunFiles.LAST_GOOD)));
    }

    @Test
    void anNveEnergyJumpStopsTheRunButALangevinBathMayChangeTheEnergy(@TempDir Path dir) throws Exception {
        // Zero forces, atoms at rest, and a potential energy that jumps by 1 eV at the 11th call: not energy-conserving.
        AtomicInteger calls = new AtomicInteger();
        ForceField jumpy = new Scripted(new int[]{6, 6}, x -> calls.incrementAndGet() > 10 ? 1.0 : 0.0, x -> new double[6]);
        double[] x = {0, 0, 0, 1.2, 0, 0};
        Simulation nve = new Simulation(jumpy, new VelocityVerlet(), settings("nve", 40, 0.5), dir.resolve("nve")).plot(false);
        MdBlowUpException e = assertThrows(MdBlowUpException.class, () -> nve.run(nve.initialState(x, new double[6])));
        assertTrue(e.getMessage().contains("the total energy changed by 500.0 meV/atom in one step (NVE allows 25.9)"), e.getMessage());

        calls.set(0);
        Simulation langevin = new Simulation(jumpy, new LangevinBaoab(300, 1e-3, 1), settings("langevin", 40, 0.5), dir.resolve("l")).plot(false);
        assertEquals(40, langevin.run(langevin.initialState(x, new double[6])).finalState().step());
    }
}
