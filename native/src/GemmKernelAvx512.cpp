// The AVX-512F micro-kernel: up to 12 rows x 32 columns in 24 zmm accumulators, two A slivers
// and two B slivers of the common packing at once. Per k step: 2 B loads and 12 broadcasts feed
// 24 FMAs, so the two FMA ports, not the loads, bound it. Compiled for AVX-512 by function
// attributes and called only when the CPU reports avx512f, so the build works on any x86-64.
#include <algorithm>

#include "GemmKernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace ditto {

// MS A slivers (MS * MR rows) x NS B slivers (NS * NR columns); PACKED: A packed, else in place.
template <int MS, int NS, bool PACKED>
__attribute__((target("avx512f"))) static void tile(int kc, const float* a, int lda, int rows, const float* b, int ldb, int bNext, float* c,
                                                    int ldc, float alpha, bool overwrite) {
    constexpr int R = MS * MR;
    __m512 acc[R][NS];
#pragma GCC unroll 12
    for (int r = 0; r < R; r++)
#pragma GCC unroll 2
        for (int s = 0; s < NS; s++) acc[r][s] = _mm512_setzero_ps();
    // the C tile is far away in memory (rows ldc apart): fetch it now so the final loads do not stall
    if (!overwrite)
#pragma GCC unroll 12
        for (int r = 0; r < R; r++)
#pragma GCC unroll 2
            for (int s = 0; s < NS; s++) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + s * NR), _MM_HINT_T0);
    if (PACKED) {
        const float* a1 = a + (size_t)MR * kc;
#pragma GCC unroll 2
        for (int p = 0; p < kc; p++) {
            __m512 b0 = _mm512_loadu_ps(b), b1 = NS == 2 ? _mm512_loadu_ps(b + bNext) : b0;
#pragma GCC unroll 12
            for (int r = 0; r < R; r++) {
                __m512 x = _mm512_set1_ps(r < MR ? a[r] : a1[r - MR]);
                acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
                if (NS == 2) acc[r][NS - 1] = _mm512_fmadd_ps(x, b1, acc[r][NS - 1]);
            }
            a += MR;
            a1 += MR;
            b += ldb;
        }
    } else {
        const float* ar[R];
#pragma GCC unroll 12
        for (int r = 0; r < R; r++) ar[r] = a + (size_t)std::min(r, rows - 1) * lda;
#pragma GCC unroll 2
        for (int p = 0; p < kc; p++) {
            __m512 b0 = _mm512_loadu_ps(b), b1 = NS == 2 ? _mm512_loadu_ps(b + bNext) : b0;
#pragma GCC unroll 12
            for (int r = 0; r < R; r++) {
                __m512 x = _mm512_set1_ps(ar[r][p]);
                acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
                if (NS == 2) acc[r][NS - 1] = _mm512_fmadd_ps(x, b1, acc[r][NS - 1]);
            }
            b += ldb;
        }
    }
    __m512 sc = _mm512_set1_ps(alpha);
#pragma GCC unroll 12
    for (int r = 0; r < R; r++)
#pragma GCC unroll 2
        for (int s = 0; s < NS; s++) {
            float* out = c + r * ldc + s * NR;
            _mm512_storeu_ps(out, overwrite ? _mm512_mul_ps(sc, acc[r][s]) : _mm512_fmadd_ps(sc, acc[r][s], _mm512_loadu_ps(out)));
        }
}

void microKernelAvx512(int kc, const float* a, int lda, int rows, const float* b, int ldb, int bNext, int cols, float* c, int ldc, float alpha,
                       bool overwrite) {
    bool twoA = rows > MR, twoB = cols > NR;
    if (lda == 0) {
        if (twoA) (twoB ? tile<2, 2, true> : tile<2, 1, true>)(kc, a, lda, rows, b, ldb, bNext, c, ldc, alpha, overwrite);
        else (twoB ? tile<1, 2, true> : tile<1, 1, true>)(kc, a, lda, rows, b, ldb, bNext, c, ldc, alpha, overwrite);
    } else {
        if (twoA) (twoB ? tile<2, 2, false> : tile<2, 1, false>)(kc, a, lda, rows, b, ldb, bNext, c, ldc, alpha, overwrite);
        else (twoB ? tile<1, 2, false> : tile<1, 1, false>)(kc, a, lda, rows, b, ldb, bNext, c, ldc, alpha, overwrite);
    }
}

// Output vector k of a 16-step piece holds values 16k..16k+15 of the sliver: value g is row g % MR,
// step g / MR.
struct SliverPermutes {
    int index[MR][16];
    unsigned short rowMask[MR][MR];  // [k][r]: the lanes of output k taken from row r
};
static constexpr SliverPermutes sliverPermutes() {
    SliverPermutes t{};
    for (int k = 0; k < MR; k++)
        for (int e = 0; e < 16; e++) {
            int g = 16 * k + e;
            t.index[k][e] = g / MR;
            t.rowMask[k][g % MR] |= (unsigned short)(1u << e);
        }
    return t;
}
static constexpr SliverPermutes permutes = sliverPermutes();

// One full A sliver: dst[p * MR + r] = src[r][p] for p < kc. Each 16-step piece is six row loads
// and six output vectors, each gathered from the six rows by masked permutes (the scalar copy
// took ~2 cycles a value; packing A was 3% of a training step).
__attribute__((target("avx512f"))) void packSliverAvx512(const float* const* src, int kc, float* dst) {
    static_assert(MR == 6, "six output vectors per 16 steps");
    __m512i idx[MR];
#pragma GCC unroll 6
    for (int k = 0; k < MR; k++) idx[k] = _mm512_loadu_si512(permutes.index[k]);
    int p = 0;
    for (; p + 16 <= kc; p += 16) {
        __m512 row[MR];
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) row[r] = _mm512_loadu_ps(src[r] + p);
#pragma GCC unroll 6
        for (int k = 0; k < MR; k++) {
            __m512 out = _mm512_maskz_permutexvar_ps(permutes.rowMask[k][0], idx[k], row[0]);
#pragma GCC unroll 5
            for (int r = 1; r < MR; r++) out = _mm512_mask_permutexvar_ps(out, permutes.rowMask[k][r], idx[k], row[r]);
            _mm512_storeu_ps(dst + (size_t)p * MR + 16 * k, out);
        }
    }
    for (; p < kc; p++)
        for (int r = 0; r < MR; r++) dst[(size_t)p * MR + r] = src[r][p];
}

}  // namespace ditto
#endif
