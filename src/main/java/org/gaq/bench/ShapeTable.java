package org.gaq.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The kernel benchmarks' table: one line per shape [rows×inner]·[inner×columns], one column per kernel,
 * each cell "median [p10–p90]" (or "–" where a kernel did not run that shape).
 */
final class ShapeTable {
    private ShapeTable() {}

    /** The statistics of {@code label} on the shape with {@code rows} and {@code columns}, if measured. */
    interface Cells {
        Optional<double[]> medianP10P90(String label, int rows, int columns);
    }

    static void print(PrintStream out, String title, List<String> labels, int cellWidth, int[] rowCounts, int inner,
                      int[] columnCounts, Cells cells) {
        String cell = "%-" + cellWidth + "s";
        out.printf(Locale.ROOT, "%-18s", title);
        labels.forEach(label -> out.printf(Locale.ROOT, cell, label));
        out.println();
        for (int columns : columnCounts) {
            for (int rows : rowCounts) {
                out.printf(Locale.ROOT, "%-18s", rows + "×" + inner + "·" + inner + "×" + columns);
                for (String label : labels) {
                    String value = cells.medianP10P90(label, rows, columns)
                            .map(s -> String.format(Locale.ROOT, "%.1f [%.1f–%.1f]", s[0], s[1], s[2]))
                            .orElse("–");
                    out.printf(Locale.ROOT, cell, value);
                }
                out.println();
            }
        }
    }
}
