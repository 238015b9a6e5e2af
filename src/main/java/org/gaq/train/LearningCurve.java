package org.gaq.train;

import org.gaq.plot.LinePlot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The validation errors of a run, epoch by epoch, and their plot (learning_curve.png). */
final class LearningCurve {
    private final boolean forces;
    private final List<double[]> rows = new ArrayList<>();     // {epoch, energy MAE, force MAE}

    private LearningCurve(boolean forces) {
        this.forces = forces;
    }

    /** The curve so far of the run whose log is {@code trainCsv} (empty for a new run). */
    static LearningCurve fromLog(Path trainCsv, boolean forces) throws IOException {
        LearningCurve curve = new LearningCurve(forces);
        if (!Files.exists(trainCsv)) return curve;
        List<String> lines = Files.readAllLines(trainCsv);
        if (lines.isEmpty()) return curve;
        List<String> header = List.of(lines.get(0).split(","));
        int epoch = header.indexOf("epoch"), energy = header.indexOf("val_energy_mae_meV"), force = header.indexOf("val_force_mae_meV_per_A");
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split(",");
            curve.add(Double.parseDouble(c[epoch]), Double.parseDouble(c[energy]), force >= 0 ? Double.parseDouble(c[force]) : Double.NaN);
        }
        return curve;
    }

    void add(double epoch, double energyMaeMeV, double forceMaeMeVPerA) {
        rows.add(new double[]{epoch, energyMaeMeV, forceMaeMeVPerA});
    }

    void plot(String title, Path file) throws IOException {
        int n = rows.size();
        double[] x = new double[n], e = new double[n], f = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rows.get(i)[0];
            e[i] = rows.get(i)[1];
            f[i] = rows.get(i)[2];
        }
        LinePlot plot = new LinePlot(title, "epoch", forces ? "MAE (meV, meV/Å)" : "energy MAE (meV)").logY(true).add("energy MAE (meV)", x, e);
        if (forces) plot.add("force MAE (meV/Å)", x, f);
        plot.save(file);
    }
}
