package org.gaq.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.gaq.cli.GaqCli;
import org.gaq.data.ExtXyz;
import org.gaq.data.Frame;
import org.gaq.infer.Potential;
import org.gaq.report.Records;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The evaluate job in local[2] against gaq eval and the public engine API, on 70 ethanol frames. */
class EvaluateJobTest {
    static final int FRAMES = 70;   // not a multiple of the batch size: a short last batch
    static SparkSession spark;
    static Path xyz;
    static List<Frame> frames;
    static Path fp32, w8a8;

    @TempDir static Path tmp;

    @BeforeAll
    static void setUp() throws Exception {
        Path source = SparkTestSession.requireShared("extxyz/rmd17_ethanol_1000.xyz");
        frames = ExtXyz.read(source).frames().subList(0, FRAMES);
        xyz = tmp.resolve("ethanol-70.xyz");
        ExtXyz.write(xyz, frames);
        fp32 = SparkTestSession.model("ethanol-fp32.safetensors");
        w8a8 = SparkTestSession.model("ethanol-gaq-w8a8-recommended.int.safetensors");
        spark = SparkTestSession.get();
    }

    private static EvaluateJob.Settings settings(Path model, List<Path> committee, String input, Path out, int partitions) {
        return new EvaluateJob.Settings(model, committee, input, null, out, 16, partitions, 5);
    }

    private static List<Row> rows(Path out) {
        List<Row> rows = new ArrayList<>(spark.read().parquet(out.resolve("structures").toString()).collectAsList());
        rows.sort(Comparator.comparing((Row r) -> r.getString(r.fieldIndex("source"))).thenComparingLong(r -> r.getLong(r.fieldIndex("record"))));
        return rows;
    }

    @Test
    void matchesGaqEvalOnTheSameStructures() throws Exception {
        Path out = tmp.resolve("eval-xyz");
        EvaluationSummary s = EvaluateJob.run(spark, settings(fp32, List.of(), xyz.toString(), out, 3));

        Path record = tmp.resolve("gaq-eval.json");
        int code = GaqCli.newCommandLine().execute("eval", fp32.toString(), "--data", xyz.toString(), "--lee-rotations", "0",
                "--threads", "1", "--record", record.toString());
        assertEquals(0, code);
        Records.Eval eval = Records.read(record, Records.Eval.class);

        assertEquals(FRAMES, s.structures());
        assertEquals(FRAMES, s.labelledStructures());
        assertEquals(eval.energyMaeMeV(), s.energyMaeMeV(), 1e-9 * eval.energyMaeMeV());
        assertEquals(eval.forceMaeMeVPerA(), s.forceMaeMeVPerA(), 1e-3);
        assertEquals(eval.energyRmseMeV(), s.energyRmseMeV(), 1e-9 * eval.energyRmseMeV());
        assertEquals(eval.forceRmseMeVPerA(), s.forceRmseMeVPerA(), 1e-3);
        List<Row> rows = rows(out);
        double[] perStructure = rows.stream().mapToDouble(r -> r.getDouble(r.fieldIndex("force_mae_meV_per_A"))).toArray();
        // The compiled engine's forces can move by one float32 ulp (~4e-7 eV/Å) as the JIT warms up, so "identical"
        // means to within that rounding: 1e-3 meV/Å.
        assertArrayEquals(eval.frameForceMaeMeVPerA(), perStructure, 1e-3, "each structure's force MAE");
        assertEquals(5, s.worstByForceError().size());
        double worst = s.worstByForceError().getFirst().value();
        for (double v : perStructure) assertTrue(v <= worst);
        assertTrue(s.worstByDisagreement().isEmpty());
        assertNull(s.meanForceDisagreementMeVPerA());
    }

    @Test
    void parquetInputGivesTheSameEnergiesAndForcesAsThePublicApi() throws Exception {
        Path parquet = tmp.resolve("ethanol-parquet");
        List<Row> input = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) input.add(new Structure("x", i, "ethanol-" + i, frames.get(i)).toParquetRow());
        spark.createDataFrame(input, Structure.PARQUET_SCHEMA).repartition(3).write().parquet(parquet.toString());

