package org.gaq.tensor.kernels;
import java.util.Arrays;

/**
 * FP32 matrix products on row-major {@code float[]} arrays: the entry point the numerical core calls.
 *
 * <p>Backend, chosen once at class initialization: {@link SimdMatmul} (Vector API) when the
 * {@code jdk.incubator.vector} module is in the boot layer and the system property {@code gaq.simd} is
 * not {@code "false"}, else {@link PlainMatmul}. The SIMD class is never loaded on the plain path, so a
 * JVM started without {@code --add-modules jdk.incubator.vector} works.
 *
 * <p>Products of at least {@link #PARALLEL_MIN_MACS} multiply-adds split their output rows over
 * {@link Parallel}; smaller ones run on the calling thread. Arrays may be longer than the shapes need:
 * only their leading elements are read or written.
 */
public final class Matmul {

    private static final boolean SIMD = simdSupported() && !"false".equalsIgnoreCase(System.getProperty("gaq.simd"));

    /**
     * Products below this many multiply-adds stay on the calling thread: handing chunks to a helper has a
     * fixed cost that a smaller product does not earn back (docs/performance.md, "Core matmul").
     */
    public static final long PARALLEL_MIN_MACS = 1L << 20;

    /**
     * Outputs narrower than this many columns are computed as dot products along k: a column tile would
     * leave most of a 16-lane vector empty (docs/performance.md, "Core matmul").
     */
    static final int SKINNY_COLUMNS = 16;

    /**
     * A·Bᵀ with fewer rows than this skips transposing B and uses dot products: the scalar transpose
     * would cost more than the faster tile kernel saves (docs/performance.md, "Core matmul").
     */
    static final int TRANSPOSE_MIN_ROWS = 32;

    /** Row chunks handed to threads are multiples of the SIMD kernel's tile height. */
    private static final int ROW_ALIGN = 4;

    private static final int TRANSPOSE_BLOCK = 16;

    private Matmul() {
    }

    /** "simd" or "plain": the backend every call of this class uses. */
    public static String backend() {
        return SIMD ? "simd" : "plain";
    }

    /** True if the Vector API module is present, whatever {@code gaq.simd} says. */
    public static boolean simdSupported() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** C[m×n] = A[m×k]·B[k×n]. */
    public static void matmul(float[] a, float[] b, float[] c, int m, int k, int n) {
        checkShapes("matmul", "A", a, m, k, "B", b, k, n, c, m, n);
        product(a, b, c, m, k, n, false);
    }

    /** C[m×n] += A[m×k]·B[k×n]. */
    public static void matmulAdd(float[] a, float[] b, float[] c, int m, int k, int n) {
        checkShapes("matmulAdd", "A", a, m, k, "B", b, k, n, c, m, n);
        product(a, b, c, m, k, n, true);
    }

    /** C[m×n] = A[m×k]·Bᵀ, with B stored [n×k]. */
    public static void matmulTransB(float[] a, float[] b, float[] c, int m, int k, int n) {
        checkShapes("matmulTransB", "A", a, m, k, "B", b, n, k, c, m, n);
        productTransB(a, b, c, m, k, n, false);
    }

    /** C[m×n] += A[m×k]·Bᵀ, with B stored [n×k]. */
    public static void matmulTransBAdd(float[] a, float[] b, float[] c, int m, int k, int n) {
        checkShapes("matmulTransBAdd", "A", a, m, k, "B", b, n, k, c, m, n);
        productTransB(a, b, c, m, k, n, true);
    }

    /** C[m×n] = Aᵀ·B[k×n], with A stored [k×m]. */
    public static void matmulTransA(float[] a, float[] b, float[] c, int m, int k, int n) {
        checkShapes("matmulTransA", "A", a, k, m, "B", b, k, n, c, m, n);
        productTransA(a, b, c, m, k, n, false);
    }

