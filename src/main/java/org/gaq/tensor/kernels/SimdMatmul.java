package org.gaq.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * FP32 matmul kernels on the Vector API, single-threaded. {@link Matmul} loads this class only when
 * {@code jdk.incubator.vector} is in the boot layer; call it directly only to pick this backend on purpose.
 *
 * <p>The main kernel keeps a 4-row × 4-vector tile of C in 16 accumulator registers while p runs over k:
 * each step loads 4 vectors of B's row p, broadcasts 4 elements of A's column p and does 16 FMAs, so
 * the FMAs, not the loads, set the pace. Column tails use 4-row × 2-vector tiles, masked past column n,
 * and row tails 1-row tiles.
 */
public final class SimdMatmul {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final int TILE_ROWS = 4;
    private static final int TILE_COLS = 4 * LANES;
    private static final int K_BLOCK = 128;
    /** Width of the unmasked column pairs of {@link #multiplyPairsAdd}. */
    static final int PAIR_COLS = 2 * LANES;
    /** Width of the column tiles of {@link #multiplyTilesAdd}. */
    static final int TILE_WIDTH = TILE_COLS;

    private SimdMatmul() {
    }

    /** Vector shape in use, e.g. "512-bit, 16 floats". */
    public static String describe() {
        return SPECIES.vectorBitSize() + "-bit, " + LANES + " floats";
    }

    /** C[m×n] = A[m×k]·B[k×n], row-major, on the calling thread. */
    public static void matmul(float[] a, float[] b, float[] c, int m, int k, int n) {
        Matmul.checkShapes("SimdMatmul.matmul", "A", a, m, k, "B", b, k, n, c, m, n);
        multiply(a, k, 1, b, c, k, n, 0, m, false);
    }

    /**
     * Rows [rowStart, rowEnd) of C[·×n] = (or += if accumulate) A·B, where A(i, p) is
     * {@code a[i * aRowStride + p * aColStride]} (so A or Aᵀ can be read in place) and B is row-major [k×n].
     */
    static void multiply(float[] a, int aRowStride, int aColStride, float[] b, float[] c,
                         int k, int n, int rowStart, int rowEnd, boolean accumulate) {
        // Blocks of k keep the B panel (K_BLOCK × 64 floats) in L1 across the row tiles even when k is
        // large (e.g. Xᵀ·dY summed over 100k edges); later blocks add to what earlier ones stored.
        int p0 = 0;
        do {
            int p1 = Math.min(k, p0 + K_BLOCK);
            panels(a, aRowStride, aColStride, b, c, p0, p1, n, rowStart, rowEnd, accumulate || p0 > 0);
            p0 = p1;
        } while (p0 < k);
    }

    /** C rows [rowStart, rowEnd) (+)= Σ_{p in [p0, p1)} A(·, p)·B(p, ·). */
    private static void panels(float[] a, int aRowStride, int aColStride, float[] b, float[] c,
                               int p0, int p1, int n, int rowStart, int rowEnd, boolean accumulate) {
        int tiledRowEnd = rowStart + (rowEnd - rowStart) / TILE_ROWS * TILE_ROWS;
        int j = 0;
        // Column panels outside the row tiles: the panel of B stays in L1 while the row tiles stream past it.
        for (; j + TILE_COLS <= n; j += TILE_COLS) {
            for (int i = rowStart; i < tiledRowEnd; i += TILE_ROWS) {
                tile4x4(a, aRowStride, aColStride, b, c, p0, p1, n, i, j, accumulate);
            }
            for (int i = tiledRowEnd; i < rowEnd; i++) {
                tile1x4(a, aRowStride, aColStride, b, c, p0, p1, n, i, j, accumulate);
            }
        }
        for (; j < n; j += 2 * LANES) {
            VectorMask<Float> left = SPECIES.indexInRange(j, n);
            VectorMask<Float> right = SPECIES.indexInRange(j + LANES, n);
            for (int i = rowStart; i < tiledRowEnd; i += TILE_ROWS) {
                tile4x2(a, aRowStride, aColStride, b, c, p0, p1, n, i, j, left, right, accumulate);
            }
            for (int i = tiledRowEnd; i < rowEnd; i++) {
                tile1x2(a, aRowStride, aColStride, b, c, p0, p1, n, i, j, left, right, accumulate);
            }
        }
    }

