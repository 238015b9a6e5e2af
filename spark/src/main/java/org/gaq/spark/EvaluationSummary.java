package org.gaq.spark;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.gaq.md.RunFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.mean;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * What an evaluation found, over all structures: counts, the errors against the labels as {@code gaq eval} defines
 * them (energy MAE/RMSE over structures, force MAE/RMSE over every Cartesian component), the committee's mean and
 * largest disagreement, and the worst structures by force error and by disagreement. Null where the input had no
 * labels or there was no committee.
 */
public record EvaluationSummary(String model, List<String> committee, String input, long structures, long atoms,
                                long labelledStructures, Double energyMaeMeV, Double energyRmseMeV, Double forceMaeMeVPerA,
                                Double forceRmseMeVPerA, Double meanForceDisagreementMeVPerA, Double maxForceDisagreementMeVPerA,
                                List<Worst> worstByForceError, List<Worst> worstByDisagreement, double computeSeconds,
                                double seconds, double structuresPerSecond, String output) {

    /** One of the worst structures: where it is and its value (meV/Å). */
    public record Worst(String source, long record, String id, double value) {}

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    /**
     * @param computeSeconds from the start of the job to the per-structure Parquet written
     * @param startNanos     the job's start: {@code seconds} counts to the end of this summary
     */
    static EvaluationSummary of(Dataset<Row> results, EvaluateJob.Settings settings, List<ShippedModel> models, double computeSeconds,
                                long startNanos) {
        Column components = col("atoms").multiply(3);
        Column hasForces = col("force_mae_meV_per_A").isNotNull();
        Row a = results.agg(count(lit(1)), sum("atoms"), count("energy_error_meV"), sum(abs(col("energy_error_meV"))),
                sum(col("energy_error_meV").multiply(col("energy_error_meV"))),
                sum(when(hasForces, components)), sum(col("force_mae_meV_per_A").multiply(components)),
                sum(col("force_rmse_meV_per_A").multiply(col("force_rmse_meV_per_A")).multiply(components)),
                mean("force_disagreement_meV_per_A"), max("force_disagreement_meV_per_A")).first();
        long n = a.getLong(0), labelled = a.getLong(2);
        long forceComponents = a.isNullAt(5) ? 0 : a.getLong(5);
        Double eMae = labelled > 0 ? a.getDouble(3) / labelled : null;
        Double eRmse = labelled > 0 ? Math.sqrt(a.getDouble(4) / labelled) : null;
        Double fMae = forceComponents > 0 ? a.getDouble(6) / forceComponents : null;
        Double fRmse = forceComponents > 0 ? Math.sqrt(a.getDouble(7) / forceComponents) : null;
        List<String> committee = models.subList(1, models.size()).stream().map(ShippedModel::name).toList();
        return new EvaluationSummary(models.getFirst().name(), committee, settings.input(), n, a.isNullAt(1) ? 0 : a.getLong(1), labelled,
                eMae, eRmse, fMae, fRmse, a.isNullAt(8) ? null : a.getDouble(8), a.isNullAt(9) ? null : a.getDouble(9),
                worst(results, "force_mae_meV_per_A", settings.worst()), worst(results, "force_disagreement_meV_per_A", settings.worst()),
                computeSeconds, seconds(startNanos), n / Math.max(seconds(startNanos), 1e-9), settings.out().toString());
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static List<Worst> worst(Dataset<Row> results, String column, int k) {
        List<Worst> out = new ArrayList<>();
        if (k <= 0) return out;
        for (Row r : results.where(col(column).isNotNull()).orderBy(desc(column), col("source"), col("record"))
                .select("source", "record", "id", column).limit(k).collectAsList()) {
            out.add(new Worst(r.getString(0), r.getLong(1), r.isNullAt(2) ? null : r.getString(2), r.getDouble(3)));
        }
        return out;
    }

    void write(Path file) throws IOException {
        RunFiles.writeJson(file, this);     // atomic (temp file + rename)
    }

    public String toJson() {
        return GSON.toJson(this) + "\n";
    }
}
