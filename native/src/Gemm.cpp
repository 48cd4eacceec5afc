#include "Gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "Dequantize.h"
#include "GgufFile.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DITTO_X86 1
#endif

namespace ditto {

// Register tile MR x NR: 6 rows x 16 columns = 12 ymm accumulators, 2 for B, 1 broadcast of A.
static constexpr int MR = 6, NR = 16;
// Cache blocks: a KC x NR sliver of B stays in L1, an MC x KC block of A in L2, KC x NC of B in L3.
#ifndef DITTO_GEMM_BLOCKS
#define DITTO_GEMM_BLOCKS 256, 144, 3072
#endif
static constexpr int KC_MC_NC[3] = {DITTO_GEMM_BLOCKS};
static constexpr int KC = KC_MC_NC[0], MC = KC_MC_NC[1], NC = KC_MC_NC[2];

// Grow-only float buffer aligned to a cache line.
struct AlignedBuffer {
    float* ptr = nullptr;
    size_t n = 0;
    void resize(size_t want) {
        if (want <= n) return;
        std::free(ptr);
        ptr = nullptr;
        n = 0;  // a failed allocation below must not leave the old size claiming the freed block
        ptr = static_cast<float*>(std::aligned_alloc(64, (want * sizeof(float) + 63) / 64 * 64));
        if (!ptr) throw std::bad_alloc();
        n = want;
    }
    float* data() { return ptr; }
    ~AlignedBuffer() { std::free(ptr); }
};

// C[MR x NR] += alpha * op(A)-sliver * op(B)-sliver over kc steps.
// A is packed ([kc][MR], rows consecutive) when lda == 0, else read in place: row r at a + r*lda,
// consecutive along p; rows >= `rows` repeat the last valid row (their results are discarded).
// B row p is the NR floats at b + p*ldb (ldb == NR when packed). With overwrite, C = alpha * product
// (C is neither read nor zeroed first).
using MicroKernel = void (*)(int kc, const float* a, int lda, int rows, const float* b, int ldb, float* c, int ldc, float alpha, bool overwrite);

static void microKernelScalar(int kc, const float* a, int lda, int rows, const float* b, int ldb, float* c, int ldc, float alpha, bool overwrite) {
    float acc[MR][NR] = {};
    for (int p = 0; p < kc; p++)
        for (int r = 0; r < MR; r++) {
            float x = lda == 0 ? a[p * MR + r] : a[(size_t)std::min(r, rows - 1) * lda + p];
            for (int j = 0; j < NR; j++) acc[r][j] += x * b[(size_t)p * ldb + j];
        }
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) c[r * ldc + j] = (overwrite ? 0.0f : c[r * ldc + j]) + alpha * acc[r][j];
}