    /** C[m×n] += Aᵀ·B[k×n], with A stored [k×m] (e.g. accumulating a weight gradient Xᵀ·dY). */
    public static void matmulTransAAdd(float[] a, float[] b, float[] c, int m, int k, int n) {
        checkShapes("matmulTransAAdd", "A", a, k, m, "B", b, k, n, c, m, n);
        productTransA(a, b, c, m, k, n, true);
    }

    /**
     * C[m×n] = (or += with {@code accumulate}) A[m×k]·B[k×n] on the calling thread, allocating nothing: for
     * callers that keep their own buffers and threads (the compiled engine). Column tiles of 64, or of 32 when n
     * is an odd multiple of 32 (other widths: the masked tiles of the tape's products): best for n ≥ 16.
     */
    public static void multiplyOnThisThread(float[] a, float[] b, float[] c, int m, int k, int n, boolean accumulate) {
        checkShapes("multiplyOnThisThread", "A", a, m, k, "B", b, k, n, c, m, n);
        boolean tiles = n % SimdMatmul.TILE_WIDTH == 0, pairs = n % SimdMatmul.PAIR_COLS == 0;
        if (SIMD && (tiles || pairs)) {
            if (!accumulate) Arrays.fill(c, 0, m * n, 0f);
            if (tiles) SimdMatmul.multiplyTilesAdd(a, b, c, k, n, 0, m);
            else SimdMatmul.multiplyPairsAdd(a, b, c, k, n, 0, m);
        } else if (SIMD) SimdMatmul.multiply(a, k, 1, b, c, k, n, 0, m, accumulate);
        else PlainMatmul.multiply(a, k, 1, b, c, k, n, 0, m, accumulate);
    }

    /**
     * C[m×n] = (or +=) A[m×k]·Btᵀ with Bt stored [n×k], by dot products on the calling thread, allocating
     * nothing: for skinny outputs (n below 16), where column tiles would leave vector lanes empty.
     */
    public static void multiplyTransBOnThisThread(float[] a, float[] bt, float[] c, int m, int k, int n, boolean accumulate) {
        checkShapes("multiplyTransBOnThisThread", "A", a, m, k, "B", bt, n, k, c, m, n);
        if (SIMD) SimdMatmul.multiplyTransB(a, bt, c, k, n, 0, m, accumulate);
        else PlainMatmul.multiplyTransB(a, bt, c, k, n, 0, m, accumulate);
    }

    /** dst[cols×rows] = srcᵀ, with src stored [rows×cols]. */
    public static void transpose(float[] src, int rows, int cols, float[] dst) {
        long size = checkedSize("transpose", rows, cols);
        if (src.length < size || dst.length < size) {
            throw new IllegalArgumentException("transpose of [" + rows + "×" + cols + "] needs src and dst of ≥ "
                    + size + " elements; got src " + src.length + ", dst " + dst.length);
        }
        // Square blocks, so both the rows read and the rows written stay in cache across a block.
        for (int i0 = 0; i0 < rows; i0 += TRANSPOSE_BLOCK) {
            int iEnd = Math.min(rows, i0 + TRANSPOSE_BLOCK);
            for (int j0 = 0; j0 < cols; j0 += TRANSPOSE_BLOCK) {
                int jEnd = Math.min(cols, j0 + TRANSPOSE_BLOCK);
                for (int i = i0; i < iEnd; i++) {
                    for (int j = j0; j < jEnd; j++) {
                        dst[j * rows + i] = src[i * cols + j];
                    }
                }
            }
        }
    }

    private static void product(float[] a, float[] b, float[] c, int m, int k, int n, boolean accumulate) {
        if (n < SKINNY_COLUMNS) {
            dots(a, transposed(b, k, n), c, m, k, n, accumulate);
        } else {
            tiles(a, k, 1, b, c, m, k, n, accumulate);
        }
    }

