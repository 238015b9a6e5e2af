package org.gaq.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSourceTest {
    @TempDir Path tmp;

    /** A fake project layout: tmp/proj (cwd, code in proj/target/classes) next to tmp/shared/data. */
    private Path fakeLayout(String... files) throws IOException {
        Path data = tmp.resolve("shared/data");
        for (String f : files) {
            Path p = data.resolve(f);
            Files.createDirectories(p.getParent());
            if (f.endsWith(".npz")) TestData.writeNpz(p, TestData.validArrays());
            else Files.writeString(p, "1\nProperties=species:S:1:pos:R:3 U0=-0.5 pbc=\"F F F\"\nH 0 0 0\n");
        }
        Files.createDirectories(tmp.resolve("proj/target/classes"));
        return data;
    }

    @Test
    void rmd17SpecFromRealSharedData() throws IOException {
        Path data = TestData.sharedDataDir();
        TestData.requireShared("rmd17/rmd17_ethanol_train_01.npz");
        Path cwd = data.resolve("../../wt-fake").normalize(); // ../shared/data from a sibling of shared
        DataSource.Source s = DataSource.resolve("rmd17:ethanol", null, Map.of(), cwd, null);
        assertEquals(DataSource.Format.RMD17_NPZ, s.format());
        assertEquals(data.resolve("rmd17/rmd17_ethanol_train_01.npz"), s.file());
        assertEquals(data.resolve("rmd17/rmd17_ethanol_test_01.npz"), s.testFile());
        Split split = s.split(1);
        assertEquals(950, split.train().size());
        assertEquals(50, split.validation().size());
        assertEquals(1000, split.test().size());
        assertArrayEquals(new int[] {6, 6, 8, 1, 1, 1, 1, 1, 1}, split.test().frame(0).atomicNumbers());
    }

    @Test
    void qm9SpecAndAutodetectedQm9Path() throws IOException {
        Path data = fakeLayout("qm9/qm9_reduced_100.xyz");
        Path cwd = tmp.resolve("proj");
        DataSource.Source s = DataSource.resolve("qm9", null, Map.of(), cwd, null);
        assertEquals(DataSource.Format.QM9_XYZ, s.format());
        assertEquals(-0.5 * Units.HARTREE_IN_EV, s.load().frame(0).energy(), 1e-12);
        assertNull(s.testFile());
        DataSource.Source byPath = DataSource.resolve(data.resolve("qm9/qm9_reduced_100.xyz").toString(), null, Map.of(), cwd, null);
        assertEquals(DataSource.Format.QM9_XYZ, byPath.format());
    }

    @Test
    void precedenceExplicitThenEnvThenCwdThenCode() throws IOException {
        Path data = fakeLayout("rmd17/rmd17_ethanol_train_01.npz", "rmd17/rmd17_ethanol_test_01.npz");
        Path other = tmp.resolve("other");
        Files.createDirectories(other.resolve("rmd17"));
        TestData.writeNpz(other.resolve("rmd17/rmd17_ethanol_train_01.npz"), TestData.validArrays());
        TestData.writeNpz(other.resolve("rmd17/rmd17_ethanol_test_01.npz"), TestData.validArrays());
        Path cwd = tmp.resolve("proj");
        Path nowhere = tmp.resolve("a/b/c");
        Path code = tmp.resolve("proj/target/classes");
        String req = "rmd17/rmd17_ethanol_train_01.npz";

        assertEquals(other, DataSource.findDataDir(other, Map.of(DataSource.ENV_DATA_DIR, data.toString()), cwd, code, req));
        assertEquals(other, DataSource.findDataDir(null, Map.of(DataSource.ENV_DATA_DIR, other.toString()), cwd, code, req));
        assertEquals(data, DataSource.findDataDir(null, Map.of(), cwd, null, req));
        // working dir has nothing: found relative to the code location (target/classes → proj)
        assertEquals(data, DataSource.findDataDir(null, Map.of(), nowhere, code, req));
        // a jar in proj/target
        Path jar = Files.writeString(tmp.resolve("proj/target/gaq.jar"), "");
        assertEquals(data, DataSource.findDataDir(null, Map.of(), nowhere, jar, req));
    }

    @Test
    void notFoundListsEveryPlaceAndTheDownloadUrl() throws IOException {
        Path cwd = Files.createDirectories(tmp.resolve("x/y"));
        Path code = Files.createDirectories(tmp.resolve("p/q/target/classes"));
        var e = assertThrows(DataNotFoundException.class,
                () -> DataSource.resolve("rmd17:aspirin", null, Map.of(), cwd, code));
        String m = e.getMessage();
        assertTrue(m.contains(tmp.resolve("x/shared/data").toString()), m);
        assertTrue(m.contains(tmp.resolve("p/q/target/shared/data").toString()), m);
        assertTrue(m.contains(tmp.resolve("p/q/shared/data").toString()), m);
        assertTrue(m.contains(DataSource.RMD17_URL), m);
        assertTrue(m.contains("rmd17/rmd17_aspirin_train_01.npz"), m);

        // explicit dir and env are not silently bypassed
        var e2 = assertThrows(DataNotFoundException.class,
                () -> DataSource.resolve("rmd17:aspirin", tmp.resolve("typo"), Map.of(), cwd, code));
        assertTrue(e2.getMessage().contains("typo") && e2.getMessage().contains("--data-dir"), e2.getMessage());
        var e3 = assertThrows(DataNotFoundException.class,
                () -> DataSource.resolve("qm9", null, Map.of(DataSource.ENV_DATA_DIR, "/nonexistent/gaq"), cwd, code));
        assertTrue(e3.getMessage().contains("/nonexistent/gaq") && e3.getMessage().contains("GAQ_DATA_DIR"), e3.getMessage());
    }

    @Test
    void unknownMoleculeListsAvailableOnes() throws IOException {
        fakeLayout("rmd17/rmd17_ethanol_train_01.npz", "rmd17/rmd17_ethanol_test_01.npz");
        var e = assertThrows(IllegalArgumentException.class,
                () -> DataSource.resolve("rmd17:ethanoll", null, Map.of(), tmp.resolve("proj"), null));
        assertTrue(e.getMessage().contains("'ethanoll'") && e.getMessage().contains("aspirin, azobenzene")
                && e.getMessage().contains("available in") && e.getMessage().endsWith(": ethanol"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DataSource.resolve("rmd17:", null, Map.of(), tmp, null));
    }

    @Test
    void pathSpecs() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("d"));
        TestData.writeNpz(dir.resolve("mol_train_02.npz"), TestData.validArrays());
        TestData.writeNpz(dir.resolve("mol_test_02.npz"), TestData.validArrays());
        TestData.writeNpz(dir.resolve("single.npz"), TestData.validArrays());
        DataSource.Source s = DataSource.resolve("d/mol_train_02.npz", null, Map.of(), tmp, null);
        assertEquals(dir.resolve("mol_test_02.npz"), s.testFile(), "test sibling picked up");
        assertNull(DataSource.resolve("d/single.npz", null, Map.of(), tmp, null).testFile());

        Files.writeString(dir.resolve("t.extxyz"), "1\nProperties=species:S:1:pos:R:3 energy=-2.0 pbc=\"F F F\"\nH 0 0 0\n");
        DataSource.Source x = DataSource.resolve("d/t.extxyz", null, Map.of(), tmp, null);
        assertEquals(DataSource.Format.EXTXYZ, x.format());
        assertEquals(-2.0, x.load().frame(0).energy());
        assertEquals(-2.0 * Units.KCAL_PER_MOL_IN_EV,
                x.withXyzEnergyUnit(Units.EnergyUnit.KCAL_PER_MOL).load().frame(0).energy(), 1e-15);

        assertThrows(DataNotFoundException.class, () -> DataSource.resolve("d/missing.xyz", null, Map.of(), tmp, null));
        var e = assertThrows(IllegalArgumentException.class, () -> DataSource.resolve("data.csv", null, Map.of(), tmp, null));
        assertTrue(e.getMessage().contains("rmd17:<molecule>"), e.getMessage());
    }
}