#ifdef DITTO_X86
#define DITTO_FMA_ROW(x, lo, hi) lo = _mm256_fmadd_ps(x, b0, lo); hi = _mm256_fmadd_ps(x, b1, hi);
__attribute__((target("avx2,fma"))) static void microKernelAvx2(int kc, const float* a, int lda, int rows, const float* b, int ldb, float* c,
                                                                int ldc, float alpha, bool overwrite) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    // The C tile is usually far away in memory (rows ldc apart): start fetching all of it now,
    // so the loads at the end do not stall (measured: +30% on 512x4864x896).
    if (!overwrite)
        for (int r = 0; r < MR; r++) {
            _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + NR - 1), _MM_HINT_T0);
        }
    if (lda == 0) {
#pragma GCC unroll 4
        for (int p = 0; p < kc; p++) {
            __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
            __m256 x;
            x = _mm256_broadcast_ss(a + 0); DITTO_FMA_ROW(x, c00, c01)
            x = _mm256_broadcast_ss(a + 1); DITTO_FMA_ROW(x, c10, c11)
            x = _mm256_broadcast_ss(a + 2); DITTO_FMA_ROW(x, c20, c21)
            x = _mm256_broadcast_ss(a + 3); DITTO_FMA_ROW(x, c30, c31)
            x = _mm256_broadcast_ss(a + 4); DITTO_FMA_ROW(x, c40, c41)
            x = _mm256_broadcast_ss(a + 5); DITTO_FMA_ROW(x, c50, c51)
            a += MR;
            b += ldb;
        }
    } else {
        const float* a0 = a;
        const float* a1 = a + (size_t)std::min(1, rows - 1) * lda;
        const float* a2 = a + (size_t)std::min(2, rows - 1) * lda;
        const float* a3 = a + (size_t)std::min(3, rows - 1) * lda;
        const float* a4 = a + (size_t)std::min(4, rows - 1) * lda;
        const float* a5 = a + (size_t)std::min(5, rows - 1) * lda;
#pragma GCC unroll 4
        for (int p = 0; p < kc; p++) {
            __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
            __m256 x;
            x = _mm256_broadcast_ss(a0 + p); DITTO_FMA_ROW(x, c00, c01)
            x = _mm256_broadcast_ss(a1 + p); DITTO_FMA_ROW(x, c10, c11)
            x = _mm256_broadcast_ss(a2 + p); DITTO_FMA_ROW(x, c20, c21)
            x = _mm256_broadcast_ss(a3 + p); DITTO_FMA_ROW(x, c30, c31)
            x = _mm256_broadcast_ss(a4 + p); DITTO_FMA_ROW(x, c40, c41)
            x = _mm256_broadcast_ss(a5 + p); DITTO_FMA_ROW(x, c50, c51)
            b += ldb;
        }
    }
    __m256 s = _mm256_set1_ps(alpha);
    if (overwrite) {
#define DITTO_SET_ROW(r, lo, hi)                                  \
    _mm256_storeu_ps(c + (r) * ldc, _mm256_mul_ps(s, lo));        \
    _mm256_storeu_ps(c + (r) * ldc + 8, _mm256_mul_ps(s, hi));
        DITTO_SET_ROW(0, c00, c01) DITTO_SET_ROW(1, c10, c11) DITTO_SET_ROW(2, c20, c21)
        DITTO_SET_ROW(3, c30, c31) DITTO_SET_ROW(4, c40, c41) DITTO_SET_ROW(5, c50, c51)
#undef DITTO_SET_ROW
        return;
    }
#define DITTO_ADD_ROW(r, lo, hi)                                                                          \
    _mm256_storeu_ps(c + (r) * ldc, _mm256_fmadd_ps(s, lo, _mm256_loadu_ps(c + (r) * ldc)));              \
    _mm256_storeu_ps(c + (r) * ldc + 8, _mm256_fmadd_ps(s, hi, _mm256_loadu_ps(c + (r) * ldc + 8)));
    DITTO_ADD_ROW(0, c00, c01) DITTO_ADD_ROW(1, c10, c11) DITTO_ADD_ROW(2, c20, c21)
    DITTO_ADD_ROW(3, c30, c31) DITTO_ADD_ROW(4, c40, c41) DITTO_ADD_ROW(5, c50, c51)
#undef DITTO_ADD_ROW
}
#undef DITTO_FMA_ROW
#endif

static MicroKernel pickKernel() {
#ifdef DITTO_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return microKernelAvx2;
#endif
    return microKernelScalar;
}

static const MicroKernel bestKernel = pickKernel();

// Set by the self-test on its own thread (its products then run serially): the portable paths
// a CPU without AVX2 would take, so they are checked on every machine.
static thread_local bool portableOnly = false;
void gemmPortableOnlyOnThisThread(bool on) { portableOnly = on; }

const char* gemmKernelName() {
#ifdef DITTO_X86
    if (bestKernel == microKernelAvx2) return "avx2-fma";
#endif
    return "scalar";
}

// Packs op(A)[i0.., p0..] (mc x kc) into MR-row slivers, [kc][MR] each, zero-padded.
static void packA(bool transA, const float* A, int lda, int i0, int p0, int mc, int kc, float* out) {
    for (int is = 0; is < mc; is += MR) {
        int rows = std::min(MR, mc - is);
        float* dst = out + (size_t)is * kc;
        if (transA) {
            for (int p = 0; p < kc; p++) {
                const float* src = A + (size_t)(p0 + p) * lda + i0 + is;
                for (int r = 0; r < MR; r++) dst[p * MR + r] = r < rows ? src[r] : 0.0f;
            }
        } else {
            const float* src[MR];
            for (int r = 0; r < MR; r++) src[r] = A + (size_t)(i0 + is + std::min(r, rows - 1)) * lda + p0;
            for (int p = 0; p < kc; p++)
                for (int r = 0; r < MR; r++) dst[p * MR + r] = r < rows ? src[r][p] : 0.0f;
        }
    }
}

