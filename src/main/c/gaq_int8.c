/*
 * gaq_int8: integer GEMM kernels for gaq's integer engine, called from Java through java.lang.foreign
 * (org.gaq.engine.kernels.NativeInt8Kernels).
 *
 *   int8:  c[rows×m] = a[rows×k] · W[k×m], exactly, in int32
 *   int4:  out[i][j] = Σ_g scale[g][j] · (Σ_{k in group g} a[i][k] · q[k][j]), groups of 32 along k
 *
 * Three paths with one contract: plain C, AVX-512 VNNI (vpdpbusd) and AMX-INT8 (tdpbssd). The library
 * is compiled for plain x86-64; the fast paths carry per-function target attributes, so the .so loads
 * on any x86-64 CPU and Java picks a path at run time from gaq_int8_features().
 *
 * The Java side checks every argument (array lengths, offsets, shapes) before calling: these functions
 * trust them, and never read or write outside the extents those arguments describe.
 *
 * Weight layout (prepared once in Java, org.gaq.engine.kernels.PreparedInt8): "quads"
 *
 *   packed[((q · mPad) + j) · 4 + r] = w[4q + r][j]     q < kPad / 4,  j < mPad,  r < 4
 *
 * with kPad = k rounded up to 4 and mPad = m rounded up to 16, zeros in the padding. Four consecutive
 * k of one output column are one 32-bit lane: what vpdpbusd multiplies into a lane, and exactly AMX's
 * B-tile layout (a tile = 16 quad rows × 16 columns, row stride mPad·4 bytes). So one layout serves
 * both fast paths; it is the only copy of the codes Java keeps, so k is not padded to AMX's 64 (that
 * doubled the k = 32 weights): AMX copies the last, partial k block of weights into a zeroed buffer.
 *
 * int4 (org.gaq.engine.kernels.PreparedInt4): the same quads, two per byte ("nibble quads"), offset binary:
 *
 *   packed[((q/2 · mPad) + j) · 4 + r] = u[4q + r][j]  in the low nibble for even q, the high one for odd q
 *
 * with u = w + 8 ∈ [0, 15] and k a multiple of 32 (so q/2 pairs never straddle a group). vpdpbusd takes
 * u as its unsigned operand and a as the signed one: Σ a·w = Σ a·u − 8·Σ a, with Σ a per row and group.
 */
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <immintrin.h>
#include <cpuid.h>
#include <unistd.h>
#include <sys/syscall.h>

#define GAQ_INT8_ABI_VERSION 3

/* Feature bits returned by gaq_int8_features(). */
#define FEATURE_VNNI        1  /* avx512f + avx512bw + avx512vnni, with OS support for zmm state */
#define FEATURE_AMX_CPU     2  /* the CPU has amx-tile + amx-int8 and the OS enables tile state in XCR0 */
#define FEATURE_AMX_GRANTED 4  /* ... and the kernel granted this process permission to use it */

#define LANES 16          /* int32 or float lanes of a zmm register */
#define QUAD 4            /* k values per 32-bit lane */
#define INT4_GROUP 32     /* k values sharing one int4 scale */

/* Linux arch_prctl requests for dynamically enabled xstate components (AMX tile data). */
#define ARCH_GET_XCOMP_PERM 0x1022
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

static inline int round_up(int x, int multiple) { return (x + multiple - 1) / multiple * multiple; }

int gaq_int8_abi_version(void) { return GAQ_INT8_ABI_VERSION; }

/* ---------------------------------------------------------------------------------------------
 * CPU features
 * ------------------------------------------------------------------------------------------- */

static int amx_in_cpu_and_os(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    int amx_tile = (edx >> 24) & 1, amx_int8 = (edx >> 25) & 1;
    if (!amx_tile || !amx_int8) return 0;
    /* XCR0 bits 17 (XTILECFG) and 18 (XTILEDATA): the OS manages tile state. xgetbv needs OSXSAVE. */
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !((ecx >> 27) & 1)) return 0;
    uint32_t xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    return ((xcr0_lo >> 17) & 3) == 3;
}

