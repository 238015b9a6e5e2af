package org.gaq.engine.kernels;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

import org.gaq.quant.WeightQuantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every {@link Int8Gemm} available here against the reference {@link PlainInt8Gemm}: int8 bit for bit,
 * int4 bit for bit (the contract fixes the float summation order), over many shapes, extreme codes and
 * offsets; and the argument checks that keep bad calls away from native code.
 */
class Int8GemmTest {

    private static final int[] ROWS = {1, 3, 9, 17, 64, 100, 513};
    /** 18 is not a multiple of 4, none but 64 of 64 (the AMX tile depth). */
    private static final int[] DEPTHS = {16, 18, 20, 64, 96};
    private static final int[] WIDTHS = {1, 3, 64, 192};
    private static final int[] INT4_DEPTHS = {32, 64, 96};
    private static final int[] INT4_WIDTHS = {1, 3, 17, 64, 192};

    private static final PlainInt8Gemm REFERENCE = new PlainInt8Gemm();

    /** Every implementation but the reference (with native-amx-all: the AMX kernels at every size, int4 too). */
    static Stream<Int8Gemm> implementations() {
        return Int8Kernels.available().stream().filter(g -> !(g instanceof PlainInt8Gemm));
    }

    static Stream<Int8Gemm> allImplementations() {
        return Stream.concat(Stream.of(REFERENCE), implementations());
    }