// Packs op(B)[p0.., j0..] (kc x nc) into NR-column slivers, [kc][NR] each, zero-padded.
static void packB(bool transB, const float* B, int ldb, int p0, int j0, int kc, int nc, float* out) {
    for (int js = 0; js < nc; js += NR) {
        int cols = std::min(NR, nc - js);
        float* dst = out + (size_t)js * kc;
        if (!transB) {
            for (int p = 0; p < kc; p++) {
                const float* src = B + (size_t)(p0 + p) * ldb + j0 + js;
                if (cols == NR) std::memcpy(dst + p * NR, src, NR * sizeof(float));
                else
                    for (int j = 0; j < NR; j++) dst[p * NR + j] = j < cols ? src[j] : 0.0f;
            }
        } else {
            for (int p = 0; p < kc; p++) {
                for (int j = 0; j < NR; j++) dst[p * NR + j] = j < cols ? B[(size_t)(j0 + js + j) * ldb + p0 + p] : 0.0f;
            }
        }
    }
}

// B operand of one thread's share: either a packer (packB(p0, j, kc, nc, out) packs op(B)[p0..,
// j..] with j relative to the share) or, for a plain row-major B used by only a few rows of A, the
// matrix itself, read in place (packing would cost as much as the product).
template <typename PackB> struct BOperand {
    PackB pack;
    const float* direct = nullptr;  // op(B) = B row-major, share's first column, when read in place
    int ldb = 0;
};

// Columns of C above which A is packed even when it could be read in place: packing costs one
// pass over A and pays back over many B slivers (and avoids cache-set conflicts of rows whose
// stride is a power of two); for thin products (LoRA ranks) it would cost as much as the product.
static constexpr int PACK_A_MIN_COLS = 4 * NR;

// One thread's share: C[M x N] += alpha op(A) op(B), blocked: a KC x NR sliver of B stays in L1,
// an MC x KC block of A in L2, a KC x NC panel of B in L3.
template <typename PackB>
static void gemmSerial(bool transA, int M, int N, int K, float alpha, const float* A, int lda, const BOperand<PackB>& B, float* C, int ldc,
                       bool overwrite, const float* prepackedA = nullptr) {
    // 64-byte aligned so every B row of a sliver (16 floats) is one cache line and loads never split
    thread_local AlignedBuffer packedA, packedB;
    bool packedAOn = transA || N > PACK_A_MIN_COLS || prepackedA;
    int Mpad = (M + MR - 1) / MR * MR;
    if (packedAOn && !prepackedA) packedA.resize((size_t)MC * KC);
    if (!B.direct) packedB.resize((size_t)KC * (NC + NR));
    alignas(64) float edge[MR * NR];
    alignas(64) float edgeB[KC * NR];
    const MicroKernel kernel = portableOnly ? microKernelScalar : bestKernel;
    for (int jc = 0; jc < N; jc += NC) {
        int nc = std::min(NC, N - jc);
        for (int pc = 0; pc < K; pc += KC) {
            int kc = std::min(KC, K - pc);
            bool first = overwrite && pc == 0;  // the first k-block writes C, later ones add
            if (!B.direct) B.pack(pc, jc, kc, nc, packedB.data());
            for (int ic = 0; ic < M; ic += MC) {
                int mc = std::min(MC, M - ic);
                // A block (ic, pc): packed here, or by gemmDriver once for all threads (prepackedA)
                const float* ablock = prepackedA ? prepackedA + (size_t)pc * Mpad + (size_t)ic * kc : packedA.data();
                if (packedAOn && !prepackedA) packA(transA, A, lda, ic, pc, mc, kc, packedA.data());
                for (int jr = 0; jr < nc; jr += NR) {
                    int cols = std::min(NR, nc - jr);
                    const float* bs;
                    int bstride = NR;
                    if (!B.direct) {
                        bs = packedB.data() + (size_t)jr * kc;
                    } else if (cols == NR) {
                        bs = B.direct + (size_t)pc * B.ldb + jc + jr;
                        bstride = B.ldb;
                    } else {  // a partial sliver: copy it, zero-padded, so the kernel never reads past the matrix
                        for (int p = 0; p < kc; p++)
                            for (int j = 0; j < NR; j++) edgeB[p * NR + j] = j < cols ? B.direct[(size_t)(pc + p) * B.ldb + jc + jr + j] : 0.0f;
                        bs = edgeB;
                    }
                    for (int ir = 0; ir < mc; ir += MR) {
                        int rows = std::min(MR, mc - ir);
                        const float* as = packedAOn ? ablock + (size_t)ir * kc : A + (size_t)(ic + ir) * lda + pc;
                        int astride = packedAOn ? 0 : lda;
                        float* c = C + (size_t)(ic + ir) * ldc + jc + jr;
                        if (rows == MR && cols == NR) {
                            kernel(kc, as, astride, rows, bs, bstride, c, ldc, alpha, first);
                        } else {
                            kernel(kc, as, astride, rows, bs, bstride, edge, NR, alpha, true);
                            for (int r = 0; r < rows; r++)
                                for (int j = 0; j < cols; j++) c[r * ldc + j] = (first ? 0.0f : c[r * ldc + j]) + edge[r * NR + j];
                        }
                    }
                }
            }
        }
    }
}