/* Linux hands out AMX tile state only on request (since 5.16); ask once, then check what we got. */
static int request_amx_permission(void) {
    syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA);
    unsigned long permitted = 0;
    if (syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &permitted) != 0) return 0;
    return (permitted >> XFEATURE_XTILEDATA) & 1;
}

/* Feature bits (FEATURE_*). The first call asks the kernel for AMX permission; later calls repeat it
 * harmlessly (the permission is per process and sticky). */
int gaq_int8_features(void) {
    __builtin_cpu_init();
    int features = 0;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vnni")) {
        features |= FEATURE_VNNI;
    }
    if (amx_in_cpu_and_os()) {
        features |= FEATURE_AMX_CPU;
        if (request_amx_permission()) features |= FEATURE_AMX_GRANTED;
    }
    return features;
}

/* ---------------------------------------------------------------------------------------------
 * Plain C: the reference the fast paths must equal, and the path for CPUs without AVX-512 VNNI.
 * ------------------------------------------------------------------------------------------- */

static inline int8_t packed_weight(const int8_t *packed, int m_pad, int p, int j) {
    return packed[((p / QUAD) * m_pad + j) * QUAD + p % QUAD];
}

void gaq_s8_gemm_plain(const int8_t *a, int rows, int k, const int8_t *packed, const int32_t *column_sums,
                       int m, int32_t *c) {
    (void) column_sums;
    int m_pad = round_up(m, LANES);
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < m; j++) {
            int32_t sum = 0;
            for (int p = 0; p < k; p++) sum += a[(long) i * k + p] * packed_weight(packed, m_pad, p, j);
            c[(long) i * m + j] = sum;
        }
    }
}

/* out[i][j] = fma chain over the groups g = 0, 1, ...: acc = fmaf(scale[g][j], (float) dot_g, acc),
 * starting from acc = 0. Every path uses this order and fused multiply-adds, so results are bit-identical.
 * dot_g is at most 32·128·8 in magnitude, so (float) dot_g is exact. */
/* w[p][j] of the nibble-quad layout. */
static inline int nibble_weight(const int8_t *packed, int m_pad, int p, int j) {
    int q = p / QUAD;
    uint8_t byte = (uint8_t) packed[((long) (q / 2) * m_pad + j) * QUAD + p % QUAD];
    return ((q & 1) ? byte >> 4 : byte & 0x0F) - 8;
}

void gaq_s4_gemm_plain(const int8_t *a, int rows, int k, const int8_t *packed,
                       const float *scales, int m, float *out) {
    int m_pad = round_up(m, LANES);
    int groups = k / INT4_GROUP;
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < m; j++) {
            float acc = 0.0f;
            for (int g = 0; g < groups; g++) {
                int32_t dot = 0;
                for (int p = g * INT4_GROUP; p < (g + 1) * INT4_GROUP; p++) {
                    dot += a[(long) i * k + p] * nibble_weight(packed, m_pad, p, j);
                }
                acc = fmaf(scales[(long) g * m_pad + j], (float) dot, acc);
            }
            out[(long) i * m + j] = acc;
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * AVX-512 VNNI
 *
 * vpdpbusd multiplies unsigned bytes by signed bytes. a is signed, so we feed a' = a + 128 (a XOR 0x80
 * per byte, 1..255 for codes −127..127) and subtract 128·Σ_k w[k][j] at the end: Σ a·w = Σ a'·w − 128·Σ w.
 * The padded weights are 0, so whatever a' holds in padded k positions contributes nothing.
 * ------------------------------------------------------------------------------------------- */

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define VNNI_INLINE VNNI_TARGET __attribute__((always_inline)) static inline

#define SIGN_FLIP 0x80808080u

/* The four bytes a[p..p+3] of one row, as a' = a XOR 0x80. */
static inline uint32_t quad_flipped(const int8_t *row, int p) {
    uint32_t word;
    memcpy(&word, row + p, QUAD);
    return word ^ SIGN_FLIP;
}

/* The last, partial quad when k % 4 != 0: bytes past k are never read (their weights are 0 anyway). */
static inline uint32_t tail_quad_flipped(const int8_t *row, int p, int k) {
    uint32_t word = 0;
    memcpy(&word, row + p, (size_t) (k - p));
    return word ^ SIGN_FLIP;
}