    private static void tile4x4(float[] a, int aRowStride, int aColStride, float[] b, float[] c,
                                int p0, int p1, int n, int i, int j, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int a0 = i * aRowStride, a1 = a0 + aRowStride, a2 = a1 + aRowStride, a3 = a2 + aRowStride;
        for (int p = p0; p < p1; p++) {
            int bp = p * n + j;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
            FloatVector b2 = FloatVector.fromArray(SPECIES, b, bp + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(SPECIES, b, bp + 3 * LANES);
            int ap = p * aColStride;
            FloatVector x0 = FloatVector.broadcast(SPECIES, a[a0 + ap]);
            c00 = x0.fma(b0, c00); c01 = x0.fma(b1, c01); c02 = x0.fma(b2, c02); c03 = x0.fma(b3, c03);
            FloatVector x1 = FloatVector.broadcast(SPECIES, a[a1 + ap]);
            c10 = x1.fma(b0, c10); c11 = x1.fma(b1, c11); c12 = x1.fma(b2, c12); c13 = x1.fma(b3, c13);
            FloatVector x2 = FloatVector.broadcast(SPECIES, a[a2 + ap]);
            c20 = x2.fma(b0, c20); c21 = x2.fma(b1, c21); c22 = x2.fma(b2, c22); c23 = x2.fma(b3, c23);
            FloatVector x3 = FloatVector.broadcast(SPECIES, a[a3 + ap]);
            c30 = x3.fma(b0, c30); c31 = x3.fma(b1, c31); c32 = x3.fma(b2, c32); c33 = x3.fma(b3, c33);
        }
        int row = i * n + j;
        store(c00, c, row, accumulate); store(c01, c, row + LANES, accumulate);
        store(c02, c, row + 2 * LANES, accumulate); store(c03, c, row + 3 * LANES, accumulate);
        row += n;
        store(c10, c, row, accumulate); store(c11, c, row + LANES, accumulate);
        store(c12, c, row + 2 * LANES, accumulate); store(c13, c, row + 3 * LANES, accumulate);
        row += n;
        store(c20, c, row, accumulate); store(c21, c, row + LANES, accumulate);
        store(c22, c, row + 2 * LANES, accumulate); store(c23, c, row + 3 * LANES, accumulate);
        row += n;
        store(c30, c, row, accumulate); store(c31, c, row + LANES, accumulate);
        store(c32, c, row + 2 * LANES, accumulate); store(c33, c, row + 3 * LANES, accumulate);
    }

    private static void tile1x4(float[] a, int aRowStride, int aColStride, float[] b, float[] c,
                                int p0, int p1, int n, int i, int j, boolean accumulate) {
        FloatVector c0 = FloatVector.zero(SPECIES), c1 = c0, c2 = c0, c3 = c0;
        int a0 = i * aRowStride;
        for (int p = p0; p < p1; p++) {
            int bp = p * n + j;
            FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + p * aColStride]);
            c0 = x.fma(FloatVector.fromArray(SPECIES, b, bp), c0);
            c1 = x.fma(FloatVector.fromArray(SPECIES, b, bp + LANES), c1);
            c2 = x.fma(FloatVector.fromArray(SPECIES, b, bp + 2 * LANES), c2);
            c3 = x.fma(FloatVector.fromArray(SPECIES, b, bp + 3 * LANES), c3);
        }
        int row = i * n + j;
        store(c0, c, row, accumulate); store(c1, c, row + LANES, accumulate);
        store(c2, c, row + 2 * LANES, accumulate); store(c3, c, row + 3 * LANES, accumulate);
    }

    /** Column tail (under 64 columns left): 2 vectors at a time, masked past column n. */
    private static void tile4x2(float[] a, int aRowStride, int aColStride, float[] b, float[] c,
                                int p0, int p1, int n, int i, int j,
                                VectorMask<Float> left, VectorMask<Float> right, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int a0 = i * aRowStride, a1 = a0 + aRowStride, a2 = a1 + aRowStride, a3 = a2 + aRowStride;
        for (int p = p0; p < p1; p++) {
            int bp = p * n + j;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp, left);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES, right);
            int ap = p * aColStride;
            FloatVector x0 = FloatVector.broadcast(SPECIES, a[a0 + ap]);
            c00 = x0.fma(b0, c00); c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(SPECIES, a[a1 + ap]);
            c10 = x1.fma(b0, c10); c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(SPECIES, a[a2 + ap]);
            c20 = x2.fma(b0, c20); c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(SPECIES, a[a3 + ap]);
            c30 = x3.fma(b0, c30); c31 = x3.fma(b1, c31);
        }
        int row = i * n + j;
        store(c00, c, row, left, accumulate); store(c01, c, row + LANES, right, accumulate);
        row += n;
        store(c10, c, row, left, accumulate); store(c11, c, row + LANES, right, accumulate);
        row += n;
        store(c20, c, row, left, accumulate); store(c21, c, row + LANES, right, accumulate);
        row += n;
        store(c30, c, row, left, accumulate); store(c31, c, row + LANES, right, accumulate);
    }

    private static void tile1x2(float[] a, int aRowStride, int aColStride, float[] b, float[] c,
                                int p0, int p1, int n, int i, int j,
                                VectorMask<Float> left, VectorMask<Float> right, boolean accumulate) {
        FloatVector c0 = FloatVector.zero(SPECIES), c1 = c0;
        int a0 = i * aRowStride;
        for (int p = p0; p < p1; p++) {
            int bp = p * n + j;
            FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + p * aColStride]);
            c0 = x.fma(FloatVector.fromArray(SPECIES, b, bp, left), c0);
            c1 = x.fma(FloatVector.fromArray(SPECIES, b, bp + LANES, right), c1);
        }
        int row = i * n + j;
        store(c0, c, row, left, accumulate);
        store(c1, c, row + LANES, right, accumulate);
    }

    private static void store(FloatVector sum, float[] c, int offset, boolean accumulate) {
        (accumulate ? sum.add(FloatVector.fromArray(SPECIES, c, offset)) : sum).intoArray(c, offset);
    }

    private static void store(FloatVector sum, float[] c, int offset, VectorMask<Float> columns, boolean accumulate) {
        (accumulate ? sum.add(FloatVector.fromArray(SPECIES, c, offset, columns)) : sum).intoArray(c, offset, columns);
    }

    /**
     * Rows [rowStart, rowEnd) of C[·×n] += A[·×k]·B[k×n] (all row-major) for n a multiple of 64: the compiled
     * engine's products. Its own tiles, which start from C and only add: the tiles of {@link #multiply} choose
     * between two kinds of store, and with both hot (the engine accumulates, the tape mostly does not) C2
     * compiled them with boxed vectors, the Vector API's Java fallback (docs/performance.md, "The compiled engine").
     * Loads and stores are written out in the tiles, since a vector passed to a helper C2 does not inline is
     * boxed too.
     */
    static void multiplyTilesAdd(float[] a, float[] b, float[] c, int k, int n, int rowStart, int rowEnd) {
        int tiledRowEnd = rowStart + (rowEnd - rowStart) / TILE_ROWS * TILE_ROWS;
        for (int j = 0; j < n; j += TILE_COLS) {
            for (int i = rowStart; i < tiledRowEnd; i += TILE_ROWS) addTile4x4(a, b, c, k, n, i, j);
            for (int i = tiledRowEnd; i < rowEnd; i++) addTile1x4(a, b, c, k, n, i, j);
        }
    }

    private static void addTile4x4(float[] a, float[] b, float[] c, int k, int n, int i, int j) {
        int r0 = i * n + j, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
        FloatVector c00 = FloatVector.fromArray(SPECIES, c, r0), c01 = FloatVector.fromArray(SPECIES, c, r0 + LANES);
        FloatVector c02 = FloatVector.fromArray(SPECIES, c, r0 + 2 * LANES), c03 = FloatVector.fromArray(SPECIES, c, r0 + 3 * LANES);
        FloatVector c10 = FloatVector.fromArray(SPECIES, c, r1), c11 = FloatVector.fromArray(SPECIES, c, r1 + LANES);
        FloatVector c12 = FloatVector.fromArray(SPECIES, c, r1 + 2 * LANES), c13 = FloatVector.fromArray(SPECIES, c, r1 + 3 * LANES);
        FloatVector c20 = FloatVector.fromArray(SPECIES, c, r2), c21 = FloatVector.fromArray(SPECIES, c, r2 + LANES);
        FloatVector c22 = FloatVector.fromArray(SPECIES, c, r2 + 2 * LANES), c23 = FloatVector.fromArray(SPECIES, c, r2 + 3 * LANES);
        FloatVector c30 = FloatVector.fromArray(SPECIES, c, r3), c31 = FloatVector.fromArray(SPECIES, c, r3 + LANES);
        FloatVector c32 = FloatVector.fromArray(SPECIES, c, r3 + 2 * LANES), c33 = FloatVector.fromArray(SPECIES, c, r3 + 3 * LANES);
        int a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (int p = 0; p < k; p++) {
            int bp = p * n + j;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
            FloatVector b2 = FloatVector.fromArray(SPECIES, b, bp + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(SPECIES, b, bp + 3 * LANES);
            FloatVector x0 = FloatVector.broadcast(SPECIES, a[a0 + p]);
            c00 = x0.fma(b0, c00); c01 = x0.fma(b1, c01); c02 = x0.fma(b2, c02); c03 = x0.fma(b3, c03);
            FloatVector x1 = FloatVector.broadcast(SPECIES, a[a1 + p]);
            c10 = x1.fma(b0, c10); c11 = x1.fma(b1, c11); c12 = x1.fma(b2, c12); c13 = x1.fma(b3, c13);
            FloatVector x2 = FloatVector.broadcast(SPECIES, a[a2 + p]);
            c20 = x2.fma(b0, c20); c21 = x2.fma(b1, c21); c22 = x2.fma(b2, c22); c23 = x2.fma(b3, c23);
            FloatVector x3 = FloatVector.broadcast(SPECIES, a[a3 + p]);
            c30 = x3.fma(b0, c30); c31 = x3.fma(b1, c31); c32 = x3.fma(b2, c32); c33 = x3.fma(b3, c33);
        }
        c00.intoArray(c, r0); c01.intoArray(c, r0 + LANES); c02.intoArray(c, r0 + 2 * LANES); c03.intoArray(c, r0 + 3 * LANES);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + LANES); c12.intoArray(c, r1 + 2 * LANES); c13.intoArray(c, r1 + 3 * LANES);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + LANES); c22.intoArray(c, r2 + 2 * LANES); c23.intoArray(c, r2 + 3 * LANES);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + LANES); c32.intoArray(c, r3 + 2 * LANES); c33.intoArray(c, r3 + 3 * LANES);
    }

    private static void addTile1x4(float[] a, float[] b, float[] c, int k, int n, int i, int j) {
        int r0 = i * n + j;
        FloatVector c0 = FloatVector.fromArray(SPECIES, c, r0), c1 = FloatVector.fromArray(SPECIES, c, r0 + LANES);
        FloatVector c2 = FloatVector.fromArray(SPECIES, c, r0 + 2 * LANES), c3 = FloatVector.fromArray(SPECIES, c, r0 + 3 * LANES);
        int a0 = i * k;
        for (int p = 0; p < k; p++) {
            int bp = p * n + j;
            FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + p]);
            c0 = x.fma(FloatVector.fromArray(SPECIES, b, bp), c0);
            c1 = x.fma(FloatVector.fromArray(SPECIES, b, bp + LANES), c1);
            c2 = x.fma(FloatVector.fromArray(SPECIES, b, bp + 2 * LANES), c2);
            c3 = x.fma(FloatVector.fromArray(SPECIES, b, bp + 3 * LANES), c3);
        }
        c0.intoArray(c, r0); c1.intoArray(c, r0 + LANES); c2.intoArray(c, r0 + 2 * LANES); c3.intoArray(c, r0 + 3 * LANES);
    }

    /**
     * Rows [rowStart, rowEnd) of C[·×n] += A[·×k]·B[k×n] (all row-major) for n a multiple of two vectors: panels
     * of two vectors without masks, for widths such as 32 that the 64-column tiles would cover only with masked
     * tails (the compiled engine's products into the 32 radial-basis features).
     */
    static void multiplyPairsAdd(float[] a, float[] b, float[] c, int k, int n, int rowStart, int rowEnd) {
        int tiledRowEnd = rowStart + (rowEnd - rowStart) / TILE_ROWS * TILE_ROWS;
        for (int j = 0; j < n; j += 2 * LANES) {
            for (int i = rowStart; i < tiledRowEnd; i += TILE_ROWS) pairTile4(a, b, c, k, n, i, j);
            for (int i = tiledRowEnd; i < rowEnd; i++) pairTile1(a, b, c, k, n, i, j);
        }
    }

    private static void pairTile4(float[] a, float[] b, float[] c, int k, int n, int i, int j) {
        int r0 = i * n + j, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
        FloatVector c00 = FloatVector.fromArray(SPECIES, c, r0), c01 = FloatVector.fromArray(SPECIES, c, r0 + LANES), c10 = FloatVector.fromArray(SPECIES, c, r1), c11 = FloatVector.fromArray(SPECIES, c, r1 + LANES);
        FloatVector c20 = FloatVector.fromArray(SPECIES, c, r2), c21 = FloatVector.fromArray(SPECIES, c, r2 + LANES), c30 = FloatVector.fromArray(SPECIES, c, r3), c31 = FloatVector.fromArray(SPECIES, c, r3 + LANES);
        int a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (int p = 0; p < k; p++) {
            int bp = p * n + j;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp), b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
            FloatVector x0 = FloatVector.broadcast(SPECIES, a[a0 + p]);
            c00 = x0.fma(b0, c00); c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(SPECIES, a[a1 + p]);
            c10 = x1.fma(b0, c10); c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(SPECIES, a[a2 + p]);
            c20 = x2.fma(b0, c20); c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(SPECIES, a[a3 + p]);
            c30 = x3.fma(b0, c30); c31 = x3.fma(b1, c31);
        }
        c00.intoArray(c, r0); c01.intoArray(c, r0 + LANES); c10.intoArray(c, r1); c11.intoArray(c, r1 + LANES);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + LANES); c30.intoArray(c, r3); c31.intoArray(c, r3 + LANES);
    }

    private static void pairTile1(float[] a, float[] b, float[] c, int k, int n, int i, int j) {
        int r0 = i * n + j;
        FloatVector c0 = FloatVector.fromArray(SPECIES, c, r0), c1 = FloatVector.fromArray(SPECIES, c, r0 + LANES);
        int a0 = i * k;
        for (int p = 0; p < k; p++) {
            int bp = p * n + j;
            FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + p]);
            c0 = x.fma(FloatVector.fromArray(SPECIES, b, bp), c0);
            c1 = x.fma(FloatVector.fromArray(SPECIES, b, bp + LANES), c1);
        }
        c0.intoArray(c, r0);
        c1.intoArray(c, r0 + LANES);
    }

    /**
     * Rows [rowStart, rowEnd) of C[·×n] = (or += if accumulate) A·Btᵀ, with A row-major [·×k] and Bt
     * row-major [n×k]: each output is a dot product along k. Good for skinny outputs (n of 1–8), where a
     * column tile would leave most vector lanes empty. Four rows at a time keep four FMA chains in flight.
     */
    static void multiplyTransB(float[] a, float[] bt, float[] c, int k, int n,
                               int rowStart, int rowEnd, boolean accumulate) {
        int kVectors = SPECIES.loopBound(k);
        int i = rowStart;
        for (; i + TILE_ROWS <= rowEnd; i += TILE_ROWS) {
            int a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
            for (int j = 0; j < n; j++) {
                int bj = j * k;
                FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
                int p = 0;
                for (; p < kVectors; p += LANES) {
                    FloatVector w = FloatVector.fromArray(SPECIES, bt, bj + p);
                    s0 = FloatVector.fromArray(SPECIES, a, a0 + p).fma(w, s0);
                    s1 = FloatVector.fromArray(SPECIES, a, a1 + p).fma(w, s1);
                    s2 = FloatVector.fromArray(SPECIES, a, a2 + p).fma(w, s2);
                    s3 = FloatVector.fromArray(SPECIES, a, a3 + p).fma(w, s3);
                }
                float d0 = sumLanes(s0), d1 = sumLanes(s1);
                float d2 = sumLanes(s2), d3 = sumLanes(s3);
                for (; p < k; p++) {
                    float w = bt[bj + p];
                    d0 += a[a0 + p] * w; d1 += a[a1 + p] * w; d2 += a[a2 + p] * w; d3 += a[a3 + p] * w;
                }
                int out = i * n + j;
                put(c, out, d0, accumulate);
                put(c, out + n, d1, accumulate);
                put(c, out + 2 * n, d2, accumulate);
                put(c, out + 3 * n, d3, accumulate);
            }
        }
        for (; i < rowEnd; i++) {
            int a0 = i * k;
            for (int j = 0; j < n; j++) {
                int bj = j * k;
                FloatVector s = FloatVector.zero(SPECIES);
                int p = 0;
                for (; p < kVectors; p += LANES) {
                    s = FloatVector.fromArray(SPECIES, a, a0 + p).fma(FloatVector.fromArray(SPECIES, bt, bj + p), s);
                }
                float d = sumLanes(s);
                for (; p < k; p++) {
                    d += a[a0 + p] * bt[bj + p];
                }
                put(c, i * n + j, d, accumulate);
            }
        }
    }

    private static void put(float[] c, int index, float value, boolean accumulate) {
        c[index] = accumulate ? c[index] + value : value;
    }

    /** Lane permutations that fold the upper half of the live lanes onto the lower half: +L/2, +L/4, …, +1. */
    private static final VectorShuffle<Float>[] FOLDS = folds();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        int steps = Integer.numberOfTrailingZeros(LANES);
        VectorShuffle<Float>[] f = new VectorShuffle[steps];
        for (int s = 0, half = LANES / 2; s < steps; s++, half /= 2) {
            int h = half;
            f[s] = VectorShuffle.fromOp(SPECIES, i -> (i + h) % LANES);
        }
        return f;
    }

    /**
     * Sum of the lanes as a fixed pairwise tree (fold halves, then lane 0). reduceLanes(ADD) may add in
     * a different order once C2 has compiled it than in the interpreter, which made results depend on
     * JIT timing (a training run and its resumed twin drifted apart in the last bit); a scalar loop
     * over lane(i) is deterministic too but defeats the vector intrinsics.
     */
    private static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> fold : FOLDS) v = v.add(v.rearrange(fold));
        return v.lane(0);
    }
}