// Rows of A up to which a plain row-major B is read in place rather than packed.
static constexpr int DIRECT_B_MAX_ROWS = 64;
// Largest A (in floats, 32 MB) that the driver packs once for all threads.
static constexpr size_t PREPACK_MAX_FLOATS = (size_t)1 << 23;

// Scales C by beta, then splits the larger output dimension across the pool so each thread packs
// only its own part of the bigger operand; parts are whole register tiles so no two threads write
// one tile. makeB(j0) gives the BOperand of a share starting at column j0.
template <typename MakeB>
static void gemmDriver(ThreadPool* pool, bool transA, int M, int N, int K, float alpha, const float* A, int lda, MakeB&& makeB,
                       float beta, float* C, int ldc) {
    if (M <= 0 || N <= 0) return;
    bool overwrite = beta == 0.0f && K > 0 && alpha != 0.0f;  // the first k-block writes C: no zeroing pass
    if (beta == 0.0f && !overwrite) {
        for (int i = 0; i < M; i++) std::memset(C + (size_t)i * ldc, 0, N * sizeof(float));
    } else if (beta != 1.0f && beta != 0.0f) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] *= beta;
    }
    if (K <= 0 || alpha == 0.0f) return;
    int threads = (pool && !insideParallelRegion()) ? pool->size() : 1;
    double work = (double)M * N * K;
    if (threads <= 1 || work < 2e5) {
        gemmSerial(transA, M, N, K, alpha, A, lda, makeB(0), C, ldc, overwrite);
        return;
    }
    bool splitN = N >= M;
    int unit = splitN ? NR : MR;
    int extent = splitN ? N : M;
    int units = (extent + unit - 1) / unit;
    int parts = std::min(threads, units);
    // Splitting the columns, every thread would pack all of A: pack it once, together, instead.
    // Layout: block (pc, ic) of op(A) at pc * Mpad + ic * kc, as gemmSerial reads it. Capped so a
    // huge A (the logits of a long batch) is not held twice; past the cap each thread packs its own.
    const float* prepackedA = nullptr;
    int Mpad = (M + MR - 1) / MR * MR;
    if (splitN && parts > 1 && N / parts > PACK_A_MIN_COLS && (size_t)Mpad * K <= PREPACK_MAX_FLOATS) {
        thread_local AlignedBuffer shared;
        shared.resize((size_t)Mpad * K);
        int kBlocks = (K + KC - 1) / KC, mBlocks = (M + MC - 1) / MC;
        float* dst = shared.data();
        pool->parallelFor(kBlocks * mBlocks, [&](int task, int) {
            int pc = task / mBlocks * KC, ic = task % mBlocks * MC;
            int kc = std::min(KC, K - pc), mc = std::min(MC, M - ic);
            packA(transA, A, lda, ic, pc, mc, kc, dst + (size_t)pc * Mpad + (size_t)ic * kc);
        });
        prepackedA = dst;
    }
    pool->parallelFor(parts, [&](int part, int) {
        int u0 = (int)((long long)units * part / parts), u1 = (int)((long long)units * (part + 1) / parts);
        int s0 = u0 * unit, s1 = std::min(extent, u1 * unit);
        if (s1 <= s0) return;
        if (splitN) {
            gemmSerial(transA, M, s1 - s0, K, alpha, A, lda, makeB(s0), C + s0, ldc, overwrite, prepackedA);
        } else {
            const float* a = transA ? A + s0 : A + (size_t)s0 * lda;
            gemmSerial(transA, s1 - s0, N, K, alpha, a, lda, makeB(0), C + (size_t)s0 * ldc, ldc, overwrite);
        }
    });
}