/* Store a column block of 16 int32: masked when it runs past column m (masked-out lanes are not written). */
VNNI_INLINE void store_i32(int32_t *dst, __m512i v, int valid) {
    if (valid >= LANES) _mm512_storeu_si512(dst, v);
    else _mm512_mask_storeu_epi32(dst, (__mmask16) ((1u << valid) - 1), v);
}

VNNI_INLINE void store_f32(float *dst, __m512 v, int valid) {
    if (valid >= LANES) _mm512_storeu_ps(dst, v);
    else _mm512_mask_storeu_ps(dst, (__mmask16) ((1u << valid) - 1), v);
}

/* A tile of ROWS rows × VECS·16 columns of c, accumulated in ROWS·VECS registers over every quad of k.
 * ROWS and VECS are compile-time constants at each call, so the arrays below live in registers. */
VNNI_INLINE void vnni_s8_tile(const int8_t *a, int i, int rows_in_tile, int vecs, int k,
                              const int8_t *packed, int m_pad, const int32_t *column_sums, int m, int j,
                              int32_t *c) {
    const int ROWS = rows_in_tile, VECS = vecs;
    __m512i acc[4][4];
    for (int r = 0; r < ROWS; r++)
        for (int v = 0; v < VECS; v++) acc[r][v] = _mm512_setzero_si512();
    const int8_t *row[4];
    for (int r = 0; r < ROWS; r++) row[r] = a + (long) (i + r) * k;

    /* whole quads with fixed-size loads, then the partial quad when k % 4 != 0 */
    int quads = (k + QUAD - 1) / QUAD, whole_quads = k / QUAD;
    for (int q = 0; q < quads; q++) {
        const int8_t *wq = packed + ((long) q * m_pad + j) * QUAD;
        __m512i w[4];
        for (int v = 0; v < VECS; v++) w[v] = _mm512_loadu_si512(wq + v * LANES * QUAD);
        for (int r = 0; r < ROWS; r++) {
            uint32_t word = q < whole_quads ? quad_flipped(row[r], q * QUAD) : tail_quad_flipped(row[r], q * QUAD, k);
            __m512i x = _mm512_set1_epi32((int) word);
            for (int v = 0; v < VECS; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], x, w[v]);
        }
    }
    for (int v = 0; v < VECS; v++) {
        /* 128·Σ w, the contribution of the +128 offset */
        __m512i offset = _mm512_slli_epi32(_mm512_loadu_si512(column_sums + j + v * LANES), 7);
        int valid = m - (j + v * LANES);
        for (int r = 0; r < ROWS; r++) {
            store_i32(c + (long) (i + r) * m + j + v * LANES, _mm512_sub_epi32(acc[r][v], offset), valid);
        }
    }
}

/* 4 rows × 64 columns = 16 accumulators, the most that leaves registers for the weights. */
#define VNNI_TILE_ROWS 4
#define VNNI_TILE_VECS 4

VNNI_TARGET void gaq_s8_gemm_vnni(const int8_t *a, int rows, int k, const int8_t *packed,
                                  const int32_t *column_sums, int m, int32_t *c) {
    int m_pad = round_up(m, LANES);
    int j = 0;
    for (; j + VNNI_TILE_VECS * LANES <= m_pad; j += VNNI_TILE_VECS * LANES) {
        int i = 0;
        for (; i + VNNI_TILE_ROWS <= rows; i += VNNI_TILE_ROWS)
            vnni_s8_tile(a, i, 4, 4, k, packed, m_pad, column_sums, m, j, c);
        for (; i < rows; i++)
            vnni_s8_tile(a, i, 1, 4, k, packed, m_pad, column_sums, m, j, c);
    }
    /* column tail: m_pad is a multiple of 16, so single vectors cover it */
    for (; j < m_pad; j += LANES) {
        int i = 0;
        for (; i + VNNI_TILE_ROWS <= rows; i += VNNI_TILE_ROWS)
            vnni_s8_tile(a, i, 4, 1, k, packed, m_pad, column_sums, m, j, c);
        for (; i < rows; i++)
            vnni_s8_tile(a, i, 1, 1, k, packed, m_pad, column_sums, m, j, c);
    }
}