        Path out = tmp.resolve("eval-parquet");
        EvaluationSummary s = EvaluateJob.run(spark, settings(fp32, List.of(), parquet.toString(), out, 0));
        assertEquals(FRAMES, s.structures());
        Potential model = Potential.load(fp32);
        int checked = 0;
        for (Row r : rows(out)) {
            int i = Integer.parseInt(r.getString(r.fieldIndex("id")).substring("ethanol-".length()));
            Potential.Result expected = model.energyAndForces(List.of(frames.get(i))).getFirst();
            assertEquals(expected.energy(), r.getDouble(r.fieldIndex("energy_eV")), 1e-9, "structure " + i);
            assertArrayEquals(expected.forces(), RowValues.toDoubles(r, "forces_eV_per_A"), 1e-5, "structure " + i);
            assertEquals(1000 * (expected.energy() - frames.get(i).energy()), r.getDouble(r.fieldIndex("energy_error_meV")), 1e-6);
            assertTrue(r.getString(r.fieldIndex("source")).startsWith("file:") && r.getString(r.fieldIndex("source")).contains("ethanol-parquet"));
            checked++;
        }
        assertEquals(FRAMES, checked);
    }

    @Test
    void committeeDisagreementVanishesForOneModelTwiceAndMatchesTheModelsApart() throws Exception {
        Path same = tmp.resolve("eval-same");
        EvaluationSummary twice = EvaluateJob.run(spark, settings(fp32, List.of(fp32), xyz.toString(), same, 2));
        assertTrue(twice.maxForceDisagreementMeVPerA() < 1e-3, "one model against itself: float32 rounding at most, got "
                + twice.maxForceDisagreementMeVPerA());

        Path out = tmp.resolve("eval-committee");
        EvaluationSummary s = EvaluateJob.run(spark, settings(fp32, List.of(w8a8), xyz.toString(), out, 2));
        assertEquals(List.of(w8a8.getFileName().toString()), s.committee());
        assertTrue(s.meanForceDisagreementMeVPerA() > 0);
        assertEquals(5, s.worstByDisagreement().size());
        Potential a = Potential.load(fp32), b = Potential.load(w8a8);
        for (Row r : rows(out)) {
            int i = (int) r.getLong(r.fieldIndex("record"));
            Potential.Result ra = a.energyAndForces(List.of(frames.get(i))).getFirst(), rb = b.energyAndForces(List.of(frames.get(i))).getFirst();
            assertEquals(1000 * Math.abs(ra.energy() - rb.energy()), r.getDouble(r.fieldIndex("energy_spread_meV")), 1e-6, "structure " + i);
            // K = 2: each atom's committee standard deviation is half the distance between the two force vectors.
            double expected = 0;
            for (int atom = 0; atom < frames.get(i).numAtoms(); atom++) {
                double ss = 0;
                for (int c = 0; c < 3; c++) ss += Math.pow(ra.forces()[3 * atom + c] - rb.forces()[3 * atom + c], 2);
                expected += Math.sqrt(ss) / 2;
            }
            expected = 1000 * expected / frames.get(i).numAtoms();
            assertEquals(expected, r.getDouble(r.fieldIndex("force_disagreement_meV_per_A")), 1e-3 + 1e-4 * expected, "structure " + i);
        }
    }

    @Test
    void malformedParquetRecordIsAnErrorNamingFileAndRecord() {
        Path bad = tmp.resolve("bad-parquet");
        List<Row> input = new ArrayList<>();
        for (int i = 0; i < 3; i++) input.add(new Structure("x", i, null, frames.get(i)).toParquetRow());
        Frame f = frames.get(3);
        double[] shortPositions = Arrays.copyOf(f.positions(), f.positions().length - 1);
        input.add(RowValues.row("broken", RowValues.ints(f.atomicNumbers()), RowValues.doubles(shortPositions), f.energy(), null));
        spark.createDataFrame(input, Structure.PARQUET_SCHEMA).coalesce(1).write().parquet(bad.toString());

        Exception e = assertThrows(Exception.class, () -> EvaluateJob.run(spark, settings(fp32, List.of(), bad.toString(), tmp.resolve("eval-bad"), 0)));
        String message = SparkErrors.message(e);
        assertTrue(message.contains("bad-parquet/part-") && message.contains(".parquet record 3:"), message);
        assertTrue(message.contains("positions has 26 values, expected 3 × 9 atoms = 27"), message);
    }

    @Test
    void refusesAnOutputFolderThatHoldsResults() throws Exception {
        Path out = tmp.resolve("eval-twice");
        EvaluateJob.run(spark, settings(fp32, List.of(), xyz.toString(), out, 1));
        var e = assertThrows(IllegalArgumentException.class, () -> EvaluateJob.run(spark, settings(fp32, List.of(), xyz.toString(), out, 1)));
        assertTrue(e.getMessage().contains("already holds files"), e.getMessage());
    }
}