static auto plainB(bool transB, const float* B, int ldb, int M) {
    return [=](int j0) {
        auto pack = [=](int p0, int j, int kc, int nc, float* out) { packB(transB, B, ldb, p0, j0 + j, kc, nc, out); };
        BOperand<decltype(pack)> op{pack};
        if (!transB && M <= DIRECT_B_MAX_ROWS) {
            op.direct = B + j0;
            op.ldb = ldb;
        }
        return op;
    };
}

void gemm(ThreadPool* pool, bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
    if (transA && !transB && N <= NR && M > DIRECT_B_MAX_ROWS && K > 0 && alpha != 0.0f) {
        // A thin product with a transposed A (a LoRA B gradient: dB += dy^T h): packing the big
        // transposed A would cost as much as the product, so compute C^T = B^T A, where B^T is
        // the small packed operand and A is read in place, then add it transposed.
        thread_local std::vector<float> t;
        t.resize((size_t)N * M);  // fully written: beta 0 makes the first k-block store
        gemmDriver(pool, true, N, M, K, alpha, B, ldb, plainB(false, A, lda, N), 0.0f, t.data(), M);
        for (int i = 0; i < M; i++) {
            float* c = C + (size_t)i * ldc;
            for (int j = 0; j < N; j++) c[j] = (beta == 0.0f ? 0.0f : beta * c[j]) + t[(size_t)j * M + i];
        }
        return;
    }
    gemmDriver(pool, transA, M, N, K, alpha, A, lda, plainB(transB, B, ldb, M), beta, C, ldc);
}

#ifdef DITTO_X86
__attribute__((target("avx2,f16c"))) static void decodeF16Fast(const uint16_t* src, int n, float* out) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
    for (; i < n; i++) out[i] = _cvtsh_ss(src[i]);
}
__attribute__((target("avx2"))) static void decodeBf16Fast(const uint16_t* src, int n, float* out) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
        _mm256_storeu_ps(out + i, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
    }
    for (; i < n; i++) {
        uint32_t bits = (uint32_t)src[i] << 16;
        std::memcpy(out + i, &bits, 4);
    }
}
// Whole Q8_0 blocks: nBlocks x (f16 scale, 32 int8) -> 32 floats each.
__attribute__((target("avx2,f16c"))) static void decodeQ8BlocksFast(const uint8_t* b, int nBlocks, float* out) {
    for (int k = 0; k < nBlocks; k++, b += 34, out += 32) {
        __m256 d = _mm256_set1_ps(_cvtsh_ss((uint16_t)(b[0] | b[1] << 8)));
        for (int g = 0; g < 4; g++) {
            __m128i q8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + 2 + 8 * g));
            _mm256_storeu_ps(out + 8 * g, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8))));
        }
    }
}
static const bool haveAvx2F16c = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
}();
#endif