/* int4: per group of 32 k, an integer dot product: 4 loads of nibble quads, each split into the low
 * nibbles (quad q) and the high ones (quad q + 1), u = w + 8 unsigned, times a signed (no offset on a);
 * then − 8·Σ a of the group, converted to float (exact) and fused-multiply-added with the scale. */
VNNI_INLINE void vnni_s4_tile(const int8_t *a, int i, int rows_in_tile, int vecs, int k,
                              const int8_t *packed, int m_pad,
                              const float *scales, int m, int j, float *out) {
    const int ROWS = rows_in_tile, VECS = vecs;
    const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
    __m512 acc[4][2];
    for (int r = 0; r < ROWS; r++)
        for (int v = 0; v < VECS; v++) acc[r][v] = _mm512_setzero_ps();
    const int8_t *row[4];
    for (int r = 0; r < ROWS; r++) row[r] = a + (long) (i + r) * k;

    int groups = k / INT4_GROUP;
    for (int g = 0; g < groups; g++) {
        __m512i dot[4][2];
        int32_t row_sum[4];
        for (int r = 0; r < ROWS; r++) {
            int32_t sum = 0;
            for (int p = g * INT4_GROUP; p < (g + 1) * INT4_GROUP; p++) sum += row[r][p];
            row_sum[r] = sum;
            for (int v = 0; v < VECS; v++) dot[r][v] = _mm512_setzero_si512();
        }
        for (int q = g * INT4_GROUP / QUAD; q < (g + 1) * INT4_GROUP / QUAD; q += 2) {
            const int8_t *wq = packed + ((long) (q / 2) * m_pad + j) * QUAD;
            __m512i lo[2], hi[2];
            for (int v = 0; v < VECS; v++) {
                __m512i bytes = _mm512_loadu_si512(wq + v * LANES * QUAD);
                lo[v] = _mm512_and_si512(bytes, low_nibbles);
                hi[v] = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), low_nibbles);
            }
            for (int r = 0; r < ROWS; r++) {
                int32_t x0, x1;
                memcpy(&x0, row[r] + q * QUAD, QUAD);
                memcpy(&x1, row[r] + (q + 1) * QUAD, QUAD);
                __m512i a0 = _mm512_set1_epi32(x0), a1 = _mm512_set1_epi32(x1);
                for (int v = 0; v < VECS; v++) {
                    dot[r][v] = _mm512_dpbusd_epi32(dot[r][v], lo[v], a0);
                    dot[r][v] = _mm512_dpbusd_epi32(dot[r][v], hi[v], a1);
                }
            }
        }
        for (int v = 0; v < VECS; v++) {
            __m512 scale = _mm512_loadu_ps(scales + (long) g * m_pad + j + v * LANES);
            for (int r = 0; r < ROWS; r++) {
                __m512i offset = _mm512_set1_epi32(8 * row_sum[r]);
                __m512 d = _mm512_cvtepi32_ps(_mm512_sub_epi32(dot[r][v], offset));
                acc[r][v] = _mm512_fmadd_ps(scale, d, acc[r][v]);
            }
        }
    }
    for (int v = 0; v < VECS; v++) {
        int valid = m - (j + v * LANES);
        for (int r = 0; r < ROWS; r++) store_f32(out + (long) (i + r) * m + j + v * LANES, acc[r][v], valid);
    }
}

/* 4 rows × 32 columns: 8 integer and 8 float accumulators. */
VNNI_TARGET void gaq_s4_gemm_vnni(const int8_t *a, int rows, int k, const int8_t *packed,
                                  const float *scales, int m, float *out) {
    int m_pad = round_up(m, LANES);
    int j = 0;
    for (; j + 2 * LANES <= m_pad; j += 2 * LANES) {
        int i = 0;
        for (; i + 4 <= rows; i += 4) vnni_s4_tile(a, i, 4, 2, k, packed, m_pad, scales, m, j, out);
        for (; i < rows; i++) vnni_s4_tile(a, i, 1, 2, k, packed, m_pad, scales, m, j, out);
    }
    for (; j < m_pad; j += LANES) {
        int i = 0;
        for (; i + 4 <= rows; i += 4) vnni_s4_tile(a, i, 4, 1, k, packed, m_pad, scales, m, j, out);
        for (; i < rows; i++) vnni_s4_tile(a, i, 1, 1, k, packed, m_pad, scales, m, j, out);
    }
}

