package org.gaq.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.gaq.cli.GaqCli;
import org.gaq.data.ExtXyz;
import org.gaq.md.RunFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The md-ensemble job in local[2]: trajectories identical to gaq md's, and a blow-up reported, not fatal. */
class MdEnsembleJobTest {
    @TempDir Path tmp;

    @Test
    void trajectoriesMatchGaqMdAndABlowUpIsReportedNotFatal() throws Exception {
        Path structure = SparkTestSession.requireShared("rmd17/rmd17_ethanol_train_01.npz");
        Path model = SparkTestSession.model("ethanol-fp32.safetensors");
        SparkSession spark = SparkTestSession.get();
        // Trajectories 0 and 1 start from frames 0 and 7 at 300 K; 2 and 3 at 60,000 K, where ethanol flies apart.
        var specs = TrajectorySpec.grid(4, new int[] {0, 7}, new double[] {300, 60_000}, 11);
        var md = new EnsembleSettings("nve", 0.5, 200, 0.01, 10, 50, 50);
        Path out = tmp.resolve("ensemble");
        var summary = MdEnsembleJob.run(spark, new MdEnsembleJob.Settings(model, structure.toString(), null, specs, md, out));

        assertEquals(4, summary.trajectories());
        assertEquals(2L, summary.byStatus().get("finished"));
        assertEquals(2L, summary.byStatus().get("blew_up"), summary.problems().toString());
        assertEquals(2, summary.driftsReported());
        List<Row> rows = spark.read().parquet(out.resolve("trajectories").toString()).orderBy("trajectory").collectAsList();
        assertEquals(4, rows.size());
        Row hot = rows.get(2);
        assertTrue(hot.<String>getAs("message").contains("MD stopped at step"), hot.<String>getAs("message"));
        assertTrue(hot.<Long>getAs("last_step") < 200);

        // Trajectory 1 (frame 7, seed 12, 300 K) run by gaq md itself.
        Path run = tmp.resolve("gaq-md");
        int code = GaqCli.newCommandLine().execute("md", model.toString(), "--structure", structure.toString(), "--frame", "7",
                "--steps", "200", "--seed", "12", "--temperature", "300", "--log-every", "10", "--trajectory-every", "50",
                "--out", run.toString());
        assertEquals(0, code);
        RunFiles.Summary expected = RunFiles.readJson(run.resolve(RunFiles.SUMMARY), RunFiles.Summary.class);
        Row one = rows.get(1);
        assertEquals(7, (int) one.<Integer>getAs("start_frame"));
        assertEquals("finished", one.getAs("status"));
        assertNull(one.getAs("message"));
        // Same code, same seed: the same trajectory, up to the compiled engine's float32 rounding of the forces, which
        // can change by one ulp as the JIT warms up (docs/spark.md); in practice the numbers agree to the last digit.
        assertEquals(expected.driftMeVPerAtomPerPs(), one.<Double>getAs("drift_meV_per_atom_per_ps"), 1e-4, "drift");
        assertEquals(expected.fluctuationMeVPerAtom(), one.<Double>getAs("fluctuation_meV_per_atom"), 1e-4);
        List<RunFiles.EnergyRow> log = RunFiles.readEnergyLog(run);
        assertEquals(log.getLast().totalEv(), one.<Double>getAs("final_total_energy_eV"), 1e-5);
        assertEquals(log.stream().mapToDouble(RunFiles.EnergyRow::temperatureK).average().orElseThrow(), one.<Double>getAs("mean_temperature_K"), 1e-9);

        var gaqFrames = ExtXyz.readEntries(run.resolve(RunFiles.TRAJECTORY), ExtXyz.ReadOptions.DEFAULT);
        List<Row> sparkFrames = spark.read().parquet(out.resolve("frames").toString()).where("trajectory = 1").orderBy("step").collectAsList();
        assertEquals(gaqFrames.size(), sparkFrames.size());
        assertEquals(5, sparkFrames.size());   // steps 0, 50, 100, 150, 200
        for (int i = 0; i < gaqFrames.size(); i++) {
            assertArrayEquals(gaqFrames.get(i).frame().positions(), RowValues.toDoubles(sparkFrames.get(i), "positions"), 1e-5);
            assertEquals(50L * i, (long) sparkFrames.get(i).<Long>getAs("step"));
        }
        assertNotNull(summary.meanAbsDriftMeVPerAtomPerPs());
    }
}
