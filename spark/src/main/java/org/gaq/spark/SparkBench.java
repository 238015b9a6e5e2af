package org.gaq.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.gaq.bench.CoreBench;
import org.gaq.data.DataSource;
import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.infer.Potential;
import org.gaq.md.RunFiles;
import org.gaq.train.Metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * {@code gaq spark bench}: the figures of issue #21 in one run, written as one JSON file.
 * <ol>
 *   <li>The set: rMD17 ethanol's 2 × 1000 frames (train and test file) repeated to {@code structures}; copy c &gt; 0
 *       of a frame has every coordinate moved by a Gaussian of σ = 0.01 Å (seeded by the structure's index), so no
 *       two structures are the same; labels stay the source frame's (the bench measures speed, not accuracy).
 *       Written as Parquet in 16 files (so Spark has partitions to spread).</li>
 *   <li>{@code gaq eval} on one core: the library call {@code gaq eval --threads 1 --lee-rotations 0} makes
 *       ({@link Metrics#evaluate}, batches of 16) on the same structures, in memory: the baseline for the overhead.</li>
 *   <li>evaluate in local[1], then local[2] (the whole job: ship the model, read Parquet, evaluate, write Parquet, summary),
 *       each after the same job on the first 2000 structures in the same session (the baseline's warm-up).</li>
 *   <li>the baseline again, to bracket changes of the machine's load, and {@code gaq eval --threads 2}: what two
 *       threads gain without Spark at that moment (the control for the local[2] / local[1] ratio).</li>
 *   <li>md-ensemble: {@code trajectories} × {@code mdSteps} NVE ethanol trajectories in local[2] (start frames 0…,
 *       300 K, seeds 1…, dt 0.5 fs).</li>
 * </ol>
 * The load average (/proc/loadavg) is recorded before and after every phase: on a shared machine it is part of the figure.
 */
public final class SparkBench {

    /** @param work scratch folder for the data set and the jobs' outputs (emptied first) */
    public record Settings(Path model, Path dataDir, int structures, int trajectories, long mdSteps, boolean skipEvaluate, boolean skipMd,
                           Path work, Path out, String command) {}

    private SparkBench() {}

    public static Map<String, Object> run(Settings s) throws IOException {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("command", s.command());
        result.put("date", Instant.now().toString());
        result.put("environment", CoreBench.environment());
        result.put("model", s.model().toString());
        result.put("loadBefore", load());
        deleteRecursively(s.work());
        Files.createDirectories(s.work());
        if (!s.skipEvaluate()) result.put("evaluate", evaluate(s));
        if (!s.skipMd()) result.put("mdEnsemble", mdEnsemble(s));
        result.put("loadAfter", load());
        RunFiles.writeJson(s.out(), result);
        return result;
    }

    private static Map<String, Object> evaluate(Settings s) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        List<Frame> frames = benchSet(s);
        Path parquet = s.work().resolve("ethanol-" + s.structures() + ".parquet");
        Path warmUp = s.work().resolve("warm-up.parquet");
        try (SparkSession spark = SparkSessions.start("gaq bench: set", "local[2]")) {
            writeParquet(spark, frames, parquet);
            writeParquet(spark, frames.subList(0, Math.min(2000, frames.size())), warmUp);
        }
        r.put("structures", frames.size());
        r.put("set", "rMD17 ethanol train+test (2 x 1000 frames) repeated; copies > 0 perturbed by N(0, 0.01 Å) per coordinate; "
                + "Parquet in 16 files: " + parquet);
        Potential potential = Potential.load(s.model());
        Dataset all = new Dataset("bench", frames);
        baseline(potential, new Dataset("warm-up", frames.subList(0, Math.min(2000, frames.size()))));   // JIT warm-up
        r.put("gaqEvalOneCore", baseline(potential, all));
        r.put("sparkLocal1", sparkEvaluate(s, warmUp, parquet, "local[1]"));
        r.put("sparkLocal2", sparkEvaluate(s, warmUp, parquet, "local[2]"));
        r.put("gaqEvalOneCoreAgain", baseline(potential, all));
        // The control: what two threads gain without Spark on this machine at this moment (gaq eval --threads 2).
        r.put("gaqEvalTwoThreads", baseline(potential, all, 2));
        double base = Math.min(seconds(r, "gaqEvalOneCore"), seconds(r, "gaqEvalOneCoreAgain"));
        double one = seconds(r, "sparkLocal1"), two = seconds(r, "sparkLocal2");
        r.put("speedupLocal2VsLocal1", one / two);
        r.put("speedupGaqEvalTwoThreadsVsOne", base / seconds(r, "gaqEvalTwoThreads"));
        r.put("sparkOverheadLocal1VsGaqEval", one / base - 1);
        return r;
    }

    private static double seconds(Map<String, Object> r, String phase) {
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) r.get(phase);
        return (Double) m.get("seconds");
    }

    private static Map<String, Object> baseline(Potential potential, Dataset data) {
        return baseline(potential, data, 1);
    }

    private static Map<String, Object> baseline(Potential potential, Dataset data, int threads) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("loadBefore", load());
        long t0 = System.nanoTime();
        try {
            Metrics.evaluate(potential, data, 16, 0, 1, threads);
        } catch (Exception e) {
            throw new IllegalStateException("baseline evaluation failed: " + e.getMessage(), e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        m.put("seconds", seconds);
        m.put("structuresPerSecond", data.size() / seconds);
        m.put("loadAfter", load());
        return m;
    }

    private static void writeParquet(SparkSession spark, List<Frame> frames, Path file) {
        List<Row> rows = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) rows.add(new Structure("bench", i, "ethanol-" + i, frames.get(i)).toParquetRow());
        var rdd = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, 16);
        spark.createDataFrame(rdd, Structure.PARQUET_SCHEMA).write().parquet(file.toString());
    }

    /** The job on {@code parquet}, after the same job on the warm-up set in the same session (as the baseline gets one). */
    private static Map<String, Object> sparkEvaluate(Settings s, Path warmUp, Path parquet, String master) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        String name = master.replaceAll("\\W", "");
        try (SparkSession spark = SparkSessions.start("gaq bench: evaluate " + master, master)) {
            EvaluateJob.run(spark, new EvaluateJob.Settings(s.model(), List.of(), warmUp.toString(), null, s.work().resolve("warm-up-" + name),
                    16, 0, 3));
            m.put("loadBefore", load());
            Path out = s.work().resolve("evaluate-" + name);
            EvaluationSummary summary = EvaluateJob.run(spark, new EvaluateJob.Settings(s.model(), List.of(), parquet.toString(), null, out,
                    16, 0, 3));
            m.put("sparkVersion", spark.version());
            m.put("seconds", summary.seconds());
            m.put("secondsToStructuresWritten", summary.computeSeconds());
            m.put("structuresPerSecond", summary.structuresPerSecond());
            m.put("energyMaeMeV", summary.energyMaeMeV());
        }
        m.put("loadAfter", load());
        return m;
    }

    private static Map<String, Object> mdEnsemble(Settings s) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("loadBefore", load());
        var specs = TrajectorySpec.grid(s.trajectories(), IntStream.range(0, s.trajectories()).toArray(), new double[] {300}, 1);
        var md = new EnsembleSettings("nve", 0.5, s.mdSteps(), 0.01, 10, 1000, 50);
        try (SparkSession spark = SparkSessions.start("gaq bench: md-ensemble", "local[2]")) {
            var summary = MdEnsembleJob.run(spark, new MdEnsembleJob.Settings(s.model(), "rmd17:ethanol", s.dataDir(), specs, md,
                    s.work().resolve("md-ensemble")));
            m.put("trajectories", summary.trajectories());
            m.put("stepsEach", summary.stepsEach());
            m.put("byStatus", summary.byStatus());
            m.put("driftsReported", summary.driftsReported());
            m.put("meanAbsDriftMeVPerAtomPerPs", summary.meanAbsDriftMeVPerAtomPerPs());
            m.put("maxAbsDriftMeVPerAtomPerPs", summary.maxAbsDriftMeVPerAtomPerPs());
            m.put("meanTemperatureK", summary.meanTemperatureK());
            m.put("problems", summary.problems());
            m.put("seconds", summary.seconds());
            m.put("stepsPerSecondTotal", summary.trajectories() * (double) summary.stepsEach() / summary.seconds());
        }
        m.put("loadAfter", load());
        return m;
    }

    /** The bench set (see the class comment), in memory. */
    static List<Frame> benchSet(Settings s) throws IOException {
        DataSource.Source source = DataSource.resolve("rmd17:ethanol", s.dataDir());
        List<Frame> base = new ArrayList<>(source.load().frames());
        base.addAll(source.loadTest().frames());
        List<Frame> out = new ArrayList<>(s.structures());
        for (int i = 0; i < s.structures(); i++) {
            Frame f = base.get(i % base.size());
            if (i < base.size()) {
                out.add(f);
                continue;
            }
            SplittableRandom rng = new SplittableRandom(i);
            double[] r = f.positions().clone();
            for (int k = 0; k < r.length; k++) r[k] += 0.01 * rng.nextGaussian();
            out.add(f.withPositions(r));
        }
        return out;
    }

    /** The 1-, 5- and 15-minute load averages. */
    static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