/* ---------------------------------------------------------------------------------------------
 * AMX-INT8
 *
 * tdpbssd multiplies signed × signed, so no offset is needed. For int8 every tile is configured 16 rows
 * × 64 bytes: C tiles 0–3 hold a 16-row × 64-column block of c (4 × 16 int32), tile 4 a 16 × 64 block of
 * a, tiles 5 and 6 alternate as 64 k × 16 columns of weights (16 quad rows × 64 bytes, straight from the
 * packed layout with stride mPad·4; the last k block, when the weights end before its 16 quad rows,
 * through a zeroed buffer). int4 has no AMX kernel (see further down).
 * The configuration is loaded at the start of each call and released at the end: calls on other threads
 * or from other libraries may use other configurations.
 *
 * a is read in place when a whole 16-row × 64-k block lies inside it; otherwise (the last rows, or the
 * last k block when k % 64 != 0) that block is copied into a zero-padded 1 KiB buffer on the stack first,
 * so no tile load reads past the caller's rows. Likewise C tiles are stored in place only when all their
 * 16 rows and 16 columns are inside c; otherwise through a buffer.
 * ------------------------------------------------------------------------------------------- */

#define AMX_TARGET __attribute__((target("amx-tile,amx-int8,avx512f")))
#define TILE_ROWS 16
#define TILE_BYTES 64     /* bytes per tile row: 64 k of a, or 16 int32 of c */
#define TILE_K 64         /* k per tile product */
#define TILE_COLS 16      /* int32 columns of c per tile */

