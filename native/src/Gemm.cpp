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
static constexpr int KC = 256, MC = 144, NC = 3072;

// Grow-only float buffer aligned to a cache line.
struct AlignedBuffer {
    float* ptr = nullptr;
    size_t n = 0;
    void resize(size_t want) {
        if (want <= n) return;
        std::free(ptr);
        ptr = static_cast<float*>(std::aligned_alloc(64, (want * sizeof(float) + 63) / 64 * 64));
        if (!ptr) throw std::bad_alloc();
        n = want;
    }
    float* data() { return ptr; }
    ~AlignedBuffer() { std::free(ptr); }
};

using MicroKernel = void (*)(int kc, const float* a, const float* b, float* c, int ldc);

// c[MR x NR] += a-sliver * b-sliver; a is packed [kc][MR], b [kc][NR].
static void microKernelScalar(int kc, const float* a, const float* b, float* c, int ldc) {
    float acc[MR][NR] = {};
    for (int p = 0; p < kc; p++)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) acc[r][j] += a[p * MR + r] * b[p * NR + j];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) c[r * ldc + j] += acc[r][j];
}

#ifdef DITTO_X86
__attribute__((target("avx2,fma"))) static void microKernelAvx2(int kc, const float* a, const float* b, float* c, int ldc) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + 5 * ldc + 8), _MM_HINT_T0);
#pragma GCC unroll 4
    for (int p = 0; p < kc; p++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        __m256 x;
        x = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
        a += MR;
        b += NR;
    }
#define DITTO_ADD_ROW(r, lo, hi)                                                              \
    _mm256_storeu_ps(c + (r) * ldc, _mm256_add_ps(_mm256_loadu_ps(c + (r) * ldc), lo));         \
    _mm256_storeu_ps(c + (r) * ldc + 8, _mm256_add_ps(_mm256_loadu_ps(c + (r) * ldc + 8), hi));
    DITTO_ADD_ROW(0, c00, c01) DITTO_ADD_ROW(1, c10, c11) DITTO_ADD_ROW(2, c20, c21)
    DITTO_ADD_ROW(3, c30, c31) DITTO_ADD_ROW(4, c40, c41) DITTO_ADD_ROW(5, c50, c51)
#undef DITTO_ADD_ROW
}
#endif

static MicroKernel pickKernel() {
#ifdef DITTO_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return microKernelAvx2;
#endif
    return microKernelScalar;
}

static const MicroKernel microKernel = pickKernel();

const char* gemmKernelName() {
#ifdef DITTO_X86
    if (microKernel == microKernelAvx2) return "avx2-fma";
#endif
    return "scalar";
}

// Packs op(A)[i0.., p0..] (mc x kc) into MR-row slivers, [kc][MR] each, scaled by alpha, zero-padded.
static void packA(bool transA, const float* A, int lda, int i0, int p0, int mc, int kc, float alpha, float* out) {
    for (int is = 0; is < mc; is += MR) {
        int rows = std::min(MR, mc - is);
        float* dst = out + (size_t)is * kc;
        if (!transA) {
            for (int r = 0; r < MR; r++) {
                if (r < rows) {
                    const float* src = A + (size_t)(i0 + is + r) * lda + p0;
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = alpha * src[p];
                } else {
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = 0.0f;
                }
            }
        } else {
            for (int p = 0; p < kc; p++) {
                const float* src = A + (size_t)(p0 + p) * lda + i0 + is;
                for (int r = 0; r < MR; r++) dst[p * MR + r] = r < rows ? alpha * src[r] : 0.0f;
            }
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
            for (int j = 0; j < NR; j++) {
                if (j < cols) {
                    const float* src = B + (size_t)(j0 + js + j) * ldb + p0;
                    for (int p = 0; p < kc; p++) dst[p * NR + j] = src[p];
                } else {
                    for (int p = 0; p < kc; p++) dst[p * NR + j] = 0.0f;
                }
            }
        }
    }
}

