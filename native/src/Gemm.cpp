#include "Gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DITTO_X86 1
#endif

namespace ditto {

// Register tile MR x NR: 6 rows x 16 columns = 12 ymm accumulators, 2 for B, 1 broadcast of A.
static constexpr int MR = 6, NR = 16;
// Cache blocks: a KC x NR sliver of B stays in L1, an MC x KC block of A in L2, KC x NC of B in L3.
static constexpr int KC = 256, MC = 144, NC = 3072;

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
    for (int p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
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

// One thread's share: C[M x N] += alpha op(A) op(B), blocked and packed.
static void gemmSerial(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                       const float* B, int ldb, float* C, int ldc) {
    thread_local std::vector<float> packedA, packedB;
    packedA.resize((size_t)MC * KC);
    packedB.resize((size_t)KC * (NC + NR));
    float edge[MR * NR];
    for (int jc = 0; jc < N; jc += NC) {
        int nc = std::min(NC, N - jc);
        for (int pc = 0; pc < K; pc += KC) {
            int kc = std::min(KC, K - pc);
            packB(transB, B, ldb, pc, jc, kc, nc, packedB.data());
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

void gemm(ThreadPool* pool, bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (beta == 0.0f) {
        for (int i = 0; i < M; i++) std::memset(C + (size_t)i * ldc, 0, N * sizeof(float));
    } else if (beta != 1.0f) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] *= beta;
    }
    if (K <= 0 || alpha == 0.0f) return;
    int threads = (pool && !insideParallelRegion()) ? pool->size() : 1;
    // Split the larger output dimension so each thread packs only its own part of the bigger
    // operand; parts are whole register tiles so no two threads write one tile.
    double work = (double)M * N * K;
    if (threads <= 1 || work < 2e5) {
        gemmSerial(transA, transB, M, N, K, alpha, A, lda, B, ldb, C, ldc);
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
            const float* b = transB ? B + (size_t)s0 * ldb : B + s0;
            gemmSerial(transA, transB, M, s1 - s0, K, alpha, A, lda, b, ldb, C + s0, ldc);
        } else {
            const float* a = transA ? A + s0 : A + (size_t)s0 * lda;
            gemmSerial(transA, transB, s1 - s0, N, K, alpha, a, lda, B, ldb, C + (size_t)s0 * ldc, ldc);
        }
    });
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
