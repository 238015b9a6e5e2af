package org.gaq.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.gaq.data.DataSource;
import org.gaq.data.Frame;
import org.gaq.infer.Potential;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;

import static org.apache.spark.sql.functions.col;

/**
 * The evaluate job: structures → energy and forces per structure (errors against labels, a committee's
 * disagreement), written as Parquet under {@code out/structures}, and a summary ({@link EvaluationSummary}) in
 * {@code out/summary.json}.
 *
 * <p>Input: a Parquet file, directory or glob (partitioned by Spark; columns of {@link Structure#PARQUET_SCHEMA}), or
 * anything {@code gaq eval --data} reads — an extended-XYZ or rMD17 .npz file, {@code rmd17:<molecule>} (its test
 * file, as gaq eval) — read on the driver and cut into partitions of whole batches, so the batches are gaq eval's.
 */
public final class EvaluateJob {

    /**
     * @param committee further model files whose disagreement with {@code model} is measured (may be empty)
     * @param partitions partitions of driver-read input, or a repartitioning of Parquet input; ≤ 0: Spark's default
     * @param worst      how many of the worst structures the summary lists
     */
    public record Settings(Path model, List<Path> committee, String input, Path dataDir, Path out, int batchSize, int partitions,
                           int worst) implements Serializable {}

    private EvaluateJob() {}

    public static EvaluationSummary run(SparkSession spark, Settings settings) throws IOException {
        if (settings.batchSize() < 1) throw new IllegalArgumentException("--batch-size must be ≥ 1, got " + settings.batchSize());
        requireFreshOutput(settings.out());
        long t0 = System.nanoTime();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<ShippedModel> models = new ArrayList<>();
        models.add(ShippedModel.ship(sc, settings.model()));
        for (Path m : settings.committee()) models.add(ShippedModel.ship(sc, m));
        int batchSize = settings.batchSize();

        JavaRDD<Row> results;
        if (isParquet(settings.input())) {
            Dataset<Row> df = spark.read().parquet(settings.input())
                    .select(col("*"), col("_metadata.file_path").as("_gaq_file"), col("_metadata.row_index").as("_gaq_record"));
            if (settings.partitions() > 0) df = df.repartition(settings.partitions());
            results = df.javaRDD().mapPartitions(rows -> evaluate(models, batchSize, new ParquetStructures(rows)));
        } else {
            List<List<Structure>> chunks = driverChunks(settings, sc.defaultParallelism());
            results = sc.parallelize(chunks, Math.max(1, chunks.size()))
                    .mapPartitions(parts -> {
                        List<Structure> all = new ArrayList<>();
                        parts.forEachRemaining(all::addAll);
                        return evaluate(models, batchSize, all.iterator());
                    });
        }
        Path structures = settings.out().resolve("structures");
        spark.createDataFrame(results, StructureEvaluator.SCHEMA).write().parquet(structures.toString());
        double computeSeconds = (System.nanoTime() - t0) / 1e9;
        EvaluationSummary summary = EvaluationSummary.of(spark.read().parquet(structures.toString()), settings, models, computeSeconds,
                t0);
        summary.write(settings.out().resolve("summary.json"));
        return summary;
    }

    /** Result rows of one partition, computed batch by batch as the partition's structures arrive. */
    private static Iterator<Row> evaluate(List<ShippedModel> models, int batchSize, Iterator<Structure> structures) {
        List<Potential> potentials = models.stream().map(ShippedModel::potential).toList();
        StructureEvaluator evaluator = new StructureEvaluator(potentials, batchSize);
        return new Iterator<>() {
            private Iterator<Row> current = List.<Row>of().iterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && structures.hasNext()) {
                    List<Structure> batch = new ArrayList<>(batchSize);
                    while (batch.size() < batchSize && structures.hasNext()) batch.add(structures.next());
                    current = evaluator.evaluate(batch).iterator();
                }
                return current.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                return current.next();
            }
        };
    }

    /** Parquet rows (with the file path and row index columns) as checked structures. */
    private record ParquetStructures(Iterator<Row> rows) implements Iterator<Structure> {
        @Override
        public boolean hasNext() {
            return rows.hasNext();
        }

        @Override
        public Structure next() {
            Row row = rows.next();
            return Structure.fromParquetRow(row, row.getAs("_gaq_file").toString(), ((Number) row.getAs("_gaq_record")).longValue());
        }
    }

    /** Driver-read input cut into about {@code partitions} chunks of whole batches. */
    private static List<List<Structure>> driverChunks(Settings settings, int defaultParallelism) throws IOException {
        List<Structure> all = readOnDriver(settings.input(), settings.dataDir());
        int partitions = settings.partitions() > 0 ? settings.partitions() : 2 * defaultParallelism;
        int batches = (all.size() + settings.batchSize() - 1) / settings.batchSize();
        int batchesPerChunk = Math.max(1, (batches + partitions - 1) / partitions);
        int chunk = batchesPerChunk * settings.batchSize();
        List<List<Structure>> chunks = new ArrayList<>();
        for (int s = 0; s < all.size(); s += chunk) chunks.add(new ArrayList<>(all.subList(s, Math.min(all.size(), s + chunk))));
        return chunks;
    }

    /** The structures of an XYZ/npz file or rmd17:&lt;molecule&gt; (its test file, as gaq eval's default), read by gaq's readers. */
    public static List<Structure> readOnDriver(String input, Path dataDir) throws IOException {
        DataSource.Source source = DataSource.resolve(input, dataDir);
        var data = source.testFile() != null ? source.loadTest() : source.load();
        String file = (source.testFile() != null ? source.testFile() : source.file()).toString();
        List<Structure> out = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) {
            Frame f = data.frame(i);
            out.add(new Structure(file, i, null, f));
        }
        return out;
    }

    static boolean isParquet(String input) {
        String lower = input.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".parquet") || lower.contains("*")) return true;
        Path p = Path.of(input);
        return Files.isDirectory(p);
    }

    /** A run never writes into a folder that holds another run's results. */
    static void requireFreshOutput(Path out) throws IOException {
        if (Files.exists(out)) {
            try (var entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException("--out " + out + " already holds files (another run's results?): give a new folder");
                }
            }
        }
    }
}