typedef struct {
    uint8_t palette_id;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

/* gcc 12's AMX intrinsics do not tell the compiler which memory ldtilecfg and tileloadd read:
 * _tile_loadconfig declares 8 bytes (the stores filling the rest of the config were optimised away, and
 * ldtilecfg faulted), _tile_loadd none (so filling a staging buffer could be moved after the load). These
 * wrappers declare the whole config, and put a compiler memory barrier before each tile load. */
#define TILE_LOADCONFIG(config) __asm__ volatile("ldtilecfg %0" :: "m"(*(const tile_config *) (config)) : "memory")
#define TILE_LOADD(tile, base, stride)                                                    \
    do {                                                                                  \
        __asm__ volatile("" ::: "memory");                                                \
        _tile_loadd(tile, base, stride);                                                  \
    } while (0)

/* Tiles 0–3 (C) 16 × 64 bytes; tile 4 (A) 16 rows × a_bytes; tiles 5, 6 (B) a_bytes/4 quad rows × 64 bytes. */
AMX_TARGET static void amx_configure(int a_bytes) {
    tile_config config;
    memset(&config, 0, sizeof config);
    config.palette_id = 1;
    for (int t = 0; t < 4; t++) {
        config.rows[t] = TILE_ROWS;
        config.colsb[t] = TILE_BYTES;
    }
    config.rows[4] = TILE_ROWS;
    config.colsb[4] = a_bytes;
    for (int t = 5; t < 7; t++) {
        config.rows[t] = a_bytes / QUAD;
        config.colsb[t] = TILE_BYTES;
    }
    TILE_LOADCONFIG(&config);
}

/* The a block rows [i0, i0 + valid_rows) × k [kb, kb + 64), zero-padded to 16 × 64, into buffer. */
static void copy_a_block(int8_t *buffer, const int8_t *a, int i0, int valid_rows, int k, int kb) {
    memset(buffer, 0, TILE_ROWS * TILE_BYTES);
    int width = k - kb < TILE_K ? k - kb : TILE_K;
    for (int r = 0; r < valid_rows; r++) memcpy(buffer + r * TILE_BYTES, a + (long) (i0 + r) * k + kb, width);
}

/* Loads the a block for k block kb into tile 4, in place or through buffer. */
#define LOAD_A_TILE(kb)                                                                   \
    do {                                                                                  \
        if (valid_rows == TILE_ROWS && (kb) + TILE_K <= k) {                              \
            TILE_LOADD(4, a + (long) i0 * k + (kb), k);                                  \
        } else {                                                                          \
            copy_a_block(a_buffer, a, i0, valid_rows, k, (kb));                           \
            TILE_LOADD(4, a_buffer, TILE_BYTES);                                         \
        }                                                                                 \
    } while (0)

/* tile t += a tile · weights for k block kb, column block j0 + 16t; B alternates between tiles 5 and 6.
 * The packed weights end at k_quads quad rows: a last block with fewer goes through a zeroed buffer. */
#define DOT_TILE(t, bt)                                                                   \
    do {                                                                                  \
        const int8_t *b = packed + ((long) (kb / QUAD) * m_pad + j0 + (t) * TILE_COLS) * QUAD; \
        if (kb / QUAD + TILE_K / QUAD <= k_quads) {                                       \
            TILE_LOADD(bt, b, w_stride);                                                  \
        } else {                                                                          \
            memset(b_buffer, 0, sizeof b_buffer);                                         \
            for (int qr = 0; qr < k_quads - kb / QUAD; qr++)                              \
                memcpy(b_buffer + qr * TILE_BYTES, b + qr * w_stride, TILE_BYTES);        \
            TILE_LOADD(bt, b_buffer, TILE_BYTES);                                         \
        }                                                                                 \
        _tile_dpbssd(t, 4, bt);                                                           \
    } while (0)

#define STORE_C_TILE(t)                                                                   \
    do {                                                                                  \
        int j = j0 + (t) * TILE_COLS;                                                     \
        if (valid_rows == TILE_ROWS && j + TILE_COLS <= m) {                              \
            _tile_stored(t, c + (long) i0 * m + j, (long) m * 4);                         \
        } else {                                                                          \
            _tile_stored(t, c_buffer, TILE_BYTES);                                        \
            int width = m - j < TILE_COLS ? m - j : TILE_COLS;                            \
            for (int r = 0; r < valid_rows; r++)                                          \
                memcpy(c + (long) (i0 + r) * m + j, c_buffer + r * TILE_COLS, width * 4); \
        }                                                                                 \
    } while (0)

AMX_TARGET void gaq_s8_gemm_amx(const int8_t *a, int rows, int k, const int8_t *packed,
                                const int32_t *column_sums, int m, int32_t *c) {
    (void) column_sums;
    int m_pad = round_up(m, LANES);
    int k_pad = round_up(k, TILE_K);
    int k_quads = (k + QUAD - 1) / QUAD;
    long w_stride = (long) m_pad * QUAD;
    int8_t a_buffer[TILE_ROWS * TILE_BYTES] __attribute__((aligned(64)));
    int8_t b_buffer[TILE_ROWS * TILE_BYTES] __attribute__((aligned(64)));
    int32_t c_buffer[TILE_ROWS * TILE_COLS] __attribute__((aligned(64)));

    amx_configure(TILE_K);
    for (int i0 = 0; i0 < rows; i0 += TILE_ROWS) {
        int valid_rows = rows - i0 < TILE_ROWS ? rows - i0 : TILE_ROWS;
        for (int j0 = 0; j0 < m_pad; j0 += 4 * TILE_COLS) {
            int tiles = (m_pad - j0) / TILE_COLS;
            if (tiles > 4) tiles = 4;
            _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
            for (int kb = 0; kb < k_pad; kb += TILE_K) {
                LOAD_A_TILE(kb);
                DOT_TILE(0, 5);
                if (tiles > 1) DOT_TILE(1, 6);
                if (tiles > 2) DOT_TILE(2, 5);
                if (tiles > 3) DOT_TILE(3, 6);
            }
            STORE_C_TILE(0);
            if (tiles > 1) STORE_C_TILE(1);
            if (tiles > 2) STORE_C_TILE(2);
            if (tiles > 3) STORE_C_TILE(3);
        }
    }
    _tile_release();   /* back to the init state, so context switches need not save tile data */
}

/* int4 has no AMX kernel: tdpbssd wants the codes unpacked to bytes, and the weights stay packed in
 * nibbles (the one copy kept in memory), so the AMX path runs the VNNI int4 kernel (measured before the
 * nibble layout: AMX int4 was 1.0–1.4× VNNI from 64 rows, 0.5× at 9). */
