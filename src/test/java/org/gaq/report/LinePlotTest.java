package org.gaq.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

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