    private static void productTransB(float[] a, float[] b, float[] c, int m, int k, int n, boolean accumulate) {
        if (n < SKINNY_COLUMNS || m < TRANSPOSE_MIN_ROWS) {
            dots(a, b, c, m, k, n, accumulate);
        } else {
            tiles(a, k, 1, transposed(b, n, k), c, m, k, n, accumulate);
        }
    }

    private static void productTransA(float[] a, float[] b, float[] c, int m, int k, int n, boolean accumulate) {
        if (n < SKINNY_COLUMNS && m >= SKINNY_COLUMNS) {
            // C is skinny but Cᵀ = Bᵀ·A is wide: compute Cᵀ with full column tiles, then transpose it in.
            float[] ct = new float[n * m];
            tiles(b, 1, n, a, ct, n, k, m, false);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    c[i * n + j] = accumulate ? c[i * n + j] + ct[j * m + i] : ct[j * m + i];
                }
            }
        } else {
            tiles(a, 1, m, b, c, m, k, n, accumulate);
        }
    }

    private static float[] transposed(float[] src, int rows, int cols) {
        float[] dst = new float[rows * cols];
        transpose(src, rows, cols, dst);
        return dst;
    }

    /** C = (or +=) A·B with A(i, p) = a[i * aRowStride + p * aColStride], B row-major [k×n]. */
    private static void tiles(float[] a, int aRowStride, int aColStride, float[] b, float[] c,
                              int m, int k, int n, boolean accumulate) {
        if (SIMD) {
            forRows(m, k, n, (start, end) -> SimdMatmul.multiply(a, aRowStride, aColStride, b, c, k, n, start, end, accumulate));
        } else {
            forRows(m, k, n, (start, end) -> PlainMatmul.multiply(a, aRowStride, aColStride, b, c, k, n, start, end, accumulate));
        }
    }

    /** C = (or +=) A·Btᵀ by dot products, A row-major [m×k], Bt row-major [n×k]. */
    private static void dots(float[] a, float[] bt, float[] c, int m, int k, int n, boolean accumulate) {
        if (SIMD) {
            forRows(m, k, n, (start, end) -> SimdMatmul.multiplyTransB(a, bt, c, k, n, start, end, accumulate));
        } else {
            forRows(m, k, n, (start, end) -> PlainMatmul.multiplyTransB(a, bt, c, k, n, start, end, accumulate));
        }
    }

    private static void forRows(int m, int k, int n, Parallel.RangeBody rows) {
        if ((long) m * k * n < PARALLEL_MIN_MACS) {
            rows.run(0, m);
        } else {
            Parallel.forRange(m, ROW_ALIGN, rows);
        }
    }

    /** Throws IllegalArgumentException naming the shapes if a dimension is negative or an array too short. */
    static void checkShapes(String op, String nameA, float[] a, int rowsA, int colsA,
                            String nameB, float[] b, int rowsB, int colsB, float[] c, int m, int n) {
        // The message is built only on failure: the compiled engine calls this per product and allocates nothing.
        if (rowsA >= 0 && colsA >= 0 && rowsB >= 0 && colsB >= 0 && m >= 0 && n >= 0
                && a.length >= (long) rowsA * colsA && b.length >= (long) rowsB * colsB && c.length >= (long) m * n) {
            return;
        }
        String shapes = op + ": " + nameA + "[" + rowsA + "×" + colsA + "], " + nameB + "[" + rowsB + "×" + colsB
                + "] → C[" + m + "×" + n + "]";
        long sizeA = checkedSize(shapes, rowsA, colsA);
        long sizeB = checkedSize(shapes, rowsB, colsB);
        long sizeC = checkedSize(shapes, m, n);
        throw new IllegalArgumentException(shapes + " needs arrays of at least " + sizeA + ", " + sizeB + ", "
                + sizeC + " elements; got " + a.length + ", " + b.length + ", " + c.length);
    }

    private static long checkedSize(String context, int rows, int cols) {
        long size = (long) rows * cols;
        if (rows < 0 || cols < 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(context + ": invalid shape [" + rows + "×" + cols + "]");
        }
        return size;
    }
}
