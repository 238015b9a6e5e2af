package org.gaq.util;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.Console;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a long loop: a live bar on a terminal, a few plain lines in logs and CI.
 *
 * <pre>{@code
 * try (Progress p = Progress.start("train", steps)) {
 *     for (...) { ...; p.step(); p.setExtra("loss 0.12 val 3.4"); }
 * }
 * }</pre>
 *
 * <p><b>Terminal</b> (System.console() is an interactive terminal and env {@code CI} is unset):
 * a me.tongfei progress bar on stderr. <b>Otherwise</b> (output redirected to a file, CI, tests),
 * plain lines on stderr, so logs stay short: one when the loop starts, one each time another 10%
 * is done, a heartbeat if {@value #HEARTBEAT_SECONDS} s pass without a line (slow steps), and a
 * final one at {@link #close()}. With an unknown total ({@code total <= 0}) only the heartbeat
 * and the final line appear. Env {@code GAQ_PROGRESS=plain|bar} overrides the detection; {@code GAQ_PROGRESS=off} prints
 * nothing (many loops at once, e.g. the trajectories of {@code gaq spark md-ensemble}, which reports per task instead).
 *
 * <p>Thread-safe: several worker threads may call {@link #step()} on the same instance.
 */
public final class Progress implements AutoCloseable {

    static final int HEARTBEAT_SECONDS = 30;

    private final String task;
    private final long total;
    private final ProgressBar bar;              // non-null in terminal mode
    private final PrintStream out;              // plain mode
    private final LongSupplier nanoClock;
    private final long heartbeatNanos;
    private final long startNanos;

    private long current;
    private String extra = "";
    private int lastDecile;                     // plain mode: last 10% step printed
    private long lastLineNanos;
    private boolean closed;

    /** Starts reporting progress of {@code task} over {@code total} steps (≤ 0 if unknown). */
    public static Progress start(String task, long total) {
        if ("off".equalsIgnoreCase(System.getenv("GAQ_PROGRESS"))) {
            return new Progress(task, total, new PrintStream(OutputStream.nullOutputStream()), System::nanoTime, Duration.ofSeconds(HEARTBEAT_SECONDS));
        }
        if (isInteractive()) {
            return new Progress(task, total, newBar(task, total));
        }
        return new Progress(task, total, System.err, System::nanoTime, Duration.ofSeconds(HEARTBEAT_SECONDS));
    }

    /** True if progress should be drawn as a live bar (see the class comment). */
    public static boolean isInteractive() {
        String forced = System.getenv("GAQ_PROGRESS");
        if ("plain".equalsIgnoreCase(forced)) {
            return false;
        }
        if ("bar".equalsIgnoreCase(forced)) {
            return true;
        }
        String ci = System.getenv("CI");
        if (ci != null && !ci.isEmpty() && !ci.equalsIgnoreCase("false")) {
            return false;
        }
        // Since JDK 22 System.console() may exist without a terminal; isTerminal() tells them apart.
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    private Progress(String task, long total, ProgressBar bar) {
        this.task = task;
        this.total = total;
        this.bar = bar;
        this.out = null;
        this.nanoClock = System::nanoTime;
        this.heartbeatNanos = 0;
        this.startNanos = nanoClock.getAsLong();
    }

    /** Plain-line mode with an injectable stream and clock, for tests. */
    Progress(String task, long total, PrintStream out, LongSupplier nanoClock, Duration heartbeat) {
        this.task = task;
        this.total = total;
        this.bar = null;
        this.out = out;
        this.nanoClock = nanoClock;
        this.heartbeatNanos = heartbeat.toNanos();
        this.startNanos = nanoClock.getAsLong();
        this.lastLineNanos = startNanos;
        out.println(total > 0 ? task + ": started, " + total + " steps" : task + ": started");
        out.flush();
    }

    private static ProgressBar newBar(String task, long total) {
        return new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total > 0 ? total : -1)   // -1: indefinite
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setUpdateIntervalMillis(250)
                .setMaxRenderedLength(120)
                .showSpeed()
                .build();
    }

    public void step() {
        stepBy(1);
    }

    public synchronized void stepBy(long n) {
        stepTo(current + n);
    }

    /** Sets the number of completed steps (e.g. when resuming a run at step n). */
    public synchronized void stepTo(long n) {
        current = n;
        if (bar != null) {
            bar.stepTo(n);
        } else if (!closed) {
            maybePrint();
        }
    }

    /** A short status shown after the bar, e.g. the current loss; replaces the previous one. */
    public synchronized void setExtra(String message) {
        extra = message == null ? "" : message;
        if (bar != null) {
            bar.setExtraMessage(extra.isEmpty() ? "" : " " + extra);   // the bar glues it to the speed otherwise
        }
    }

    public synchronized long current() {
        return current;
    }

    public long total() {
        return total;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (bar != null) {
            bar.close();
        } else {
            out.println(line("done"));
            out.flush();
        }
    }

    private void maybePrint() {
        long now = nanoClock.getAsLong();
        int decile = total > 0 ? (int) Math.min(10, current * 10 / total) : 0;
        boolean newDecile = decile > lastDecile;
        boolean heartbeat = now - lastLineNanos >= heartbeatNanos;
        if (!newDecile && !heartbeat) {
            return;
        }
        if (newDecile) {
            lastDecile = decile;
        }
        lastLineNanos = now;
        out.println(line(null));
        out.flush();
    }

    /** "train: 40% (400/1000), 12.3 s, ETA 18.5 s | loss 0.12" */
    String line(String state) {
        double elapsed = (nanoClock.getAsLong() - startNanos) / 1e9;
        StringBuilder sb = new StringBuilder(task).append(": ");
        if (state != null) {
            sb.append(state).append(", ");
        }
        if (total > 0) {
            sb.append(String.format(Locale.ROOT, "%d%% (%d/%d), %s", current * 100 / total, current, total, seconds(elapsed)));
            if (state == null && current > 0 && current < total) {
                sb.append(", ETA ").append(seconds(elapsed * (total - current) / current));
            }
        } else {
            sb.append(current).append(" steps, ").append(seconds(elapsed));
        }
        if (!extra.isEmpty()) {
            sb.append(" | ").append(extra);
        }
        return sb.toString();
    }

    private static String seconds(double s) {
        if (s < 100) {
            return String.format(Locale.ROOT, "%.1f s", s);
        }
        long t = Math.round(s);
        return t < 3600 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60)
                : String.format(Locale.ROOT, "%dh%02dm", t / 3600, (t % 3600) / 60);
    }
}
