package org.gaq.md;

import org.gaq.data.Frame;
import org.gaq.data.Rmd17Reader;
import org.gaq.infer.Potential;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Teacher frames: the committed FP32 ethanol model's own dynamics from rMD17 frames, labelled by it. */
class ConfigurationSamplerTest {
    private static Potential teacher;
    private static List<Frame> starts;

    @BeforeAll
    static void load() throws Exception {
        Path model = Path.of("models", "ethanol-fp32.safetensors");
        Path data = Path.of("..", "shared", "data", "rmd17", "rmd17_ethanol_train_01.npz");
        assumeTrue(Files.isRegularFile(model) && Files.isRegularFile(data), "committed model or rMD17 not available");
        teacher = Potential.load(model);
        starts = Rmd17Reader.read(data).frames().subList(0, 4);
    }

    /** 2 trajectories of 3 frames: 40 warm-up steps, frames 10 steps (5 fs) apart. */
    private static ConfigurationSampler.Settings small(double temperatureK, long seed) {
        return new ConfigurationSampler.Settings(6, temperatureK, 40, 10, 3, 0.5, 0.01, seed);
    }

    @Test
    void framesCarryTheTeachersOwnEnergiesAndForcesAtTheirPositions() {
        List<Frame> frames = ConfigurationSampler.sample(teacher, starts, small(500, 1));
        assertEquals(6, frames.size());
        for (Frame f : frames) {
            Potential.Result r = teacher.energyAndForces(f.atomicNumbers(), f.positions());
            assertEquals(r.energy(), f.energy(), 1e-9 * Math.abs(r.energy()));
            for (int k = 0; k < r.forces().length; k++) assertEquals(r.forces()[k], f.forces()[k], 1e-6);
            assertFalse(starts.stream().anyMatch(s -> Arrays.equals(s.positions(), f.positions())), "a frame must have moved from its start");
        }
        // frames of one trajectory follow each other: consecutive frames differ, but by less than a bond length
        for (int k = 1; k < 3; k++) {
            double maxMove = 0;
            for (int c = 0; c < frames.get(k).positions().length; c++) {
                maxMove = Math.max(maxMove, Math.abs(frames.get(k).positions()[c] - frames.get(k - 1).positions()[c]));
            }
            assertTrue(maxMove > 1e-4 && maxMove < 1.0, "move " + maxMove + " Å in 5 fs");
        }
    }

    @Test
    void sameSeedSameFramesOtherSeedOthers() {
        List<Frame> a = ConfigurationSampler.sample(teacher, starts, small(300, 7));
        List<Frame> b = ConfigurationSampler.sample(teacher, starts, small(300, 7));
        List<Frame> c = ConfigurationSampler.sample(teacher, starts, small(300, 8));
        for (int k = 0; k < a.size(); k++) assertArrayEquals(a.get(k).positions(), b.get(k).positions());
        assertFalse(Arrays.equals(a.get(0).positions(), c.get(0).positions()));
    }

    /** Hotter dynamics reach higher potential energies: the thermostat's temperature shows in the frames. */
    @Test
    void hotterTeacherFramesHaveHigherEnergies() {
        double cold = meanEnergy(ConfigurationSampler.sample(teacher, starts, new ConfigurationSampler.Settings(12, 100, 200, 20, 6, 0.5, 0.02, 3)));
        double hot = meanEnergy(ConfigurationSampler.sample(teacher, starts, new ConfigurationSampler.Settings(12, 1000, 200, 20, 6, 0.5, 0.02, 3)));
        // equipartition: ⟨E_pot⟩ rises by about (3N/2) k_B ΔT = 13.5 · 0.0776 eV ≈ 1 eV for 9 atoms from 100 to 1000 K
        assertTrue(hot - cold > 0.3, "mean potential energy at 1000 K " + hot + " eV, at 100 K " + cold + " eV");
    }

    private static double meanEnergy(List<Frame> frames) {
        return frames.stream().mapToDouble(Frame::energy).average().orElseThrow();
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ConfigurationSampler.Settings.of(0, 500, 1));
        assertThrows(IllegalArgumentException.class, () -> ConfigurationSampler.Settings.of(10, -5, 1));
        assertThrows(IllegalArgumentException.class, () -> new ConfigurationSampler.Settings(10, 500, 10, 0, 1, 0.5, 0.01, 1));
        assertThrows(IllegalArgumentException.class, () -> ConfigurationSampler.sample(teacher, List.of(), small(300, 1)));
    }
}
