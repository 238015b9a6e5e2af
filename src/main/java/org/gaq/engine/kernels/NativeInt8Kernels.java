package org.gaq.engine.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;
import java.net.URISyntaxException;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Loads the native kernels ({@code src/main/c/gaq_int8.c}, built into the jar as
 * {@value #RESOURCE}) through java.lang.foreign, once per JVM, and exposes their paths as {@link Int8Gemm}s.
 *
 * <p>Loading: the system property {@code gaq.int8.library} may name a .so to use instead; otherwise the
 * library is read from the classpath, in place if it is a plain file (target/classes), else copied to a
 * temporary file first (from the jar). Only Linux on x86-64 has a library; anywhere else, or if the build
 * had no gcc, {@link #isLoaded()} is false and {@link #failure()} says why, and gaq runs on the Java kernels.
 *
 * <p>Calls pass the Java arrays themselves ({@link Linker.Option#critical(boolean) critical} downcalls
 * with heap access: no copies, no safepoint during the call, which is fine for calls of microseconds to a
 * few milliseconds). Every argument has been checked by {@link CheckedInt8Gemm} first, and each array is
 * passed as a slice of exactly the extent the kernel may touch.
 */
public final class NativeInt8Kernels {

    /** The native code paths; each one is usable when the library loaded and the CPU (and OS) support it. */
    public enum Kernel {
        /** Plain C loops: any x86-64. Slow; a reference, not a fallback (the Java kernels are faster). */
        PLAIN("native-plain"),
        /** AVX-512 VNNI, vpdpbusd. */
        VNNI("native-avx512-vnni"),
        /**
         * AMX-INT8 tiles (tdpbssd) for int8, with the VNNI kernel below {@link #AMX_MIN_ROWS} rows; int4 always
         * runs the VNNI kernel (its weights stay packed in nibbles, which tiles cannot read).
         */
        AMX("native-amx");

        private final String gemmName;

        Kernel(String gemmName) {
            this.gemmName = gemmName;
        }

        public String gemmName() {
            return gemmName;
        }
    }

    static final String RESOURCE = "/native/linux-x86_64/libgaq_int8.so";
    /** Must equal GAQ_INT8_ABI_VERSION in gaq_int8.c: a stale library with other signatures is refused. */
    private static final int ABI_VERSION = 3;

    /**
     * Below this many rows the AMX path runs the VNNI kernel: a 16-row tile computes 16 rows whatever the
     * row count, and configuring and releasing the tiles costs a fixed amount per call, so AMX pays off
     * only from a few tiles' worth of rows (the crossover measurements: docs/performance.md, "Integer kernels").
     */
    public static final int AMX_MIN_ROWS = 32;

    // Feature bits of gaq_int8_features() (FEATURE_* in gaq_int8.c).
    private static final int FEATURE_VNNI = 1;
    private static final int FEATURE_AMX_CPU = 2;
    private static final int FEATURE_AMX_GRANTED = 4;

    /** What loading found: the library and its entry points, or why there is none. */
    private record Library(Path path, int features, MethodHandle s8Plain, MethodHandle s8Vnni, MethodHandle s8Amx,
                           MethodHandle s4Plain, MethodHandle s4Vnni, String failure) {
        static Library failed(String why) {
            return new Library(null, 0, null, null, null, null, null, why);
        }
    }

    private static final Library LIBRARY = load();

    private NativeInt8Kernels() {
    }

    /** True if the native library loaded (whatever the CPU supports). */
    public static boolean isLoaded() {
        return LIBRARY.failure() == null;
    }

    /** Why the library did not load, or null if it did. */
    public static String failure() {
        return LIBRARY.failure();
    }

    /** The .so in use, or null. */
    public static Path libraryPath() {
        return LIBRARY.path();
    }

    /** True if the library loaded and this CPU can run {@code kernel}. */
    public static boolean supports(Kernel kernel) {
        if (!isLoaded()) return false;
        return switch (kernel) {
            case PLAIN -> true;
            case VNNI -> (LIBRARY.features() & FEATURE_VNNI) != 0;
            case AMX -> (LIBRARY.features() & FEATURE_AMX_GRANTED) != 0 && (LIBRARY.features() & FEATURE_VNNI) != 0;
        };
    }

    /** True if the CPU has AMX-INT8 and the OS enables tile state (whether or not permission was granted). */
    public static boolean amxInCpu() {
        return (LIBRARY.features() & FEATURE_AMX_CPU) != 0;
    }

    /** True if Linux granted this process the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM). */
    public static boolean amxGranted() {
        return (LIBRARY.features() & FEATURE_AMX_GRANTED) != 0;
    }

    /** The kernel as an {@link Int8Gemm}, or empty if it is not available here. */
    public static Optional<Int8Gemm> gemm(Kernel kernel) {
        if (!supports(kernel)) return Optional.empty();
        return Optional.of(switch (kernel) {
            case PLAIN -> new NativeGemm(kernel.gemmName(), 0, LIBRARY.s8Plain(), LIBRARY.s8Plain(),
                    LIBRARY.s4Plain(), LIBRARY.s4Plain());
            case VNNI -> new NativeGemm(kernel.gemmName(), 0, LIBRARY.s8Vnni(), LIBRARY.s8Vnni(),
                    LIBRARY.s4Vnni(), LIBRARY.s4Vnni());
            case AMX -> new NativeGemm(kernel.gemmName(), AMX_MIN_ROWS, LIBRARY.s8Amx(), LIBRARY.s8Vnni(),
                    LIBRARY.s4Vnni(), LIBRARY.s4Vnni());
        });
    }

    /**
     * "native-amx-all": AMX tiles for every call, without {@link Kernel#AMX}'s switch to VNNI below
     * {@link #AMX_MIN_ROWS} rows. Not chosen automatically: it is there to test the AMX kernels at every
     * size and to measure where the switch belongs.
     */
    public static Optional<Int8Gemm> amxEverywhere() {
        if (!supports(Kernel.AMX)) return Optional.empty();
        return Optional.of(new NativeGemm("native-amx-all", 0, LIBRARY.s8Amx(), LIBRARY.s8Amx(),
                LIBRARY.s4Vnni(), LIBRARY.s4Vnni()));
    }

    /** E.g. "VNNI: yes, AMX: in CPU, granted: yes; library: /tmp/…so", or why nothing loaded. */
    public static String describeFeatures() {
        if (!isLoaded()) return "native library not loaded: " + failure();
        return "AVX-512 VNNI: " + yesNo(supports(Kernel.VNNI)) + ", AMX-INT8: " + yesNo(amxInCpu())
                + ", AMX granted: " + yesNo(amxGranted()) + "; library: " + libraryPath();
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }

    private static Library load() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String explicit = System.getProperty("gaq.int8.library");
        if (explicit == null && !(os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64")))) {
            return Library.failed("no native library for " + os + "/" + arch + " (only linux/x86-64)");
        }
        Path path;
        try {
            path = explicit != null ? Path.of(explicit) : locate();
        } catch (IOException | RuntimeException e) {
            return Library.failed("could not extract " + RESOURCE + ": " + e);
        }
        if (path == null) {
            return Library.failed(RESOURCE + " not found on the classpath (was gcc missing when gaq was built?)");
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup symbols = SymbolLookup.libraryLookup(path, Arena.global());
            MethodHandle version = linker.downcallHandle(find(symbols, "gaq_int8_abi_version"), FunctionDescriptor.of(JAVA_INT));
            int abi = (int) version.invokeExact();
            if (abi != ABI_VERSION) {
                return Library.failed(path + " has ABI version " + abi + ", this gaq needs " + ABI_VERSION + " (stale build?)");
            }
            MethodHandle featureQuery = linker.downcallHandle(find(symbols, "gaq_int8_features"), FunctionDescriptor.of(JAVA_INT));
            int features = (int) featureQuery.invokeExact();
            // int8 (a, rows, k, packed, column sums, m, c); int4 (a, rows, k, nibble quads, scales, m, out)
            FunctionDescriptor s8 = FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
            FunctionDescriptor s4 = FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
            Linker.Option heapAccess = Linker.Option.critical(true);
            return new Library(path, features,
                    linker.downcallHandle(find(symbols, "gaq_s8_gemm_plain"), s8, heapAccess),
                    linker.downcallHandle(find(symbols, "gaq_s8_gemm_vnni"), s8, heapAccess),
                    linker.downcallHandle(find(symbols, "gaq_s8_gemm_amx"), s8, heapAccess),
                    linker.downcallHandle(find(symbols, "gaq_s4_gemm_plain"), s4, heapAccess),
                    linker.downcallHandle(find(symbols, "gaq_s4_gemm_vnni"), s4, heapAccess),
                    null);
        } catch (Throwable e) {   // dlopen failure, missing symbol, native access denied, ...
            return Library.failed("could not load " + path + ": " + e);
        }
    }

    private static MemorySegment find(SymbolLookup symbols, String name) {
        return symbols.find(name).orElseThrow(() -> new IllegalArgumentException("symbol " + name + " missing"));
    }

    /** The library as a file: in place when the classpath entry is a directory, else extracted from the jar. */
    private static Path locate() throws IOException {
        URL url = NativeInt8Kernels.class.getResource(RESOURCE);
        if (url == null) return null;
        if (url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        }
        Path file = Files.createTempFile("libgaq_int8-", ".so");
        file.toFile().deleteOnExit();   // the mapping stays valid after the file is gone
        try (InputStream in = url.openStream()) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    /**
     * One native path as an {@link Int8Gemm}: slices the checked arrays and calls the C function — the
     * "small" one for calls of fewer than {@code smallBelow} rows.
     */
    private static final class NativeGemm extends CheckedInt8Gemm {
        private final String name;
        private final int smallBelow;
        private final MethodHandle s8;
        private final MethodHandle s8Small;
        private final MethodHandle s4;
        private final MethodHandle s4Small;

        NativeGemm(String name, int smallBelow, MethodHandle s8, MethodHandle s8Small, MethodHandle s4, MethodHandle s4Small) {
            this.name = name;
            this.smallBelow = smallBelow;
            this.s8 = s8;
            this.s8Small = s8Small;
            this.s4 = s4;
            this.s4Small = s4Small;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        void multiplyChecked(byte[] a, int aOffset, int rows, int k, PreparedInt8 w, int[] c, int cOffset) {
            MemorySegment aRows = MemorySegment.ofArray(a).asSlice(aOffset, (long) rows * k);
            MemorySegment cRows = MemorySegment.ofArray(c).asSlice(4L * cOffset, 4L * rows * w.m());
            MethodHandle kernel = rows < smallBelow ? s8Small : s8;
            try {
                kernel.invokeExact(aRows, rows, k, MemorySegment.ofArray(w.packed()),
                        MemorySegment.ofArray(w.columnSums()), w.m(), cRows);
            } catch (Throwable e) {
                throw new IllegalStateException(name + ": native call failed", e);
            }
        }

        @Override
        void multiplyInt4Checked(byte[] a, int aOffset, int rows, int k, PreparedInt4 w, float[] out, int outOffset) {
            MemorySegment aRows = MemorySegment.ofArray(a).asSlice(aOffset, (long) rows * k);
            MemorySegment outRows = MemorySegment.ofArray(out).asSlice(4L * outOffset, 4L * rows * w.m());
            MethodHandle kernel = rows < smallBelow ? s4Small : s4;
            try {
                kernel.invokeExact(aRows, rows, k, MemorySegment.ofArray(w.packed()),
                        MemorySegment.ofArray(w.scales()), w.m(), outRows);
            } catch (Throwable e) {
                throw new IllegalStateException(name + ": native call failed", e);
            }
        }
    }
}
