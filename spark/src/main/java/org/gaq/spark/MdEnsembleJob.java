package org.gaq.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.gaq.data.DataSource;
import org.gaq.md.RunFiles;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;

/**
 * The md-ensemble job: N independent trajectories of one molecule, one Spark task each (a task per trajectory, so
 * a slow or failed one holds up nothing else), → {@code out/trajectories} (one summary row per trajectory:
 * status, drift, mean temperature), {@code out/frames} (the sampled frames) and {@code out/summary.json}.
 */
public final class MdEnsembleJob {

    /** @param structure a start-structure spec as gaq md's --structure (XYZ, npz, rmd17:&lt;molecule&gt;: its train file) */
    public record Settings(Path model, String structure, Path dataDir, List<TrajectorySpec> trajectories, EnsembleSettings md,
                           Path out) implements Serializable {}

    /** What the ensemble did: counts by status, drift statistics of the finished NVE trajectories, the failures. */
    public record Summary(String model, String structure, String ensemble, int trajectories, long stepsEach, Map<String, Long> byStatus,
                          long driftsReported, Double meanAbsDriftMeVPerAtomPerPs, Double maxAbsDriftMeVPerAtomPerPs,
                          Double meanTemperatureK, List<String> problems, double seconds, String output) {}

    private MdEnsembleJob() {}

    public static Summary run(SparkSession spark, Settings settings) throws IOException {
        EvaluateJob.requireFreshOutput(settings.out());
        long t0 = System.nanoTime();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        var data = DataSource.resolve(settings.structure(), settings.dataDir()).load();   // what gaq md --structure reads
        Map<Integer, Structure> starts = new TreeMap<>();
        for (TrajectorySpec t : settings.trajectories()) {
            if (t.startFrame() < 0 || t.startFrame() >= data.size()) {
                throw new IllegalArgumentException("start frame " + t.startFrame() + " is outside 0.." + (data.size() - 1) + " of " + settings.structure());
            }
            starts.put(t.startFrame(), new Structure(settings.structure(), t.startFrame(), null, data.frame(t.startFrame())));
        }
        ShippedModel model = ShippedModel.ship(sc, settings.model());
        Broadcast<Map<Integer, Structure>> startFrames = sc.broadcast(starts);
        String modelName = settings.model().toString(), structure = settings.structure();
        EnsembleSettings md = settings.md();

        JavaRDD<TrajectoryRunner.Outcome> outcomes = sc.parallelize(settings.trajectories(), settings.trajectories().size())
                .map(t -> TrajectoryRunner.run(model.potential(), modelName, startFrames.value().get(t.startFrame()).frame(), structure, t, md,
                        Path.of(System.getProperty("java.io.tmpdir"))))
                .persist(StorageLevel.MEMORY_AND_DISK());
        Path trajectories = settings.out().resolve("trajectories"), frames = settings.out().resolve("frames");
        spark.createDataFrame(outcomes.map(TrajectoryRunner.Outcome::summary), TrajectoryRunner.SUMMARY_SCHEMA)
                .orderBy("trajectory").coalesce(1).write().parquet(trajectories.toString());
        spark.createDataFrame(outcomes.flatMap(o -> o.frames().iterator()), TrajectoryRunner.FRAME_SCHEMA).write().parquet(frames.toString());
        outcomes.unpersist();
        Summary summary = summarize(spark.read().parquet(trajectories.toString()), settings, (System.nanoTime() - t0) / 1e9);
        RunFiles.writeJson(settings.out().resolve("summary.json"), summary);
        return summary;
    }

    private static Summary summarize(Dataset<Row> rows, Settings settings, double seconds) {
        Map<String, Long> byStatus = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        double sumAbs = 0, maxAbs = 0, sumT = 0;
        long drifts = 0, temperatures = 0;
        for (Row r : rows.orderBy(col("trajectory")).collectAsList()) {
            String status = r.getAs("status");
            byStatus.merge(status, 1L, Long::sum);
            if (!status.equals("finished")) problems.add("trajectory " + r.getAs("trajectory") + " " + status + ": " + r.getAs("message"));
            Object drift = r.getAs("drift_meV_per_atom_per_ps");
            if (drift != null && status.equals("finished")) {
                double d = Math.abs((Double) drift);
                sumAbs += d;
                maxAbs = Math.max(maxAbs, d);
                drifts++;
            }
            Object t = r.getAs("mean_temperature_K");
            if (t != null) {
                sumT += (Double) t;
                temperatures++;
            }
        }
        return new Summary(settings.model().toString(), settings.structure(), settings.md().ensemble(), settings.trajectories().size(),
                settings.md().steps(), byStatus, drifts, drifts > 0 ? sumAbs / drifts : null, drifts > 0 ? maxAbs : null,
                temperatures > 0 ? sumT / temperatures : null, problems, seconds, settings.out().toString());
    }
}
