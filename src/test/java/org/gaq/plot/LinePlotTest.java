package org.gaq.plot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LinePlotTest {

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    @TempDir
    Path dir;

    @Test
    void writesAValidPngHeadless() throws IOException {
        double[] epoch = new double[100];
        double[] train = new double[100];
        double[] val = new double[100];
        for (int i = 0; i < 100; i++) {
            epoch[i] = i;
            train[i] = 100 * Math.exp(-i / 20.0) + 1;
            val[i] = 120 * Math.exp(-i / 25.0) + 2;
        }
        val[50] = Double.NaN;   // a diverged evaluation must not break the plot
        Path png = dir.resolve("sub/dir/curve.png");
        new LinePlot("ethanol", "epoch", "force MAE (meV/Å)").logY(true)
                .add("train", epoch, train).add("validation", epoch, val)
                .size(640, 480).save(png);

        assertEquals("true", System.getProperty("java.awt.headless"));
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(PNG_MAGIC, Arrays.copyOf(bytes, 8));
        assertTrue(bytes.length > 5_000, "suspiciously small PNG: " + bytes.length + " bytes");
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(480, img.getHeight());
        assertTrue(distinctColours(img) > 10, "image looks blank");
        try (var files = Files.list(png.getParent())) {
            assertEquals(1, files.count(), "temporary file left behind");
        }
    }

    @Test
    void linearAxisAndImplicitX() throws IOException {
        Path png = dir.resolve("energy.png");
        new LinePlot("NVE", "time (fs)", "E (eV)").add("total", new double[] {-1, -1.001, -0.999, -1.0}).save(png);
        assertTrue(Files.size(png) > 1_000);
    }

    @Test
    void tickLabelsHaveALeadingZeroAndNoRoundingNoise() {
        var time = TickLabels.linear(0, 0.2);
        assertEquals("0.09", time.apply(0.09));
        assertEquals("0.15", time.apply(0.15000000000000002));
        assertEquals("-0.05", time.apply(-0.05));
        assertEquals("0", time.apply(-0.0));
        assertEquals("1,000", TickLabels.linear(0, 1000).apply(1000.0));
        assertEquals("4.07", TickLabels.linear(0.58, 46).apply(4.073100001), "a thousandth of a 46-wide axis' decade");
        assertEquals("0.001", TickLabels.logarithmic(0.001));
        assertEquals("100", TickLabels.logarithmic(100.0));
    }

    @Test
    void theChartsAxesUseThoseLabels() {
        var chart = new LinePlot("NVE", "time (ps)", "E (meV/atom)").add("total", new double[] {0, 0.1, 0.2}, new double[] {0, 0.05, -0.4})
                .buildChart();
        assertEquals("0.09", chart.getStyler().getXAxisTickLabelsFormattingFunction().apply(0.09));
        assertEquals("-0.05", chart.getStyler().getYAxisTickLabelsFormattingFunction().apply(-0.05));
    }

    @Test
    void aLogAxisWithinOneDecadeIsDrawnLinear() {
        // XChart labels a log axis at powers of ten only: 420..650 meV would get no number at all.
        var narrow = new LinePlot("t", "epoch", "MAE").logY(true).add("E", new double[] {1, 2, 3}, new double[] {650, 500, 420}).buildChart();
        assertFalse(narrow.getStyler().isYAxisLogarithmic());
        var wide = new LinePlot("t", "epoch", "MAE").logY(true).add("E", new double[] {1, 2, 3}, new double[] {650, 50, 4.2}).buildChart();
        assertTrue(wide.getStyler().isYAxisLogarithmic());
    }

    @Test
    void barChartLabelsAreRotatedOnlyWhenTheyDoNotFitSideBySide() {
        var few = new BarChart("t", List.of("FP32 (1.00×)", "W8A8 (0.91×)"));
        assertTrue(few.labelsFitSideBySide());
        few.add("E", new double[] {1, 2}, false);
        assertEquals(0, few.buildChart().getStyler().getXAxisLabelRotation());
        var many = new BarChart("t", List.of("FP32 (1.00×)", "GAQ W8A8 (int) (0.91×)", "GAQ W4A8 (int) (0.88×)",
                "W8A8 recommended (int) (0.91×)", "W4A8 recommended (int) (1.00×)"));
        assertFalse(many.labelsFitSideBySide(), "five labels of ~25 characters overlap in 1000 px");
        many.add("E", new double[] {1, 2, 3, 4, 5}, false);
        assertEquals(BarChart.LABEL_ROTATION, many.buildChart().getStyler().getXAxisLabelRotation());
    }

    @Test
    void rejectsBadInput() {
        LinePlot p = new LinePlot("t", "x", "y");
        var e = assertThrows(IllegalArgumentException.class, () -> p.add("a", new double[3], new double[2]));
        assertTrue(e.getMessage().contains("'a'"));
        assertThrows(IllegalStateException.class, () -> p.save(dir.resolve("none.png")));
        LinePlot onlyNonPositive = new LinePlot("t", "x", "y").logY(true).add("zero", new double[] {0, 1}, new double[] {0, -1});
        var e2 = assertThrows(IllegalStateException.class, onlyNonPositive::toPng);
        assertTrue(e2.getMessage().contains("log"), e2.getMessage());
    }

    private static int distinctColours(BufferedImage img) {
        var colours = new java.util.HashSet<Integer>();
        for (int y = 0; y < img.getHeight(); y += 3) {
            for (int x = 0; x < img.getWidth(); x += 3) {
                colours.add(img.getRGB(x, y));
            }
        }
        return colours.size();
    }
}