// One thread's share: C[M x N] += alpha op(A) op(B), blocked and packed; packB(p0, j0, kc, nc, out)
// packs op(B)[p0.., j0..] (j0 relative to this share's first column).
template <typename PackB>
static void gemmSerial(bool transA, int M, int N, int K, float alpha, const float* A, int lda, PackB&& packB, float* C, int ldc) {
    // 64-byte aligned so every B row of a sliver (16 floats) is one cache line and loads never split
    thread_local AlignedBuffer packedA, packedB;
    packedA.resize((size_t)MC * KC);
    packedB.resize((size_t)KC * (NC + NR));
    float edge[MR * NR];
    for (int jc = 0; jc < N; jc += NC) {
        int nc = std::min(NC, N - jc);
        for (int pc = 0; pc < K; pc += KC) {
            int kc = std::min(KC, K - pc);
            packB(pc, jc, kc, nc, packedB.data());
            for (int ic = 0; ic < M; ic += MC) {
                int mc = std::min(MC, M - ic);
                packA(transA, A, lda, ic, pc, mc, kc, alpha, packedA.data());
                for (int jr = 0; jr < nc; jr += NR) {
                    int cols = std::min(NR, nc - jr);
                    const float* bs = packedB.data() + (size_t)jr * kc;
                    for (int ir = 0; ir < mc; ir += MR) {
                        int rows = std::min(MR, mc - ir);
                        const float* as = packedA.data() + (size_t)ir * kc;
                        float* c = C + (size_t)(ic + ir) * ldc + jc + jr;
                        if (rows == MR && cols == NR) {
                            microKernel(kc, as, bs, c, ldc);
                        } else {
                            std::memset(edge, 0, sizeof(edge));
                            microKernel(kc, as, bs, edge, NR);
                            for (int r = 0; r < rows; r++)
                                for (int j = 0; j < cols; j++) c[r * ldc + j] += edge[r * NR + j];
                        }
                    }
                }
            }
        }
    }
}

// Scales C by beta, then splits the larger output dimension across the pool so each thread packs
// only its own part of the bigger operand; parts are whole register tiles so no two threads write
// one tile. makePackB(j0) gives the packer for a share starting at column j0.
template <typename MakePackB>
static void gemmDriver(ThreadPool* pool, bool transA, int M, int N, int K, float alpha, const float* A, int lda, MakePackB&& makePackB,
                       float beta, float* C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (beta == 0.0f) {
        for (int i = 0; i < M; i++) std::memset(C + (size_t)i * ldc, 0, N * sizeof(float));
    } else if (beta != 1.0f) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] *= beta;
    }
    if (K <= 0 || alpha == 0.0f) return;
    int threads = (pool && !insideParallelRegion()) ? pool->size() : 1;
    double work = (double)M * N * K;
    if (threads <= 1 || work < 2e5) {
        gemmSerial(transA, M, N, K, alpha, A, lda, makePackB(0), C, ldc);
        return;
    }
    bool splitN = N >= M;
    int unit = splitN ? NR : MR;
    int extent = splitN ? N : M;
    int units = (extent + unit - 1) / unit;
    int parts = std::min(threads, units);
    pool->parallelFor(parts, [&](int part, int) {
        int u0 = (int)((long long)units * part / parts), u1 = (int)((long long)units * (part + 1) / parts);
        int s0 = u0 * unit, s1 = std::min(extent, u1 * unit);
        if (s1 <= s0) return;
        if (splitN) {
            gemmSerial(transA, M, s1 - s0, K, alpha, A, lda, makePackB(s0), C + s0, ldc);
        } else {
            const float* a = transA ? A + s0 : A + (size_t)s0 * lda;
            gemmSerial(transA, s1 - s0, N, K, alpha, a, lda, makePackB(0), C + (size_t)s0 * ldc, ldc);
        }
    });
}

