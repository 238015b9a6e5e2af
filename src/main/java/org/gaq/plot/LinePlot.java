package org.gaq.plot;

import org.gaq.util.AtomicFiles;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.Arrays;

/**
 * A PNG line chart of one or more named (x, y) series: learning curves, energy against time.
 *
 * <pre>{@code
 * new LinePlot("ethanol, W4A8", "epoch", "force MAE (meV/Å)")
 *         .logY(true)
 *         .add("train", epochs, trainMae)
 *         .add("validation", epochs, valMae)
 *         .save(Path.of("runs/ethanol/curve.png"));
 * }</pre>
 *
 * <p>Points whose x or y is not finite (NaN after a diverged step, say) are skipped rather than
 * failing the whole report; with a log y axis so are points with y &le; 0. Rendering is headless,
 * so it works on servers without a display.
 */
public final class LinePlot {

    private record Series(String name, double[] x, double[] y) {}

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private boolean logY;
    private int width = 900;
    private int height = 600;

    public LinePlot(String title, String xLabel, String yLabel) {
        this.title = Objects.requireNonNull(title, "title");
        this.xLabel = Objects.requireNonNull(xLabel, "xLabel");
        this.yLabel = Objects.requireNonNull(yLabel, "yLabel");
    }

    /** Logarithmic y axis (for losses and errors spanning decades); linear when the data spans less than a decade. */
    public LinePlot logY(boolean on) {
        this.logY = on;
        return this;
    }

    /** Image size in pixels (default 900 × 600). */
    public LinePlot size(int widthPx, int heightPx) {
        if (widthPx < 50 || heightPx < 50) {
            throw new IllegalArgumentException("plot size " + widthPx + "x" + heightPx + " is too small");
        }
        this.width = widthPx;
        this.height = heightPx;
        return this;
    }

    /** Adds a named series; x and y must have the same length. The arrays are copied. */
    public LinePlot add(String name, double[] x, double[] y) {
        Objects.requireNonNull(name, "name");
        if (x.length != y.length) {
            throw new IllegalArgumentException("series '" + name + "': " + x.length + " x values but " + y.length + " y values");
        }
        for (Series s : series) {
            if (s.name.equals(name)) {
                throw new IllegalArgumentException("series '" + name + "' added twice");
            }
        }
        series.add(new Series(name, x.clone(), y.clone()));
        return this;
    }

    /** Adds a series with x = 0, 1, 2, ... (e.g. one value per epoch). */
    public LinePlot add(String name, double[] y) {
        double[] x = new double[y.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        return add(name, x, y);
    }

    /** Renders the chart and writes it as PNG to {@code file} (parent directories are created). */
    public void save(Path file) throws IOException {
        AtomicFiles.write(file, toPng());     // an open image viewer never sees half a file
    }

    /** The chart as PNG bytes. */
    public byte[] toPng() throws IOException {
        // AWT decides headless-ness once, on first use; set it before any AWT class initialises.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        return BitmapEncoder.getBitmapBytes(buildChart(), BitmapEncoder.BitmapFormat.PNG);
    }


    XYChart buildChart() {
        if (series.isEmpty()) {
            throw new IllegalStateException("plot '" + title + "' has no series");
        }
        XYChart chart = new XYChartBuilder().width(width).height(height)
                .title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        Styler.LegendPosition legend = Styler.LegendPosition.InsideNE;
        chart.getStyler().setLegendPosition(legend);
        chart.getStyler().setLegendVisible(series.size() > 1);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(true);
        // XChart labels a log axis at powers of ten only: data within one decade would get an axis without numbers.
        boolean logAxis = logY && spansADecade();
        chart.getStyler().setYAxisLogarithmic(logAxis);
        chart.getStyler().setAntiAlias(true);
        double[] xRange = range(0), yRange = range(1);
        chart.getStyler().setXAxisTickLabelsFormattingFunction(TickLabels.linear(xRange[0], xRange[1]));
        chart.getStyler().setYAxisTickLabelsFormattingFunction(logAxis ? TickLabels::logarithmic : TickLabels.linear(yRange[0], yRange[1]));

        Set<String> empty = new LinkedHashSet<>();
        for (Series s : series) {
            double[][] kept = plottable(s);
            if (kept[0].length == 0) {
                empty.add(s.name);
                continue;
            }
            XYSeries xy = chart.addSeries(s.name, kept[0], kept[1]);
            // markers help read a short curve and clutter a long one
            if (kept[0].length > 40) {
                xy.setMarker(SeriesMarkers.NONE);
            }
        }
        if (empty.size() == series.size()) {
            throw new IllegalStateException("plot '" + title + "': no plottable points in " + empty
                    + (logY ? " (log y axis needs y > 0)" : ""));
        }
        return chart;
    }

    /** True if the plottable y values span a factor of ten or more. */
    private boolean spansADecade() {
        double[] y = range(1);
        return y[1] >= 10 * y[0];
    }

    /** [min, max] of the plottable x ({@code axis} 0) or y (1) values. */
    private double[] range(int axis) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double v : plottable(s)[axis]) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        return new double[]{lo, hi};
    }

    private double[][] plottable(Series s) {
        int n = 0;
        double[] x = new double[s.x.length];
        double[] y = new double[s.y.length];
        for (int i = 0; i < s.x.length; i++) {
            boolean ok = Double.isFinite(s.x[i]) && Double.isFinite(s.y[i]) && (!logY || s.y[i] > 0);
            if (ok) {
                x[n] = s.x[i];
                y[n] = s.y[i];
                n++;
            }
        }
        return new double[][] {Arrays.copyOf(x, n), Arrays.copyOf(y, n)};
    }
}
