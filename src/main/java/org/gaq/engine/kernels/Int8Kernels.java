package org.gaq.engine.kernels;

import org.gaq.quant.WeightQuantizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.gaq.tensor.kernels.Matmul;
import java.util.SplittableRandom;

/**
 * Picks the {@link Int8Gemm} gaq uses, once per JVM.
 *
 * <p>Automatic choice ({@code auto}): native AMX when the library loaded and Linux granted AMX, else native
 * AVX-512 VNNI when the CPU has it, else the Java Vector API kernel ({@link JavaInt8Gemm}) when
 * {@code jdk.incubator.vector} is present, else {@link PlainInt8Gemm}. The native plain-C path is never
 * chosen automatically: the Java kernels beat it.
 *
 * <p>The system property {@code gaq.kernels} or else the environment variable {@code GAQ_KERNELS} forces
 * a choice: {@code auto}, {@code amx}, {@code vnni}, {@code java} (Vector API, else plain Java),
 * {@code java-vector}, {@code java-plain} or {@code native-plain}. Forcing one that is not available here
 * makes {@link #best()} throw an {@link IllegalStateException} that says why.
 */
public final class Int8Kernels {

    public static final String PROPERTY = "gaq.kernels";
    public static final String ENVIRONMENT = "GAQ_KERNELS";

    private record Choice(Int8Gemm gemm, String description, RuntimeException error) {
    }

    private static volatile Choice choice;

    private Int8Kernels() {
    }

    /** The kernel gaq uses; throws IllegalStateException if a forced choice is unavailable. */
    public static Int8Gemm best() {
        Choice c = choose();
        if (c.error() != null) throw c.error();
        return c.gemm();
    }

    /**
     * One line: what {@link #best()} gives and why, e.g.
     * "native-amx (auto; AVX-512 VNNI: yes, AMX-INT8: yes, AMX granted: yes; library: /tmp/…so)" or
     * "java-vector (auto; native library not loaded: …)".
     */
    public static String describe() {
        return choose().description();
    }

    /**
     * Every implementation that runs here, the reference {@link PlainInt8Gemm} first, including
     * {@link NativeInt8Kernels#amxEverywhere()} (for tests and benchmarks).
     */
    public static List<Int8Gemm> available() {
        List<Int8Gemm> all = new ArrayList<>();
        all.add(new PlainInt8Gemm());
        if (Matmul.simdSupported()) all.add(new JavaInt8Gemm());
        for (NativeInt8Kernels.Kernel kernel : NativeInt8Kernels.Kernel.values()) {
            NativeInt8Kernels.gemm(kernel).ifPresent(all::add);
        }
        NativeInt8Kernels.amxEverywhere().ifPresent(all::add);
        return all;
    }

    private static Choice choose() {
        Choice c = choice;
        if (c == null) {
            synchronized (Int8Kernels.class) {
                if (choice == null) choice = decide();
                c = choice;
            }
        }
        return c;
    }

    private static Choice decide() {
        String requested = System.getProperty(PROPERTY);
        String source = "-D" + PROPERTY;
        if (requested == null) {
            requested = System.getenv(ENVIRONMENT);
            source = ENVIRONMENT;
        }
        if (requested == null || requested.isBlank()) {
            requested = "auto";
            source = null;
        }
        return decide(requested, source == null ? "auto" : "forced by " + source + "=" + requested);
    }

    /** The implementation named {@code requested} (as in {@code GAQ_KERNELS}); IllegalStateException if unavailable. */
    static Int8Gemm select(String requested) {
        Choice c = decide(requested, "requested");
        if (c.error() != null) throw c.error();
        return c.gemm();
    }

    private static Choice decide(String requested, String how) {
        String features = NativeInt8Kernels.describeFeatures();
        return switch (requested.trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> chosen(automatic(), how, features);
            case "amx" -> forced(NativeInt8Kernels.Kernel.AMX, how, features);
            case "vnni" -> forced(NativeInt8Kernels.Kernel.VNNI, how, features);
            case "native-plain" -> forced(NativeInt8Kernels.Kernel.PLAIN, how, features);
            case "java" -> chosen(java(), how, features);
            case "java-plain" -> chosen(new PlainInt8Gemm(), how, features);
            case "java-vector" -> Matmul.simdSupported()
                    ? chosen(new JavaInt8Gemm(), how, features)
                    : unavailable("java-vector", how, "jdk.incubator.vector is not in the boot layer "
                            + "(start java with --add-modules jdk.incubator.vector)");
            default -> unavailable(requested, how, "unknown kernel; choose auto, amx, vnni, java, java-vector, "
                    + "java-plain or native-plain");
        };
    }