static void decodeQ8Scalar(const uint8_t* r, int c0, int n, float* out) {
    int c = c0, end = c0 + n;
    while (c < end) {
        int blk = c / 32, in = c % 32, take = std::min(32 - in, end - c);
        const uint8_t* b = r + (size_t)blk * 34;
        float d = halfToFloat((uint16_t)(b[0] | b[1] << 8));
        const int8_t* q = reinterpret_cast<const int8_t*>(b + 2) + in;
        for (int i = 0; i < take; i++) out[c - c0 + i] = d * q[i];
        c += take;
    }
}

void decodeRow(const WeightMatrix& w, int row, int c0, int n, float* out) {
    const uint8_t* r = w.data + (size_t)row * w.rowBytes;
    switch (w.type) {
        case GGML_F32:
            std::memcpy(out, r + (size_t)c0 * 4, (size_t)n * 4);
            return;
        case GGML_F16: {
            const uint16_t* h = reinterpret_cast<const uint16_t*>(r) + c0;
#ifdef DITTO_X86
            if (haveAvx2F16c && !portableOnly) { decodeF16Fast(h, n, out); return; }
#endif
            for (int i = 0; i < n; i++) out[i] = halfToFloat(h[i]);
            return;
        }
        case GGML_BF16: {
            const uint16_t* h = reinterpret_cast<const uint16_t*>(r) + c0;
#ifdef DITTO_X86
            if (haveAvx2F16c && !portableOnly) { decodeBf16Fast(h, n, out); return; }
#endif
            for (int i = 0; i < n; i++) {
                uint32_t bits = (uint32_t)h[i] << 16;
                std::memcpy(out + i, &bits, 4);
            }
            return;
        }
        case GGML_Q8_0: {
#ifdef DITTO_X86
            if (haveAvx2F16c && !portableOnly) {  // ragged head, whole blocks, ragged tail
                int head = std::min(n, (32 - c0 % 32) % 32);
                if (head) decodeQ8Scalar(r, c0, head, out);
                int blocks = (n - head) / 32;
                decodeQ8BlocksFast(r + (size_t)(c0 + head) / 32 * 34, blocks, out + head);
                int done = head + blocks * 32;
                if (done < n) decodeQ8Scalar(r, c0 + done, n - done, out + done);
                return;
            }
#endif
            decodeQ8Scalar(r, c0, n, out);
            return;
        }
        default:
            throw std::runtime_error("internal: weight type " + std::to_string(w.type) + " cannot be decoded in products");
    }
}

