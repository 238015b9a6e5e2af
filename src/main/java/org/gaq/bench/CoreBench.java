package org.gaq.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

import org.gaq.tensor.kernels.Matmul;
import org.gaq.tensor.kernels.Parallel;
import org.gaq.tensor.kernels.PlainMatmul;
import org.gaq.tensor.kernels.SimdMatmul;

/**
 * Speed of the FP32 matmul kernels on the model's shapes [m×64]·[64×n], n = 64 and 192: the SIMD kernel,
 * the plain-Java kernel and a naive i-j-p triple loop side by side, one thread, in GFLOP/s (2·m·k·n / time).
 * Optionally the multithreaded {@link Matmul} facade at m = 4096.
 *
 * <p>Single-thread figures time the benchmark thread's CPU time, so other processes sharing the machine's
 * cores don't count against the kernel (they still share its caches); the multithreaded figure has to
 * use wall-clock time.
 */
public final class CoreBench {

    static final int[] ROWS = {9, 64, 441, 4096};
    static final int INNER = 64;
    static final int[] COLUMNS = {64, 192};
    static final int THREADED_ROWS = 4096;
    /** One sample repeats the kernel for about this long, so the clock's resolution doesn't matter. */
    private static final double SAMPLE_SECONDS = 0.01;
    private static final ThreadMXBean THREAD_CLOCK = ManagementFactory.getThreadMXBean();

    /** C[m×n] = A[m×k]·B[k×n]. */
    @FunctionalInterface
    interface Kernel {
        void run(float[] a, float[] b, float[] c, int m, int k, int n);
    }

    /** GFLOP/s of one kernel on one shape: median and 10th–90th percentiles of the samples. */
    public record Result(String kernel, int threads, int m, int k, int n, int samples,
                         double median, double p10, double p90) {
    }

    private final double warmupSeconds;
    private final double seconds;
    private final int threads;

    /**
     * @param warmupSeconds untimed running before each measurement (the JIT needs ≥ 2 s for Vector API code)
     * @param seconds       timed running per measurement
     * @param threads       if above 1, also time the {@link Matmul} facade with this many threads at m = 4096
     */
    public CoreBench(double warmupSeconds, double seconds, int threads) {
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
        this.threads = threads;
    }

    /** Runs every measurement, printing a line per measurement to {@code progress}. */
    public List<Result> run(PrintStream progress) {
        List<Result> results = new ArrayList<>();
        for (int n : COLUMNS) {
            for (int m : ROWS) {
                if (Matmul.simdSupported()) {
                    results.add(measure("simd", 1, SimdMatmul::matmul, m, n, progress));
                }
                results.add(measure("plain", 1, PlainMatmul::matmul, m, n, progress));
                results.add(measure("naive", 1, CoreBench::naive, m, n, progress));
            }
            if (threads > 1) {
                int before = Parallel.threads();
                Parallel.setThreads(threads);
                try {
                    results.add(measure(Matmul.backend(), threads, Matmul::matmul, THREADED_ROWS, n, progress));
                } finally {
                    Parallel.setThreads(before);
                }
            }
        }
        return results;
    }

    /** The textbook loop order i-j-p: the inner loop walks down a column of B. The baseline. */
    static void naive(float[] a, float[] b, float[] c, int m, int k, int n) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += a[i * k + p] * b[p * n + j];
                }
                c[i * n + j] = sum;
            }
        }
    }

    private Result measure(String name, int threadCount, Kernel kernel, int m, int n, PrintStream progress) {
        int k = INNER;
        Random random = new Random(42);
        float[] a = randomArray(random, m * k);
        float[] b = randomArray(random, k * n);
        float[] c = new float[m * n];

        LongSupplier clock = threadCount == 1 && THREAD_CLOCK.isCurrentThreadCpuTimeSupported()
                ? THREAD_CLOCK::getCurrentThreadCpuTime
                : System::nanoTime;

        long warmupEnd = clock.getAsLong() + (long) (warmupSeconds * 1e9);
        long warmupStart = clock.getAsLong();
        long calls = 0;
        do {
            kernel.run(a, b, c, m, k, n);
            calls++;
        } while (clock.getAsLong() < warmupEnd);
        double secondsPerCall = (clock.getAsLong() - warmupStart) / 1e9 / calls;
        int repetitions = (int) Math.max(1, SAMPLE_SECONDS / secondsPerCall);

        double flopsPerSample = 2.0 * m * k * n * repetitions;
        List<Double> gflops = new ArrayList<>();
        long end = clock.getAsLong() + (long) (seconds * 1e9);
        do {
            long start = clock.getAsLong();
            for (int r = 0; r < repetitions; r++) {
                kernel.run(a, b, c, m, k, n);
            }
            gflops.add(flopsPerSample / (clock.getAsLong() - start));
        } while (clock.getAsLong() < end);

        double[] sorted = gflops.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Result result = new Result(name, threadCount, m, k, n, sorted.length,
                percentile(sorted, 0.5), percentile(sorted, 0.1), percentile(sorted, 0.9));
        progress.printf(Locale.ROOT, "  %-18s %5d×%d·%d×%-4d %8.2f GFLOP/s%n",
                label(result), m, k, k, n, result.median());
        return result;
    }

    private static float[] randomArray(Random random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return values;
    }

    private static double percentile(double[] sorted, double fraction) {
        return sorted[(int) Math.round(fraction * (sorted.length - 1))];
    }

    private static String label(Result r) {
        return r.threads() == 1 ? r.kernel() : r.kernel() + " ×" + r.threads() + " threads";
    }

    /** A table: one line per shape, one column per kernel, "median [p10–p90]" GFLOP/s. */
    public static void printTable(List<Result> results, PrintStream out) {
        List<String> kernels = results.stream().map(CoreBench::label).distinct().toList();
        // CoreBench's m is the row count and n the column count of the product.
        ShapeTable.print(out, "shape A·B", kernels, 22, ROWS, INNER, COLUMNS, (kernel, m, n) -> results.stream()
                .filter(r -> label(r).equals(kernel) && r.m() == m && r.n() == n)
                .findFirst()
                .map(r -> new double[]{r.median(), r.p10(), r.p90()}));
    }

    public static void writeCsv(List<Result> results, Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("kernel,threads,m,k,n,samples,gflops_median,gflops_p10,gflops_p90");
        for (Result r : results) {
            lines.add(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f", r.kernel(), r.threads(),
                    r.m(), r.k(), r.n(), r.samples(), r.median(), r.p10(), r.p90()));
        }
        Files.write(file, lines);
    }

    /** Environment line for the report: backend, JDK and CPU. */
    public static String environment() {
        String backend = Matmul.simdSupported()
                ? "simd available (" + SimdMatmul.describe() + "), facade uses " + Matmul.backend()
                : "plain only (jdk.incubator.vector absent)";
        return "backend: " + backend + "; JDK " + Runtime.version() + " (" + System.getProperty("java.vm.name")
                + "); CPU " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }
}
