// bf16 weight products with vdpbf16ps. Operands are packed as bf16 pairs along k (one 32-bit
// word holds values k and k + 1): A in MR-row slivers ([kc/2][MR] words), B in NR-column slivers
// ([kc/2][NR] words, one zmm per k pair), so one vdpbf16ps adds two k steps of a row times 16
// columns. The tile is the AVX-512F kernel's 12 x 32 (24 zmm accumulators, fp32). Functions that
// use the instructions carry target attributes and run only where the CPU reports avx512_bf16,
// so the build works on any x86-64.
#include "GemmBf16.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

#include "Dequantize.h"
#include "GemmKernels.h"
#include "GgufFile.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DITTO_X86 1
#endif

namespace ditto {

// bf16 bits of x as vcvtne2ps2bf16 gives them: nearest even, NaN quieted, denormals to signed zero.
static uint16_t bf16Bits(float x) {
    uint32_t b;
    std::memcpy(&b, &x, 4);
    if ((b & 0x7fffffff) > 0x7f800000) return (uint16_t)((b >> 16) | 0x40);
    if ((b & 0x7f800000) == 0) return (uint16_t)((b >> 16) & 0x8000);
    return (uint16_t)((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

float roundToBf16(float x) {
    uint32_t b = (uint32_t)bf16Bits(x) << 16;
    float f;
    std::memcpy(&f, &b, 4);
    return f;
}

bool bf16WeightType(uint32_t type) { return type == GGML_BF16 || type == GGML_F16; }

bool cpuHasBf16() {
#ifdef DITTO_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && cpuHasIsa(GemmIsa::Avx512);
#else
    return false;
#endif
}

std::string bf16Unavailable() {
    if (!cpuHasBf16())
        return "precision bf16 needs a CPU with AVX512-BF16 (the avx512_bf16 flag in /proc/cpuinfo), which this CPU lacks; use precision fp32";
    if (processIsa() != GemmIsa::Avx512)
        return std::string("precision bf16 needs the AVX-512 kernels, which DITTO_GEMM_KERNEL=") + isaName(processIsa()) +
               " turns off; unset DITTO_GEMM_KERNEL or use precision fp32";
    return "";
}

#ifdef DITTO_X86
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized inside _mm512_cvtph_ps and the gathers
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// Grow-only buffer of 32-bit words aligned to a cache line.
struct WordBuffer {
    uint32_t* ptr = nullptr;
    size_t n = 0;
    uint32_t* get(size_t want) {
        if (want > n) {
            std::free(ptr);
            ptr = nullptr;
            n = 0;
            ptr = static_cast<uint32_t*>(std::aligned_alloc(64, (want * 4 + 63) / 64 * 64));
            if (!ptr) throw std::bad_alloc();
            n = want;
        }
        return ptr;
    }
    ~WordBuffer() { std::free(ptr); }
};

#define DITTO_BF16 __attribute__((target("avx512f,avx512bf16")))

// MS A slivers x NS B slivers; kp k pairs; a: packed A words, b: packed B words (second sliver at
// b + bNext). C tile += (or, overwrite, =) alpha * sum.
template <int MS, int NS>
DITTO_BF16 static void tileBf16(int kp, const uint32_t* a, const uint32_t* b, int bNext, float* c, int ldc, float alpha, bool overwrite) {
    constexpr int R = MS * MR;
    __m512 acc[R][NS];
#pragma GCC unroll 12
    for (int r = 0; r < R; r++)
#pragma GCC unroll 2
        for (int s = 0; s < NS; s++) acc[r][s] = _mm512_setzero_ps();
    if (!overwrite)
#pragma GCC unroll 12
        for (int r = 0; r < R; r++)
#pragma GCC unroll 2
            for (int s = 0; s < NS; s++) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + s * NR), _MM_HINT_T0);
    const uint32_t* a1 = a + (size_t)MR * kp;
#pragma GCC unroll 2
    for (int p = 0; p < kp; p++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512(b);
        __m512bh b1 = NS == 2 ? (__m512bh)_mm512_load_si512(b + bNext) : b0;
#pragma GCC unroll 12
        for (int r = 0; r < R; r++) {
            __m512bh x = (__m512bh)_mm512_set1_epi32((int)(r < MR ? a[r] : a1[r - MR]));
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], x, b0);
            if (NS == 2) acc[r][NS - 1] = _mm512_dpbf16_ps(acc[r][NS - 1], x, b1);
        }
        a += MR;
        a1 += MR;
        b += NR;
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

// n values of a row of floats -> bf16 pairs (n/2 words, a zero high half when n is odd)
DITTO_BF16 static void floatsToPairs(const float* src, int n, uint32_t* out) {
    int k = 0;
    for (; k + 32 <= n; k += 32)
        _mm512_storeu_si512(out + k / 2, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + k + 16), _mm512_loadu_ps(src + k)));
    for (; k < n; k += 2) out[k / 2] = bf16Bits(src[k]) | (k + 1 < n ? (uint32_t)bf16Bits(src[k + 1]) << 16 : 0u);
}

