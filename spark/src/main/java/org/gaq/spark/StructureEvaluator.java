package org.gaq.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.infer.Potential;

import java.util.ArrayList;
import java.util.List;

/**
 * Energies and forces of structures in batches, one result row ({@link #SCHEMA}) per structure, computed exactly as
 * {@code gaq eval} computes them ({@code Metrics.evaluateBatch}: the same batches through {@link Potential#compute},
 * float32 forces, the same error sums), so a structure's numbers do not depend on which tool evaluated it.
 *
 * <p>With labels: {@code energy_error_meV} = E − E_label, {@code force_mae_meV_per_A} = mean over the 3N components of
 * |F − F_label|, {@code force_rmse_meV_per_A} likewise. With a committee of K ≥ 2 models (the first is the one whose
 * energy and forces are reported): {@code energy_spread_meV} = max_k E_k − min_k E_k and
 * {@code force_disagreement_meV_per_A} = (1/N) Σ_i sqrt((1/K) Σ_k ‖F_ik − F̄_i‖²), the mean over atoms of the
 * committee's force standard deviation (F̄_i the committee mean).
 */
public final class StructureEvaluator {
    public static final StructType SCHEMA = new StructType()
            .add("source", DataTypes.StringType, false)
            .add("record", DataTypes.LongType, false)
            .add("id", DataTypes.StringType, true)
            .add("atoms", DataTypes.IntegerType, false)
            .add("energy_eV", DataTypes.DoubleType, false)
            .add("forces_eV_per_A", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
            .add("energy_label_eV", DataTypes.DoubleType, true)
            .add("energy_error_meV", DataTypes.DoubleType, true)
            .add("force_mae_meV_per_A", DataTypes.DoubleType, true)
            .add("force_rmse_meV_per_A", DataTypes.DoubleType, true)
            .add("committee_energies_eV", DataTypes.createArrayType(DataTypes.DoubleType, false), true)
            .add("energy_spread_meV", DataTypes.DoubleType, true)
            .add("force_disagreement_meV_per_A", DataTypes.DoubleType, true);

    private final List<Potential> models;
    private final int batchSize;

    /** @param models the model first, then the other members of the committee (may be just one) */
    public StructureEvaluator(List<Potential> models, int batchSize) {
        if (models.isEmpty()) throw new IllegalArgumentException("no model");
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be ≥ 1, got " + batchSize);
        this.models = models;
        this.batchSize = batchSize;
    }

    /** Result rows of {@code structures}, in their order, evaluated in consecutive batches of the batch size. */
    public List<Row> evaluate(List<Structure> structures) {
        List<Row> rows = new ArrayList<>(structures.size());
        for (int s = 0; s < structures.size(); s += batchSize) {
            rows.addAll(evaluateBatch(structures.subList(s, Math.min(structures.size(), s + batchSize))));
        }
        return rows;
    }

    private List<Row> evaluateBatch(List<Structure> batch) {
        List<Frame> frames = new ArrayList<>(batch.size());
        for (Structure s : batch) frames.add(s.frame());
        List<Potential.Prediction> predictions = new ArrayList<>(models.size());
        GraphBatch g = null;
        double cutoff = Double.NaN;
        for (Potential model : models) {
            if (g == null || cutoff != model.config().cutoff()) {     // models with one cutoff share the neighbour list
                cutoff = model.config().cutoff();
                g = NeighborList.batch(frames, cutoff);
            }
            predictions.add(model.compute(g, true));
        }
        float[] f = predictions.get(0).forces();
        List<Row> rows = new ArrayList<>(batch.size());
        int component = 0;
        for (int m = 0; m < batch.size(); m++) {
            Structure s = batch.get(m);
            Frame frame = s.frame();
            int n = 3 * frame.numAtoms();
            double energy = predictions.get(0).energies()[m];
            Double label = null, energyError = null, forceMae = null, forceRmse = null;
            if (frame.hasEnergy()) {
                label = frame.energy();
                energyError = 1000 * (energy - frame.energy());
            }
            if (frame.hasForces()) {
                double sum = 0, squares = 0;
                for (int i = 0; i < n; i++) {
                    double d = f[component + i] - frame.forces()[i];
                    sum += Math.abs(d);
                    squares += d * d;
                }
                forceMae = 1000 * sum / n;
                forceRmse = 1000 * Math.sqrt(squares / n);
            }
            Double[] committee = null;
            Double spread = null, disagreement = null;
            if (models.size() > 1) {
                committee = new Double[models.size()];
                double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < models.size(); k++) {
                    double e = predictions.get(k).energies()[m];
                    committee[k] = e;
                    lo = Math.min(lo, e);
                    hi = Math.max(hi, e);
                }
                spread = 1000 * (hi - lo);
                disagreement = 1000 * forceDisagreement(predictions, component, frame.numAtoms());
            }
            rows.add(RowValues.row(s.source(), s.record(), s.id(), frame.numAtoms(), energy, RowValues.doubles(f, component, n),
                    label, energyError, forceMae, forceRmse, committee, spread, disagreement));
            component += n;
        }
        return rows;
    }

    /** (1/N) Σ_i sqrt((1/K) Σ_k ‖F_ik − F̄_i‖²) in eV/Å, for the atoms starting at force component {@code first}. */
    static double forceDisagreement(List<Potential.Prediction> predictions, int first, int atoms) {
        int k = predictions.size();
        double total = 0;
        for (int i = 0; i < atoms; i++) {
            double variance = 0;
            for (int a = 0; a < 3; a++) {
                int c = first + 3 * i + a;
                double mean = 0;
                for (Potential.Prediction p : predictions) mean += p.forces()[c];
                mean /= k;
                for (Potential.Prediction p : predictions) {
                    double d = p.forces()[c] - mean;
                    variance += d * d;
                }
            }
            total += Math.sqrt(variance / k);
        }
        return total / atoms;
    }
}
