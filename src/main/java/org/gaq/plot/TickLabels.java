package org.gaq.plot;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Locale;
import java.util.function.Function;

/**
 * Axis tick labels as a reader writes numbers: 0.09 (XChart's own pattern, "#,###.##", prints ".09"), 0.15 for
 * the tick 0.15000000000000002, 1,000; no trailing zeros.
 */
final class TickLabels {
    private TickLabels() {}

    /**
     * Labels of a linear axis over [lo, hi]: to a thousandth of the range's decade (a 46 meV/Å axis gets 4.07, a
     * 0.6 meV axis 0.155), which XChart's ticks, a few per decade, never need more than.
     */
    static Function<Double, String> linear(double lo, double hi) {
        double range = hi - lo;
        int decimals = range > 0 && Double.isFinite(range) ? Math.max(0, 3 - (int) Math.floor(Math.log10(range))) : 3;
        return v -> Double.isFinite(v) ? plain(BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_UP)) : String.valueOf(v);
    }

    /** Labels of a logarithmic axis (its ticks are powers of ten): ten significant digits. */
    static String logarithmic(Double v) {
        return Double.isFinite(v) ? plain(new BigDecimal(v).round(new MathContext(10))) : String.valueOf(v);
    }

    private static String plain(BigDecimal d) {
        if (d.signum() == 0) return "0";   // also −0.0
        d = d.stripTrailingZeros();
        DecimalFormat f = new DecimalFormat("#,##0", DecimalFormatSymbols.getInstance(Locale.ROOT));
        f.setMaximumFractionDigits(Math.max(0, d.scale()));
        return f.format(d);
    }
}