void gemm(ThreadPool* pool, bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
    gemmDriver(pool, transA, M, N, K, alpha, A, lda, [&](int j0) {
        return [=](int p0, int j, int kc, int nc, float* out) { packB(transB, B, ldb, p0, j0 + j, kc, nc, out); };
    }, beta, C, ldc);
}

#ifdef DITTO_X86
__attribute__((target("avx2,f16c"))) static void decodeF16Fast(const uint16_t* src, int n, float* out) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
    for (; i < n; i++) out[i] = _cvtsh_ss(src[i]);
}
static const bool haveF16c = [] { __builtin_cpu_init(); return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c"); }();
#endif

void decodeRow(const WeightMatrix& w, int row, int c0, int n, float* out) {
    const uint8_t* r = w.data + (size_t)row * w.rowBytes;
    switch (w.type) {
        case GGML_F32:
            std::memcpy(out, r + (size_t)c0 * 4, (size_t)n * 4);
            return;
        case GGML_F16: {
            const uint16_t* h = reinterpret_cast<const uint16_t*>(r) + c0;
#ifdef DITTO_X86
            if (haveF16c) { decodeF16Fast(h, n, out); return; }
#endif
            for (int i = 0; i < n; i++) out[i] = halfToFloat(h[i]);
            return;
        }
        case GGML_BF16: {
            const uint16_t* h = reinterpret_cast<const uint16_t*>(r) + c0;
            for (int i = 0; i < n; i++) {
                uint32_t bits = (uint32_t)h[i] << 16;
                std::memcpy(out + i, &bits, 4);
            }
            return;
        }
        case GGML_Q8_0: {
            // 34-byte blocks of 32: f16 scale, 32 int8
            int c = c0, end = c0 + n;
            while (c < end) {
                int blk = c / 32, in = c % 32, take = std::min(32 - in, end - c);
                const uint8_t* b = r + (size_t)blk * 34;
                float d = halfToFloat((uint16_t)(b[0] | b[1] << 8));
                const int8_t* q = reinterpret_cast<const int8_t*>(b + 2) + in;
                for (int i = 0; i < take; i++) out[c - c0 + i] = d * q[i];
                c += take;
            }
            return;
        }
        default:
            throw std::runtime_error("internal: weight type " + std::to_string(w.type) + " cannot be decoded in products");
    }
}

// Packs op(W)[p0.., j0..] into NR-column slivers; see packB.
static void packWeight(bool transW, const WeightMatrix& w, int p0, int j0, int kc, int nc, float* out) {
    thread_local std::vector<float> row;
    if (transW) {  // op(W)[p][j] = W[j][p]: decode kc values of each of the sliver's rows
        row.resize(kc);
        for (int js = 0; js < nc; js += NR) {
            int cols = std::min(NR, nc - js);
            float* dst = out + (size_t)js * kc;
            for (int j = 0; j < NR; j++) {
                if (j < cols) {
                    decodeRow(w, j0 + js + j, p0, kc, row.data());
                    for (int p = 0; p < kc; p++) dst[p * NR + j] = row[p];
                } else {
                    for (int p = 0; p < kc; p++) dst[p * NR + j] = 0.0f;
                }
            }
        }
    } else {  // op(W)[p][j] = W[p][j]: decode nc values of each of kc rows, straight into the slivers
        row.resize(nc);
        for (int p = 0; p < kc; p++) {
            decodeRow(w, p0 + p, j0, nc, row.data());
            for (int js = 0; js < nc; js += NR) {
                int cols = std::min(NR, nc - js);
                float* dst = out + (size_t)js * kc + (size_t)p * NR;
                std::memcpy(dst, row.data() + js, cols * sizeof(float));
                for (int j = cols; j < NR; j++) dst[j] = 0.0f;
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
        return [=, &w](int p0, int j, int kc, int nc, float* out) { packWeight(transW, w, p0, j0 + j, kc, nc, out); };
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
