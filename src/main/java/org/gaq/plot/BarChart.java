package org.gaq.plot;

import org.gaq.util.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

import java.awt.Color;
import java.awt.Font;
import java.awt.font.FontRenderContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A PNG grouped bar chart: one bar per category and series, with an optional second y axis on the
 * right for series of another unit (the paper's Fig. 4: energy MAE on the left, force MAE on the right)
 * and the value printed above each bar.
 *
 * <pre>{@code
 * new BarChart("rMD17 ethanol", List.of("FP32", "GAQ W8A8 (0.7×)"))
 *         .add("energy MAE (meV)", new double[]{1.2, 6.1}, false)
 *         .add("force MAE (meV/Å)", new double[]{7.2, 10.0}, true)
 *         .save(Path.of("docs/figures/accuracy-efficiency.png"));
 * }</pre>
 */
public final class BarChart {
    private record Series(String name, double[] values, boolean rightAxis) {}

    private final String title;
    private final List<String> categories;
    private final List<Series> series = new ArrayList<>();
    private String leftLabel = "", rightLabel = "";

    public BarChart(String title, List<String> categories) {
        this.title = Objects.requireNonNull(title, "title");
        if (categories.isEmpty()) throw new IllegalArgumentException("a bar chart needs at least one category");
        this.categories = List.copyOf(categories);
    }

    public BarChart axisLabels(String left, String right) {
        this.leftLabel = left;
        this.rightLabel = right;
        return this;
    }

    /** A series with one value per category; {@code rightAxis} puts it on the second y axis. */
    public BarChart add(String name, double[] values, boolean rightAxis) {
        if (values.length != categories.size()) {
            throw new IllegalArgumentException("series '" + name + "' has " + values.length + " values for " + categories.size() + " categories");
        }
        series.add(new Series(name, values.clone(), rightAxis));
        return this;
    }

    public void save(Path file) throws IOException {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        AtomicFiles.write(file, BitmapEncoder.getBitmapBytes(buildChart(), BitmapEncoder.BitmapFormat.PNG));
    }

    static final int WIDTH = 1000, LABEL_ROTATION = 25;

    /**
     * True if every category label fits under its group of bars unrotated (XChart neither wraps nor shortens
     * them: five labels like "W4A8 recommended (int) (1.00×)" ran into each other). Measured with the axis font;
     * ~170 px of the width go to the two y axes and margins.
     */
    boolean labelsFitSideBySide() {
        Font font = new CategoryChartBuilder().build().getStyler().getAxisTickLabelsFont();
        FontRenderContext frc = new FontRenderContext(null, true, true);
        double slot = (WIDTH - 170.0) / categories.size();
        for (String c : categories) {
            if (font.getStringBounds(c, frc).getWidth() > 0.9 * slot) return false;
        }
        return true;
    }

    CategoryChart buildChart() {
        if (series.isEmpty()) throw new IllegalStateException("bar chart '" + title + "' has no series");
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(560).title(title)
                .yAxisTitle(leftLabel).build();
        Styler.LegendPosition legend = Styler.LegendPosition.OutsideS;
        chart.getStyler().setLegendPosition(legend);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("#0.0#");   // axes and bar values: 0.5, not XChart's .5
        chart.getStyler().setOverlapped(false);
        chart.getStyler().setAntiAlias(true);
        if (!labelsFitSideBySide()) chart.getStyler().setXAxisLabelRotation(LABEL_ROTATION);
        boolean twoAxes = series.stream().anyMatch(Series::rightAxis);
        if (twoAxes) {
            chart.setYAxisGroupTitle(0, leftLabel);
            chart.setYAxisGroupTitle(1, rightLabel);
            chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        }
        for (Series s : series) {
            List<Double> ys = Arrays.stream(s.values).map(v -> Double.isFinite(v) ? v : 0).boxed().toList();
            var cs = chart.addSeries(s.name, categories, ys);
            if (s.rightAxis) cs.setYAxisGroup(1);
        }
        return chart;
    }
}