#ifdef DITTO_X86
// dst[p * NR + j] = src[j * lds + p] for p < kc (a multiple of 8), j < NR: 8x8 register transposes.
__attribute__((target("avx2"))) static void transposeToSliver(const float* src, int lds, int kc, float* dst) {
    for (int jb = 0; jb < NR; jb += 8)
        for (int p = 0; p < kc; p += 8) {
            __m256 r0 = _mm256_loadu_ps(src + (size_t)(jb + 0) * lds + p), r1 = _mm256_loadu_ps(src + (size_t)(jb + 1) * lds + p);
            __m256 r2 = _mm256_loadu_ps(src + (size_t)(jb + 2) * lds + p), r3 = _mm256_loadu_ps(src + (size_t)(jb + 3) * lds + p);
            __m256 r4 = _mm256_loadu_ps(src + (size_t)(jb + 4) * lds + p), r5 = _mm256_loadu_ps(src + (size_t)(jb + 5) * lds + p);
            __m256 r6 = _mm256_loadu_ps(src + (size_t)(jb + 6) * lds + p), r7 = _mm256_loadu_ps(src + (size_t)(jb + 7) * lds + p);
            __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
            __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5), t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE), u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float* d = dst + (size_t)p * NR + jb;
            _mm256_store_ps(d + 0 * NR, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_store_ps(d + 1 * NR, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_store_ps(d + 2 * NR, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_store_ps(d + 3 * NR, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_store_ps(d + 4 * NR, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_store_ps(d + 5 * NR, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_store_ps(d + 6 * NR, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_store_ps(d + 7 * NR, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
}
#endif

// Packs op(W)[p0.., j0..] into NR-column slivers; see packB. `out` is 64-byte aligned.
static void packWeight(bool transW, const WeightMatrix& w, int p0, int j0, int kc, int nc, float* out) {
    thread_local std::vector<float> rows;
    if (transW) {  // op(W)[p][j] = W[j][p]: decode kc values of each of the sliver's NR rows, then transpose
        int lds = (kc + 7) / 8 * 8;
        rows.resize((size_t)NR * lds);
        for (int js = 0; js < nc; js += NR) {
            int cols = std::min(NR, nc - js);
            float* dst = out + (size_t)js * kc;
            if (js + NR < nc) {  // the next sliver's rows: 16 short pieces the hardware prefetcher would miss
                size_t bytes = std::min(w.rowBytes, tensorBytes(w.type, kc));
                size_t off = tensorBytes(w.type, p0);
                for (int j = 0; j < NR && js + NR + j < nc; j++) {
                    const char* r = reinterpret_cast<const char*>(w.data + (size_t)(j0 + js + NR + j) * w.rowBytes + off);
                    for (size_t b = 0; b < bytes; b += 64) __builtin_prefetch(r + b);
                }
            }
            for (int j = 0; j < NR; j++) {
                float* row = rows.data() + (size_t)j * lds;
                if (j < cols) decodeRow(w, j0 + js + j, p0, kc, row);
                else std::fill(row, row + kc, 0.0f);
            }
#ifdef DITTO_X86
            if (haveAvx2F16c && !portableOnly && kc % 8 == 0) {
                transposeToSliver(rows.data(), lds, kc, dst);
                continue;
            }
#endif
            for (int p = 0; p < kc; p++)
                for (int j = 0; j < NR; j++) dst[p * NR + j] = rows[(size_t)j * lds + p];
        }
    } else {  // op(W)[p][j] = W[p][j]: decode PT rows of nc values, then copy each sliver's PT rows at once
        // (copying row by row would write one cache line per sliver, 16 KB apart: slow, measured 4x)
        constexpr int PT = 16;
        rows.resize((size_t)PT * nc);
        for (int pt = 0; pt < kc; pt += PT) {
            int np = std::min(PT, kc - pt);
            for (int p = 0; p < np; p++) decodeRow(w, p0 + pt + p, j0, nc, rows.data() + (size_t)p * nc);
            for (int js = 0; js < nc; js += NR) {
                int cols = std::min(NR, nc - js);
                float* dst = out + (size_t)js * kc + (size_t)pt * NR;
                if (cols == NR) {  // constant-size copies compile to two vector moves (a variable memcpy to rep movs)
                    for (int p = 0; p < np; p++) std::memcpy(dst + p * NR, rows.data() + (size_t)p * nc + js, NR * sizeof(float));
                } else {
                    for (int p = 0; p < np; p++)
                        for (int j = 0; j < NR; j++) dst[p * NR + j] = j < cols ? rows[(size_t)p * nc + js + j] : 0.0f;
                }
            }
        }
    }
}

void gemmWeight(ThreadPool* pool, bool transW, int M, int N, int K, float alpha, const float* A, int lda, const WeightMatrix& w, float beta,
                float* C, int ldc) {
    if (w.type == GGML_F32) {  // plain floats: the ordinary packer reads them directly
        const float* B = reinterpret_cast<const float*>(w.data);
        gemm(pool, false, transW, M, N, K, alpha, A, lda, B, (int)(w.rowBytes / 4), beta, C, ldc);
        return;
    }
    gemmDriver(pool, false, M, N, K, alpha, A, lda, [&](int j0) {
        auto pack = [=, &w](int p0, int j, int kc, int nc, float* out) { packWeight(transW, w, p0, j0 + j, kc, nc, out); };
        return BOperand<decltype(pack)>{pack};
    }, beta, C, ldc);
}

void gemm(ThreadPool*, bool transA, bool transB, int M, int N, int K, double alpha, const double* A, int lda,
          const double* B, int ldb, double beta, double* C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int p = 0; p < K; p++) {
                double a = transA ? A[(size_t)p * lda + i] : A[(size_t)i * lda + p];
                double b = transB ? B[(size_t)j * ldb + p] : B[(size_t)p * ldb + j];
                s += a * b;
            }
            double& c = C[(size_t)i * ldc + j];
            c = (beta == 0.0 ? 0.0 : beta * c) + alpha * s;
        }
}

}  // namespace ditto