// Packs A[i0.., p0..] (mc x kc, row-major, lda) into MR-row slivers of kp = ceil(kc/2) words per row.
DITTO_BF16 static void packABf16(const float* A, int lda, int i0, int p0, int mc, int kc, uint32_t* out) {
    int kp = (kc + 1) / 2;
    thread_local std::vector<uint32_t> row;
    row.resize(kp);
    for (int is = 0; is < mc; is += MR) {
        uint32_t* dst = out + (size_t)is * kp;
        for (int r = 0; r < MR; r++) {
            if (is + r >= mc) {
                for (int q = 0; q < kp; q++) dst[q * MR + r] = 0;
                continue;
            }
            floatsToPairs(A + (size_t)(i0 + is + r) * lda + p0, kc, row.data());
            for (int q = 0; q < kp; q++) dst[q * MR + r] = row[q];
        }
    }
}

// W[row][c0 .. c0 + n) as bf16 bits: BF16 copied, F16 widened and rounded to nearest even.
DITTO_BF16 static void weightRowBf16(const WeightMatrix& w, int row, int c0, int n, uint16_t* out) {
    const uint16_t* h = reinterpret_cast<const uint16_t*>(w.data + (size_t)row * w.rowBytes) + c0;
    if (w.type == GGML_BF16) {
        std::memcpy(out, h, (size_t)n * 2);
        return;
    }
    int i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), (__m256i)_mm512_cvtneps_pbh(_mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(h + i)))));
    for (; i < n; i++) out[i] = bf16Bits(halfToFloat(h[i]));
}

// Packs op(W)[p0.., j0..] (kc x nc) into NR-column slivers, [kp][NR] words each, zero-padded.
DITTO_BF16 static void packWeightBf16(bool transW, const WeightMatrix& w, int p0, int j0, int kc, int nc, uint32_t* out) {
    int kp = (kc + 1) / 2;
    thread_local std::vector<uint16_t> rows;
    if (transW) {  // op(W)[p][j] = W[j][p]: a word of row j holds values p, p + 1: gather each k pair's 16 words
        int lds = (kp + 15) / 16 * 16;  // words per row
        rows.assign((size_t)NR * lds * 2, 0);
        const uint32_t* words = reinterpret_cast<const uint32_t*>(rows.data());
        const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(lds));
        for (int js = 0; js < nc; js += NR) {
            int cols = std::min(NR, nc - js);
            for (int j = 0; j < NR; j++) {
                uint16_t* r = rows.data() + (size_t)j * lds * 2;
                if (j < cols) weightRowBf16(w, j0 + js + j, p0, kc, r);
                else std::memset(r, 0, (size_t)kc * 2);
                if (kc % 2) r[kc] = 0;
            }
            uint32_t* dst = out + (size_t)js * kp;
            for (int q = 0; q < kp; q++) _mm512_store_si512(dst + (size_t)q * NR, _mm512_i32gather_epi32(idx, words + q, 4));
        }
    } else {  // op(W)[p][j] = W[p][j]: rows p and p + 1 interleaved into words
        int ncPad = (nc + NR - 1) / NR * NR;
        rows.assign((size_t)2 * ncPad, 0);
        uint16_t* r0 = rows.data();
        uint16_t* r1 = rows.data() + ncPad;
        for (int q = 0; q < kp; q++) {
            weightRowBf16(w, p0 + 2 * q, j0, nc, r0);
            if (2 * q + 1 < kc) weightRowBf16(w, p0 + 2 * q + 1, j0, nc, r1);
            else std::memset(r1, 0, (size_t)nc * 2);
            for (int js = 0; js < nc; js += NR) {
                __m512i lo = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r0 + js)));
                __m512i hi = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r1 + js)));
                _mm512_store_si512(out + (size_t)js * kp + (size_t)q * NR, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
            }
        }
    }
}

static void kernelBf16(int kp, const uint32_t* a, int rows, const uint32_t* b, int bNext, int cols, float* c, int ldc, float alpha,
                       bool overwrite) {
    if (rows > MR) (cols > NR ? tileBf16<2, 2> : tileBf16<2, 1>)(kp, a, b, bNext, c, ldc, alpha, overwrite);
    else (cols > NR ? tileBf16<1, 2> : tileBf16<1, 1>)(kp, a, b, bNext, c, ldc, alpha, overwrite);
}

struct Bf16Plan {
    int KC, MC, NC, Mpad;
    const uint32_t* packedA;  // all of bf16(A): k-block pc at (pc / 2) * Mpad words, MR-row slivers
};