    private static Int8Gemm automatic() {
        return NativeInt8Kernels.gemm(NativeInt8Kernels.Kernel.AMX).filter(Int8Kernels::agreesWithPlain)
                .or(() -> NativeInt8Kernels.gemm(NativeInt8Kernels.Kernel.VNNI).filter(Int8Kernels::agreesWithPlain))
                .orElseGet(Int8Kernels::java);
    }

    /**
     * The automatic choice trusts a native kernel only after it reproduced the plain Java loops on ragged
     * shapes (partial row, depth and column blocks; int8 exactly, int4 to float rounding) on this CPU:
     * a kernel path that the build machine could not exercise (AMX on a CPU without it) must not give
     * wrong forces silently elsewhere. A kernel that fails is skipped with a message on stderr.
     */
    static boolean agreesWithPlain(Int8Gemm gemm) {
        var rng = new SplittableRandom(20261130);
        var plain = new PlainInt8Gemm();
        for (int[] shape : new int[][]{{9, 70, 40}, {33, 64, 192}, {1, 4, 3}}) {
            int rows = shape[0], k = shape[1], m = shape[2];
            byte[] a = new byte[rows * k], w = new byte[k * m];
            for (int i = 0; i < a.length; i++) a[i] = (byte) rng.nextInt(-128, 128);
            for (int i = 0; i < w.length; i++) w[i] = (byte) rng.nextInt(-127, 128);
            int[] expected = new int[rows * m], got = new int[rows * m];
            plain.multiply(a, 0, rows, k, plain.prepare(w, k, m), expected, 0);
            gemm.multiply(a, 0, rows, k, gemm.prepare(w, k, m), got, 0);
            if (!java.util.Arrays.equals(expected, got)) return rejected(gemm, "int8 " + rows + "×" + k + "×" + m);
        }
        for (int[] shape : new int[][]{{9, 64, 40}, {17, 96, 24}}) {
            int rows = shape[0], k = shape[1], m = shape[2];
            byte[] a = new byte[rows * k], codes = new byte[k * m];
            float[] scales = new float[k / PreparedInt4.GROUP_SIZE * m];
            for (int i = 0; i < a.length; i++) a[i] = (byte) rng.nextInt(-128, 128);
            for (int i = 0; i < codes.length; i++) codes[i] = (byte) rng.nextInt(-7, 8);
            for (int i = 0; i < scales.length; i++) scales[i] = (float) (0.001 + 0.01 * rng.nextDouble());
            byte[] packed = WeightQuantizer.packInt4(codes);
            float[] expected = new float[rows * m], got = new float[rows * m];
            plain.multiplyInt4(a, 0, rows, k, plain.prepareInt4(packed, scales, k, m), expected, 0);
            gemm.multiplyInt4(a, 0, rows, k, gemm.prepareInt4(packed, scales, k, m), got, 0);
            for (int i = 0; i < expected.length; i++) {
                if (!(Math.abs(expected[i] - got[i]) <= 1e-5f * (1 + Math.abs(expected[i])))) {
                    return rejected(gemm, "int4 " + rows + "×" + k + "×" + m);
                }
            }
        }
        return true;
    }

    private static boolean rejected(Int8Gemm gemm, String shape) {
        System.err.println("gaq: the " + gemm.name() + " kernel disagrees with the plain Java loops on a " + shape
                + " product on this CPU; not using it (please report this)");
        return false;
    }

    private static Int8Gemm java() {
        return Matmul.simdSupported() ? new JavaInt8Gemm() : new PlainInt8Gemm();
    }

    private static Choice forced(NativeInt8Kernels.Kernel kernel, String how, String features) {
        return NativeInt8Kernels.gemm(kernel)
                .map(gemm -> chosen(gemm, how, features))
                .orElseGet(() -> unavailable(kernel.gemmName(), how, features));
    }

    private static Choice chosen(Int8Gemm gemm, String how, String features) {
        return new Choice(gemm, gemm.name() + " (" + how + "; " + features + ")", null);
    }

    private static Choice unavailable(String name, String how, String why) {
        String message = "int8 kernel " + name + " (" + how + ") is not available: " + why;
        return new Choice(null, "none: " + message, new IllegalStateException(message));
    }
}