    @Test
    void nativeKernelsLoadWhereTheyWereBuilt() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch");
        assumeTrue(os.startsWith("linux") && arch.equals("amd64"), "native kernels exist for Linux x86-64 only");
        assumeTrue(NativeInt8Kernels.class.getResource(NativeInt8Kernels.RESOURCE) != null,
                "no native library in the build (gcc missing?)");
        assertTrue(NativeInt8Kernels.isLoaded(), "library built but not loaded: " + NativeInt8Kernels.failure());
        assertTrue(Files.isRegularFile(NativeInt8Kernels.libraryPath()));
        // On a CPU with VNNI, make sure the fast paths really are under test (and not skipped silently).
        if (cpuFlag("avx512_vnni")) assertTrue(NativeInt8Kernels.supports(NativeInt8Kernels.Kernel.VNNI));
        if (cpuFlag("amx_int8")) assertTrue(NativeInt8Kernels.amxInCpu(), NativeInt8Kernels.describeFeatures());
        if (NativeInt8Kernels.amxGranted()) assertTrue(NativeInt8Kernels.amxEverywhere().isPresent());
        System.out.println("Int8Kernels: " + Int8Kernels.describe());
        System.out.println("under test: " + implementations().map(Int8Gemm::name).toList());
    }

    /** One quick product per native path, skipped (visibly) where the library or the CPU lacks it. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(NativeInt8Kernels.Kernel.class)
    void eachNativePathRunsOrIsSkipped(NativeInt8Kernels.Kernel kernel) {
        assumeTrue(NativeInt8Kernels.isLoaded(), () -> "native library not loaded: " + NativeInt8Kernels.failure());
        assumeTrue(NativeInt8Kernels.supports(kernel), () -> kernel + " not supported here: " + NativeInt8Kernels.describeFeatures());
        Int8Gemm gemm = NativeInt8Kernels.gemm(kernel).orElseThrow();
        Random random = new Random(8);
        int rows = 40, k = 64, m = 64;
        byte[] a = randomCodes(random, rows * k, 127), w = randomCodes(random, k * m, 127);
        PreparedInt8 prepared = gemm.prepare(w, k, m);
        int[] expected = new int[rows * m], actual = new int[rows * m];
        REFERENCE.multiply(a, 0, rows, k, prepared, expected, 0);
        gemm.multiply(a, 0, rows, k, prepared, actual, 0);
        assertArrayEquals(expected, actual);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("implementations")
    void int8EqualsTheReferenceOnEveryShape(Int8Gemm gemm) {
        Random random = new Random(1);
        for (int k : DEPTHS) {
            for (int m : WIDTHS) {
                byte[] w = randomCodes(random, k * m, 127);
                // extreme columns: all +127 and all −127
                for (int p = 0; p < k; p++) {
                    w[p * m] = 127;
                    if (m > 1) w[p * m + 1] = -127;
                }
                PreparedInt8 prepared = gemm.prepare(w, k, m);
                for (int rows : ROWS) {
                    byte[] a = randomCodes(random, rows * k, 127);
                    extremeRows(a, rows, k);
                    int[] expected = new int[rows * m];
                    REFERENCE.multiply(a, 0, rows, k, prepared, expected, 0);
                    int[] actual = new int[rows * m];
                    gemm.multiply(a, 0, rows, k, prepared, actual, 0);
                    assertArrayEquals(expected, actual, gemm.name() + " rows " + rows + " k " + k + " m " + m);
                }
            }
        }
    }

    /** Deep products at the edge of float exactness (Java kernel) with the most negative codes, and past it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("implementations")
    void int8IsExactForDeepProductsAndMinus128(Int8Gemm gemm) {
        Random random = new Random(7);
        for (int k : new int[]{JavaInt8Gemm.FLOAT_EXACT_K, JavaInt8Gemm.FLOAT_EXACT_K + 76}) {
            for (int m : new int[]{3, 40}) {
                int rows = 6;
                byte[] w = randomCodes(random, k * m, 127);
                byte[] a = randomCodes(random, rows * k, 127);
                for (int p = 0; p < k; p++) {
                    w[p * m] = -128;
                    w[p * m + 1] = 127;
                }
                Arrays.fill(a, 0, k, (byte) -128);
                Arrays.fill(a, k, 2 * k, (byte) 127);
                PreparedInt8 prepared = gemm.prepare(w, k, m);
                int[] expected = new int[rows * m], actual = new int[rows * m];
                REFERENCE.multiply(a, 0, rows, k, prepared, expected, 0);
                gemm.multiply(a, 0, rows, k, prepared, actual, 0);
                assertEquals(128 * 128 * k, expected[0]);
                assertArrayEquals(expected, actual, gemm.name() + " k " + k + " m " + m);
            }
        }
    }

    @Test
    void referenceInt8IsTheTextbookProduct() {
        Random random = new Random(2);
        int rows = 9, k = 20, m = 3;
        byte[] a = randomCodes(random, rows * k, 127), w = randomCodes(random, k * m, 127);
        extremeRows(a, rows, k);
        for (int p = 0; p < k; p++) w[p * m] = 127;
        int[] c = new int[rows * m];
        REFERENCE.multiply(a, 0, rows, k, REFERENCE.prepare(w, k, m), c, 0);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < m; j++) {
                long sum = 0;
                for (int p = 0; p < k; p++) sum += (long) a[i * k + p] * w[p * m + j];
                assertEquals(sum, c[i * m + j]);
            }
        }
        assertEquals(127 * 127 * k, c[0], "row of +127 against the column of +127");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("implementations")
    void offsetsAreHonouredAndNothingElseIsWritten(Int8Gemm gemm) {
        Random random = new Random(3);
        int rows = 21, k = 64, m = 67, aOffset = 13, cOffset = 7;
        byte[] w = randomCodes(random, k * m, 127);
        PreparedInt8 prepared = gemm.prepare(w, k, m);
        byte[] a = randomCodes(random, aOffset + rows * k + 5, 127);
        int[] expected = new int[cOffset + rows * m + 9];
        int[] actual = new int[expected.length];
        Arrays.fill(expected, 0x5A5A5A5A);
        Arrays.fill(actual, 0x5A5A5A5A);
        REFERENCE.multiply(a, aOffset, rows, k, prepared, expected, cOffset);
        gemm.multiply(a, aOffset, rows, k, prepared, actual, cOffset);
        assertArrayEquals(expected, actual);
        assertEquals(0x5A5A5A5A, actual[cOffset - 1]);
        assertEquals(0x5A5A5A5A, actual[cOffset + rows * m]);

        // Rows split between two threads, as the engine will do: the same result.
        int[] split = new int[expected.length];
        Arrays.fill(split, 0x5A5A5A5A);
        int half = 11;
        Thread other = Thread.ofPlatform().start(() ->
                gemm.multiply(a, aOffset + half * k, rows - half, k, prepared, split, cOffset + half * m));
        gemm.multiply(a, aOffset, half, k, prepared, split, cOffset);
        assertDoesNotThrow(() -> other.join());
        assertArrayEquals(expected, split);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("implementations")
    void int4EqualsTheReferenceBitForBit(Int8Gemm gemm) {
        Random random = new Random(4);
        for (int k : INT4_DEPTHS) {
            for (int m : INT4_WIDTHS) {
                Int4Weights weights = randomInt4(random, k, m);
                PreparedInt4 prepared = gemm.prepareInt4(weights.packed(), weights.scales(), k, m);
                for (int rows : ROWS) {
                    byte[] a = randomCodes(random, rows * k, 127);
                    extremeRows(a, rows, k);
                    int outOffset = rows % 5, aOffset = rows % 3;
                    byte[] shifted = new byte[aOffset + a.length];
                    System.arraycopy(a, 0, shifted, aOffset, a.length);
                    float[] expected = new float[outOffset + rows * m];
                    float[] actual = new float[expected.length];
                    REFERENCE.multiplyInt4(shifted, aOffset, rows, k, prepared, expected, outOffset);
                    gemm.multiplyInt4(shifted, aOffset, rows, k, prepared, actual, outOffset);
                    for (int e = 0; e < expected.length; e++) {
                        if (Float.floatToRawIntBits(expected[e]) != Float.floatToRawIntBits(actual[e])) {
                            fail(gemm.name() + " rows " + rows + " k " + k + " m " + m + " element " + e + ": expected "
                                    + expected[e] + ", got " + actual[e]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void referenceInt4MatchesDequantizedWeights() {
        Random random = new Random(5);
        int rows = 5, k = 64, m = 3;
        Int4Weights weights = randomInt4(random, k, m);
        byte[] a = randomCodes(random, rows * k, 127);
        float[] out = new float[rows * m];
        REFERENCE.multiplyInt4(a, 0, rows, k, REFERENCE.prepareInt4(weights.packed(), weights.scales(), k, m), out, 0);
        byte[] q = WeightQuantizer.unpackInt4(weights.packed(), k * m);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < m; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double) a[i * k + p] * q[p * m + j] * weights.scales()[(p / 32) * m + j];
                assertEquals(sum, out[i * m + j], 1e-5 * (1 + Math.abs(sum)), "row " + i + " column " + j);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allImplementations")
    void badArgumentsAreRejectedBeforeAnyWork(Int8Gemm gemm) {
        int k = 20, m = 3, rows = 4;
        PreparedInt8 w = gemm.prepare(new byte[k * m], k, m);
        byte[] a = new byte[rows * k];
        int[] c = new int[rows * m];
        assertMessage("a is too short", () -> gemm.multiply(new byte[rows * k - 1], 0, rows, k, w, c, 0));
        assertMessage("c is too short", () -> gemm.multiply(a, 0, rows, k, w, new int[rows * m - 1], 0));
        assertMessage("k mismatch", () -> gemm.multiply(a, 0, rows, 16, w, c, 0));
        assertMessage("a is too short", () -> gemm.multiply(a, 1, rows, k, w, c, 0));
        assertMessage("aOffset must be ≥ 0", () -> gemm.multiply(a, -1, rows, k, w, c, 0));
        assertMessage("cOffset must be ≥ 0", () -> gemm.multiply(a, 0, rows, k, w, c, -4));
        assertMessage("c is too short", () -> gemm.multiply(a, 0, rows, k, w, c, 1));
        assertMessage("rows must be ≥ 0", () -> gemm.multiply(a, 0, -1, k, w, c, 0));
        assertMessage("a is too short", () -> gemm.multiply(a, Integer.MAX_VALUE, rows, k, w, c, 0));
        assertMessage("weights are null", () -> gemm.multiply(a, 0, rows, k, null, c, 0));
        assertMessage("weights [20×3] need 60 codes", () -> gemm.prepare(new byte[59], k, m));
        assertMessage("k and m must be ≥ 1", () -> gemm.prepare(new byte[10], 0, 3));
        gemm.multiply(a, 0, 0, k, w, new int[0], 0);   // zero rows: nothing to do, nothing to check against

        int k4 = 64;
        Int4Weights int4 = randomInt4(new Random(6), k4, m);
        PreparedInt4 w4 = gemm.prepareInt4(int4.packed(), int4.scales(), k4, m);
        byte[] a4 = new byte[rows * k4];
        assertMessage("out is too short", () -> gemm.multiplyInt4(a4, 0, rows, k4, w4, new float[rows * m - 1], 0));
        assertMessage("a is too short", () -> gemm.multiplyInt4(a4, 3, rows, k4, w4, new float[rows * m], 0));
        assertMessage("k mismatch", () -> gemm.multiplyInt4(a, 0, rows, k, w4, new float[rows * m], 0));
        assertMessage("outOffset must be ≥ 0", () -> gemm.multiplyInt4(a4, 0, rows, k4, w4, new float[rows * m], -1));
        assertMessage("k must be a multiple of 32", () -> gemm.prepareInt4(new byte[40], new float[3], 20, 3));
        assertMessage("need 96 bytes", () -> gemm.prepareInt4(new byte[95], int4.scales(), k4, m));
        assertMessage("need 6 scales", () -> gemm.prepareInt4(int4.packed(), new float[5], k4, m));
    }

    @Test
    void forcedChoicesAreHonouredOrExplained() {
        assertEquals("java-plain", Int8Kernels.select("java-plain").name());
        assertEquals("java-plain", Int8Kernels.select(" Java-Plain ").name());
        IllegalStateException unknown = assertThrows(IllegalStateException.class, () -> Int8Kernels.select("gpu"));
        assertTrue(unknown.getMessage().contains("unknown kernel"), unknown.getMessage());
        for (NativeInt8Kernels.Kernel kernel : NativeInt8Kernels.Kernel.values()) {
            String request = switch (kernel) {
                case PLAIN -> "native-plain";
                case VNNI -> "vnni";
                case AMX -> "amx";
            };
            if (NativeInt8Kernels.supports(kernel)) {
                assertEquals(kernel.gemmName(), Int8Kernels.select(request).name());
            } else {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> Int8Kernels.select(request));
                assertTrue(e.getMessage().contains("not available"), e.getMessage());
            }
        }
        assertTrue(Int8Kernels.describe().startsWith(Int8Kernels.best().name() + " ("), Int8Kernels.describe());
    }

    // ---- helpers ----

    record Int4Weights(byte[] packed, float[] scales) {
    }

    /** Codes in −7..7 with both extremes present, and a −8 (valid in the packing format), packed; varied scales. */
    static Int4Weights randomInt4(Random random, int k, int m) {
        byte[] codes = randomCodes(random, k * m, 7);
        codes[0] = 7;
        codes[codes.length - 1] = -7;
        if (codes.length > 2) codes[1] = -8;
        float[] scales = new float[k / 32 * m];
        for (int s = 0; s < scales.length; s++) scales[s] = (random.nextFloat() * 2 - 1) * 0.05f;
        scales[0] = 0f;
        return new Int4Weights(WeightQuantizer.packInt4(codes), scales);
    }

    static byte[] randomCodes(Random random, int count, int max) {
        byte[] codes = new byte[count];
        for (int e = 0; e < count; e++) codes[e] = (byte) (random.nextInt(2 * max + 1) - max);
        return codes;
    }

    /** Row 0 all +127, row 1 all −127, row 2 all zero (as far as there are rows). */
    static void extremeRows(byte[] a, int rows, int k) {
        if (rows > 0) Arrays.fill(a, 0, k, (byte) 127);
        if (rows > 1) Arrays.fill(a, k, 2 * k, (byte) -127);
        if (rows > 2) Arrays.fill(a, 2 * k, 3 * k, (byte) 0);
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "message \"" + e.getMessage() + "\" should say \"" + expected + "\"");
    }

    private static boolean cpuFlag(String flag) {
        try {
            return Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo")).stream()
                    .anyMatch(line -> line.startsWith("flags") && Arrays.asList(line.split("\\s+")).contains(flag));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @org.junit.jupiter.api.Test
    void theAutomaticChoiceTrustsOnlyKernelsThatReproduceThePlainLoops() {
        for (Int8Gemm gemm : Int8Kernels.available()) {
            org.junit.jupiter.api.Assertions.assertTrue(Int8Kernels.agreesWithPlain(gemm), gemm.name());
        }
        Int8Gemm plain = new PlainInt8Gemm();
        Int8Gemm offByOne = new Int8Gemm() {
            public String name() {
                return "off-by-one";
            }

            public void multiply(byte[] a, int aOffset, int rows, int k, PreparedInt8 w, int[] c, int cOffset) {
                plain.multiply(a, aOffset, rows, k, w, c, cOffset);
                if (rows > 8) c[cOffset + 8 * w.m()] += 1;   // a wrong partial block
            }

            public void multiplyInt4(byte[] a, int aOffset, int rows, int k, PreparedInt4 w, float[] out, int outOffset) {
                plain.multiplyInt4(a, aOffset, rows, k, w, out, outOffset);
            }
        };
        org.junit.jupiter.api.Assertions.assertFalse(Int8Kernels.agreesWithPlain(offByOne));
    }
}