// Rows [m0, m1) x columns [n0, n1) of C; m0 a multiple of MR.
static void serialBf16(const Bf16Plan& plan, bool transW, int m0, int m1, int n0, int n1, int K, float alpha, const WeightMatrix& w, float* C,
                       int ldc, bool overwrite) {
    thread_local WordBuffer panel;
    uint32_t* packedB = panel.get((size_t)(plan.KC / 2) * (plan.NC + 2 * NR));
    alignas(64) float edge[MAX_TILE_ROWS * MAX_TILE_COLS];
    for (int jc = n0; jc < n1; jc += plan.NC) {
        int nc = std::min(plan.NC, n1 - jc);
        for (int pc = 0; pc < K; pc += plan.KC) {
            int kc = std::min(plan.KC, K - pc), kp = (kc + 1) / 2;
            bool first = overwrite && pc == 0;
            packWeightBf16(transW, w, pc, jc, kc, nc, packedB);
            for (int ic = m0; ic < m1; ic += plan.MC) {
                int mc = std::min(plan.MC, m1 - ic);
                const uint32_t* ablock = plan.packedA + (size_t)(pc / 2) * plan.Mpad + (size_t)ic * kp;
                for (int jr = 0; jr < nc; jr += 2 * NR) {
                    int cols = std::min(2 * NR, nc - jr);
                    const uint32_t* bs = packedB + (size_t)jr * kp;
                    for (int ir = 0; ir < mc; ir += 2 * MR) {
                        int rows = std::min(2 * MR, mc - ir);
                        const uint32_t* as = ablock + (size_t)ir * kp;
                        float* c = C + (size_t)(ic + ir) * ldc + jc + jr;
                        int ktr = rows > MR ? 2 * MR : MR, ktc = cols > NR ? 2 * NR : NR;
                        if (rows == ktr && cols == ktc) {
                            kernelBf16(kp, as, rows, bs, NR * kp, cols, c, ldc, alpha, first);
                        } else {
                            kernelBf16(kp, as, rows, bs, NR * kp, cols, edge, ktc, alpha, true);
                            for (int r = 0; r < rows; r++)
                                for (int j = 0; j < cols; j++) c[r * ldc + j] = (first ? 0.0f : c[r * ldc + j]) + edge[r * ktc + j];
                        }
                    }
                }
            }
        }
    }
}

void gemmWeightBf16(ThreadPool* pool, bool transW, int M, int N, int K, float alpha, const float* A, int lda, const WeightMatrix& w, float beta,
                    float* C, int ldc) {
    if (M <= 0 || N <= 0) return;
    bool overwrite = beta == 0.0f && K > 0 && alpha != 0.0f;
    if (beta == 0.0f && !overwrite) {
        for (int i = 0; i < M; i++) std::memset(C + (size_t)i * ldc, 0, N * sizeof(float));
    } else if (beta != 1.0f && beta != 0.0f) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] *= beta;
    }
    if (K <= 0 || alpha == 0.0f) return;
    // the fp32 kernel's blocks in bytes: twice the k values per sliver in the same L1 share
    const GemmBlocking& blk = activeBlocking(GemmIsa::Avx512);
    Bf16Plan plan{std::max(32, blk.kc * 2 / 32 * 32), std::max(2 * MR, blk.mc / (2 * MR) * (2 * MR)), std::max(2 * NR, blk.nc / (2 * NR) * (2 * NR)),
                  (M + MR - 1) / MR * MR, nullptr};
    int threads = (pool && !insideParallelRegion()) ? pool->size() : 1;
    if ((double)M * N * K < 2e5) threads = 1;
    // bf16(A) packed once, for all threads: half the bytes of A
    thread_local WordBuffer shared;
    uint32_t* packedA = shared.get((size_t)plan.Mpad * ((K + 1) / 2));
    int kBlocks = (K + plan.KC - 1) / plan.KC, mBlocks = (M + plan.MC - 1) / plan.MC;
    auto packTask = [&](int task, int) {
        int pc = task / mBlocks * plan.KC, ic = task % mBlocks * plan.MC;
        int kc = std::min(plan.KC, K - pc), mc = std::min(plan.MC, M - ic);
        packABf16(A, lda, ic, pc, mc, kc, packedA + (size_t)(pc / 2) * plan.Mpad + (size_t)ic * ((kc + 1) / 2));
    };
    if (threads > 1) pool->parallelFor(kBlocks * mBlocks, packTask);
    else
        for (int t = 0; t < kBlocks * mBlocks; t++) packTask(t, 0);
    plan.packedA = packedA;
    if (threads <= 1) {
        serialBf16(plan, transW, 0, M, 0, N, K, alpha, w, C, ldc, overwrite);
        return;
    }
    // split the columns (each thread packs only its weights) unless they are too few for the threads
    bool splitN = N / (2 * NR) >= threads || N >= M;
    int unit = splitN ? 2 * NR : 2 * MR, extent = splitN ? N : M;
    int units = (extent + unit - 1) / unit, parts = std::min(threads, units);
    pool->parallelFor(parts, [&](int part, int) {
        int s0 = (int)((long long)units * part / parts) * unit, s1 = std::min(extent, (int)((long long)units * (part + 1) / parts) * unit);
        if (s1 <= s0) return;
        if (splitN) serialBf16(plan, transW, 0, M, s0, s1, K, alpha, w, C, ldc, overwrite);
        else serialBf16(plan, transW, s0, s1, 0, N, K, alpha, w, C, ldc, overwrite);
    });
}

#else

void gemmWeightBf16(ThreadPool*, bool, int, int, int, float, const float*, int, const WeightMatrix&, float, float*, int) {
    throw std::runtime_error(bf16Unavailable());
}

#endif

}  // namespace ditto
