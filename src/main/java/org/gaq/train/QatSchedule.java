package org.gaq.train;

import org.gaq.data.GraphBatch;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.QuantizationSites;
import org.gaq.quant.ProtectiveMasking;
import org.gaq.quant.QuantizationPlan;
import org.gaq.tensor.Tensor;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Quantization-aware training's part of a training run (the paper's branch-separated QAT): the vector branch is
 * quantized only after the options' warm-up epochs, and those epochs are no candidates for the best model; learned
 * quantizer steps and weight-scale factors train with the weights (in log space, at their rate factors); quantized
 * weights may be frozen from an epoch on, or element by element when their codes oscillate; Degree-Quant's
 * protective masking acts around each batch.
 */
final class QatSchedule implements TrainingHook {
    private final QuantizationPlan plan;
    private final EquivariantTransformer model;
    private final Trainer.Options options;
    private final List<Tensor> steps, weightScales;
    private Adam adam;
    private int freezeWeightsFrom = Integer.MAX_VALUE;
    private OscillationFreezer oscillationFreezer;     // null: no iterative freezing

    QatSchedule(QuantizationPlan plan, EquivariantTransformer model, Trainer.Options options) {
        this.plan = plan;
        this.model = model;
        this.options = options;
        this.steps = options.qat().stepRateFactor() > 0 ? plan.parameters() : List.of();
        this.weightScales = options.qat().weightScaleRateFactor() > 0 ? plan.learnWeightScales(model.parameters()) : List.of();
    }

    @Override
    public List<Tensor> extraTrainedTensors() {
        List<Tensor> t = new ArrayList<>(steps);
        t.addAll(weightScales);
        return t;
    }

    @Override
    public void configure(Adam adam, int first) {
        this.adam = adam;
        // Learned quantizer steps and weight-scale factors move in log space: a fraction of themselves per update (see Adam).
        for (int p = 0; p < steps.size(); p++) adam.setLogScale(first + p, options.qat().stepRateFactor());
        for (int p = 0; p < weightScales.size(); p++) adam.setLogScale(first + steps.size() + p, options.qat().weightScaleRateFactor());
    }

    /** See {@link Trainer#freezeQuantizedWeightsFrom}. */
    void freezeWeightsFrom(int epoch) {
        if (epoch < 0) throw new IllegalArgumentException("the epoch to freeze the weights from must be ≥ 0, got " + epoch);
        this.freezeWeightsFrom = epoch;
    }

    /** See {@link Trainer#freezeOscillatingWeights}. */
    void freezeOscillatingWeights(float threshold) {
        this.oscillationFreezer = new OscillationFreezer(plan, model.parameters(), adam, threshold);
    }

    @Override
    public void beforeEpoch(int epoch, PrintStream log) {
        plan.setVectorBranch(epoch >= options.qat().vectorWarmupEpochs());
        if (epoch == freezeWeightsFrom) log.printf("epoch %d on: quantized weights frozen%n", epoch + 1);
        List<String> names = new ArrayList<>(model.parameters().keySet());
        for (int p = 0; p < names.size(); p++) {
            if (QuantizationSites.isQuantizedWeight(names.get(p))) adam.setFrozen(p, epoch >= freezeWeightsFrom);
        }
    }

    @Override
    public <T> T duringBatch(GraphBatch g, SplittableRandom random, Supplier<T> work) {
        ProtectiveMasking masking = plan.protectiveMasking();
        if (masking == null) return work.get();
        masking.begin(g, random);
        try {
            return work.get();
        } finally {
            masking.end();
        }
    }

    @Override
    public void afterStep(int epoch) {
        if (oscillationFreezer != null && plan.weightBranch() && epoch < freezeWeightsFrom) oscillationFreezer.afterStep();
    }

    @Override
    public void beforeValidation() {
        // Learned weight scales go into the weights before the model is validated and saved (same function).
        if (!weightScales.isEmpty()) plan.bakeWeightScales(model.parameters());
    }

    @Override
    public boolean isCandidate(int epoch) {
        // During the warm-up the vector branch is not quantized yet: such a model is not a candidate.
        return epoch >= options.qat().vectorWarmupEpochs();
    }

    @Override
    public String epochNote() {
        return oscillationFreezer == null ? ""
                : String.format("  oscillating weights frozen: %.2f%%", 100.0 * oscillationFreezer.frozenCount() / oscillationFreezer.total());
    }
}
