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

import org.gaq.engine.kernels.Int8Gemm;
import org.gaq.engine.kernels.Int8Kernels;
import org.gaq.engine.kernels.PreparedInt4;
import org.gaq.engine.kernels.PreparedInt8;
import org.gaq.quant.WeightQuantizer;
import org.gaq.tensor.kernels.Matmul;
import org.gaq.tensor.kernels.SimdMatmul;

/**
 * Speed of the integer GEMM kernels ({@link Int8Kernels#available()}: native AMX, AVX-512 VNNI and plain C,
 * Java Vector API, plain Java) next to the FP32 SIMD matmul, on the model's shapes [n×64]·[64×m], m = 64
 * and 192, one thread; int8 and int4 (groups of 32) alike. GOP/s = 2·n·k·m / time: a multiply-add is two
 * operations, as FLOPs are for FP32, so the columns compare directly.
 *
 * <p>Timing as {@link CoreBench}: warm-up, then samples of about 10 ms of the benchmark thread's CPU time;
 * median and 10th–90th percentiles.
 */
public final class Int8Bench {

    static final int[] ROWS = {9, 64, 441, 4096};
    static final int INNER = 64;
    static final int[] COLUMNS = {64, 192};
    private static final double SAMPLE_SECONDS = 0.01;
    private static final ThreadMXBean THREAD_CLOCK = ManagementFactory.getThreadMXBean();

    /** GOP/s of one kernel and precision on one shape. */
    public record Result(String kernel, String precision, int n, int k, int m, int samples,
                         double median, double p10, double p90) {
        String label() {
            return kernel + " " + precision;
        }
    }

    private final double warmupSeconds;
    private final double seconds;

    public Int8Bench(double warmupSeconds, double seconds) {
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
    }

    /** Runs every measurement, a progress line each to {@code progress}. */
    public List<Result> run(PrintStream progress) {
        List<Int8Gemm> kernels = Int8Kernels.available();
        List<Result> results = new ArrayList<>();
        for (int m : COLUMNS) {
            for (int n : ROWS) {
                Random random = new Random(42);
                int k = INNER;
                byte[] a = randomCodes(random, n * k, 127);
                byte[] w = randomCodes(random, k * m, 127);
                byte[] packed4 = WeightQuantizer.packInt4(randomCodes(random, k * m, 7));
                float[] scales4 = new float[k / PreparedInt4.GROUP_SIZE * m];
                for (int s = 0; s < scales4.length; s++) scales4[s] = random.nextFloat() * 0.01f;
                int[] c = new int[n * m];
                float[] out = new float[n * m];
                if (Matmul.simdSupported()) {
                    float[] af = new float[n * k], wf = new float[k * m];
                    for (int e = 0; e < af.length; e++) af[e] = a[e];
                    for (int e = 0; e < wf.length; e++) wf[e] = w[e];
                    results.add(measure("fp32-simd", "fp32", n, k, m, () -> SimdMatmul.matmul(af, wf, out, n, k, m), progress));
                }
                for (Int8Gemm gemm : kernels) {
                    PreparedInt8 prepared = gemm.prepare(w, k, m);
                    results.add(measure(gemm.name(), "int8", n, k, m, () -> gemm.multiply(a, 0, n, k, prepared, c, 0), progress));
                    PreparedInt4 prepared4 = gemm.prepareInt4(packed4, scales4, k, m);
                    results.add(measure(gemm.name(), "int4", n, k, m, () -> gemm.multiplyInt4(a, 0, n, k, prepared4, out, 0), progress));
                }
            }
        }
        return results;
    }

    private Result measure(String kernel, String precision, int n, int k, int m, Runnable call, PrintStream progress) {
        LongSupplier clock = THREAD_CLOCK.isCurrentThreadCpuTimeSupported()
                ? THREAD_CLOCK::getCurrentThreadCpuTime
                : System::nanoTime;
        long warmupStart = clock.getAsLong();
        long warmupEnd = warmupStart + (long) (warmupSeconds * 1e9);
        long calls = 0;
        do {
            call.run();
            calls++;
        } while (clock.getAsLong() < warmupEnd);
        double secondsPerCall = Math.max(1e-9, (clock.getAsLong() - warmupStart) / 1e9 / calls);
        int repetitions = (int) Math.max(1, SAMPLE_SECONDS / secondsPerCall);

        double opsPerSample = 2.0 * n * k * m * repetitions;
        List<Double> gops = new ArrayList<>();
        long end = clock.getAsLong() + (long) (seconds * 1e9);
        do {
            long start = clock.getAsLong();
            for (int r = 0; r < repetitions; r++) call.run();
            long elapsed = Math.max(1, clock.getAsLong() - start);
            gops.add(opsPerSample / elapsed);
        } while (clock.getAsLong() < end);

        double[] sorted = gops.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Result result = new Result(kernel, precision, n, k, m, sorted.length,
                percentile(sorted, 0.5), percentile(sorted, 0.1), percentile(sorted, 0.9));
        progress.printf(Locale.ROOT, "  %-24s %5d×%d·%d×%-4d %8.1f GOP/s%n", result.label(), n, k, k, m, result.median());
        return result;
    }

    private static byte[] randomCodes(Random random, int count, int max) {
        byte[] codes = new byte[count];
        for (int e = 0; e < count; e++) codes[e] = (byte) (random.nextInt(2 * max + 1) - max);
        return codes;
    }

    private static double percentile(double[] sorted, double fraction) {
        return sorted[(int) Math.round(fraction * (sorted.length - 1))];
    }

    /** Two tables, int8 (with the FP32 SIMD column) and int4: one line per shape, "median [p10–p90]" GOP/s. */
    public static void printTables(List<Result> results, PrintStream out) {
        printTable(results.stream().filter(r -> !r.precision().equals("int4")).toList(), "int8", out);
        out.println();
        printTable(results.stream().filter(r -> r.precision().equals("int4")).toList(), "int4", out);
    }

    private static void printTable(List<Result> results, String title, PrintStream out) {
        List<String> labels = results.stream().map(Result::label).distinct().toList();
        ShapeTable.print(out, title + ": shape", labels, 26, ROWS, INNER, COLUMNS, (label, n, m) -> results.stream()
                .filter(r -> r.label().equals(label) && r.n() == n && r.m() == m)
                .findFirst()
                .map(r -> new double[]{r.median(), r.p10(), r.p90()}));
    }

    public static void writeCsv(List<Result> results, Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("kernel,precision,n,k,m,samples,gops_median,gops_p10,gops_p90");
        for (Result r : results) {
            lines.add(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%d,%.3f,%.3f,%.3f", r.kernel(), r.precision(),
                    r.n(), r.k(), r.m(), r.samples(), r.median(), r.p10(), r.p90()));
        }
        Files.write(file, lines);
    }
}
