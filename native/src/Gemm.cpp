#include "Gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "AlignedVector.h"
#include "Dequantize.h"
#include "GemmBf16.h"
#include "GemmKernels.h"
#include "GgufFile.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DITTO_X86 1
#endif

namespace ditto {

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

const char* gemmKernelName() { return isaName(processIsa()); }

// 2 x M x N x K of every float product run (the executed work that benchmarks compare with the
// FMA peak); relaxed: one add per product call, read between steps.
static std::atomic<uint64_t> flopCounter{0};
static void countFlops(int M, int N, int K) { flopCounter.fetch_add(2ull * (uint64_t)M * (uint64_t)N * (uint64_t)K, std::memory_order_relaxed); }
uint64_t gemmFlops() { return flopCounter.load(std::memory_order_relaxed); }

// What all threads of one product share: the ISA chosen on the calling thread (a self-test may
// force one there), its kernel, tile and cache blocks.
struct GemmPlan {
    GemmIsa isa;
    MicroKernel kernel;
    GemmBlocking blk;
    int tr, tc;  // largest tile: the step of the register-block loops
};
static GemmPlan makePlan() {
    GemmIsa isa = activeIsa();
    return {isa, kernelOf(isa), activeBlocking(isa), tileRows(isa), tileCols(isa)};
}

// Packs op(A)[i0.., p0..] (mc x kc) into MR-row slivers, [kc][MR] each, zero-padded.
static void packA(GemmIsa isa, bool transA, const float* A, int lda, int i0, int p0, int mc, int kc, float* out) {
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
            if (rows == MR && isa == GemmIsa::Avx512) {
                packSliverAvx512(src, kc, dst);
                continue;
            }
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

// One thread's share: C[M x N] += alpha op(A) op(B), blocked: a KC x tile-width sliver of B stays
// in L1, an MC x KC block of A in L2, a KC x NC panel of B in L2/L3.
template <typename PackB>
static void gemmSerial(const GemmPlan& plan, bool transA, int M, int N, int K, float alpha, const float* A, int lda, const BOperand<PackB>& B,
                       float* C, int ldc, bool overwrite, const float* prepackedA = nullptr) {
    // 64-byte aligned so every B row of a sliver (16 floats) is one cache line and loads never split
    thread_local AlignedBuffer packedA, packedB, edgeB;
    const int KC = plan.blk.kc, MC = plan.blk.mc, NC = plan.blk.nc, TR = plan.tr, TC = plan.tc;
    bool packedAOn = transA || N > PACK_A_MIN_COLS || prepackedA;
    int Mpad = (M + MR - 1) / MR * MR;
    if (packedAOn && !prepackedA) packedA.resize((size_t)MC * KC);
    if (!B.direct) packedB.resize((size_t)KC * (NC + 2 * NR));
    else edgeB.resize((size_t)KC * TC);
    alignas(64) float edge[MAX_TILE_ROWS * MAX_TILE_COLS];
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
                if (packedAOn && !prepackedA) packA(plan.isa, transA, A, lda, ic, pc, mc, kc, packedA.data());
                for (int jr = 0; jr < nc; jr += TC) {
                    int cols = std::min(TC, nc - jr);
                    const float* bs;
                    int bstride = NR, bNext = NR * kc;  // packed: slivers of NR columns one after another
                    if (!B.direct) {
                        bs = packedB.data() + (size_t)jr * kc;
                    } else if (cols == TC) {
                        bs = B.direct + (size_t)pc * B.ldb + jc + jr;
                        bstride = B.ldb;
                        bNext = NR;
                    } else {  // a partial sliver: copy it, zero-padded, so the kernel never reads past the matrix
                        float* e = edgeB.data();
                        for (int p = 0; p < kc; p++)
                            for (int j = 0; j < TC; j++) e[p * TC + j] = j < cols ? B.direct[(size_t)(pc + p) * B.ldb + jc + jr + j] : 0.0f;
                        bs = e;
                        bstride = TC;
                        bNext = NR;
                    }
                    for (int ir = 0; ir < mc; ir += TR) {
                        int rows = std::min(TR, mc - ir);
                        const float* as = packedAOn ? ablock + (size_t)ir * kc : A + (size_t)(ic + ir) * lda + pc;
                        int astride = packedAOn ? 0 : lda;
                        float* c = C + (size_t)(ic + ir) * ldc + jc + jr;
                        int ktr, ktc;
                        kernelTile(plan.isa, rows, cols, ktr, ktc);
                        if (rows == ktr && cols == ktc) {
                            plan.kernel(kc, as, astride, rows, bs, bstride, bNext, cols, c, ldc, alpha, first);
                        } else {
                            plan.kernel(kc, as, astride, rows, bs, bstride, bNext, cols, edge, ktc, alpha, true);
                            for (int r = 0; r < rows; r++)
                                for (int j = 0; j < cols; j++) c[r * ldc + j] = (first ? 0.0f : c[r * ldc + j]) + edge[r * ktc + j];
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
    countFlops(M, N, K);
    const GemmPlan plan = makePlan();
    const int KC = plan.blk.kc, MC = plan.blk.mc;
    int threads = (pool && !insideParallelRegion()) ? pool->size() : 1;
    double work = (double)M * N * K;
    if (threads <= 1 || work < 2e5) {
        gemmSerial(plan, transA, M, N, K, alpha, A, lda, makeB(0), C, ldc, overwrite);
        return;
    }
    bool splitN = N >= M;
    int unit = splitN ? plan.tc : plan.tr;
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
            packA(plan.isa, transA, A, lda, ic, pc, mc, kc, dst + (size_t)pc * Mpad + (size_t)ic * kc);
        });
        prepackedA = dst;
    }
    pool->parallelFor(parts, [&](int part, int) {
        int u0 = (int)((long long)units * part / parts), u1 = (int)((long long)units * (part + 1) / parts);
        int s0 = u0 * unit, s1 = std::min(extent, u1 * unit);
        if (s1 <= s0) return;
        if (splitN) {
            gemmSerial(plan, transA, M, s1 - s0, K, alpha, A, lda, makeB(s0), C + s0, ldc, overwrite, prepackedA);
        } else {
            const float* a = transA ? A + s0 : A + (size_t)s0 * lda;
            gemmSerial(plan, transA, s1 - s0, N, K, alpha, a, lda, makeB(0), C + (size_t)s0 * ldc, ldc, overwrite);
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
    if (transA && !transB && N <= tileCols(activeIsa()) && M > DIRECT_B_MAX_ROWS && K > 0 && alpha != 0.0f) {
        // A thin product with a transposed A (a LoRA B gradient: dB += dy^T h): packing the big
        // transposed A would cost as much as the product, so compute C^T = B^T A, where B^T is
        // the small packed operand and A is read in place, then add it transposed.
        thread_local AlignedVector<float> t;
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
static void packWeight(bool transW, const WeightMatrix& w, int p0, int j0, int kc, int nc, float* out, bool simd) {
    thread_local AlignedVector<float> rows;
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
                if (j < cols) decodeRow(w, j0 + js + j, p0, kc, row, simd);
                else std::fill(row, row + kc, 0.0f);
            }
#ifdef DITTO_X86
            if (simd && kc % 8 == 0) {
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
            for (int p = 0; p < np; p++) decodeRow(w, p0 + pt + p, j0, nc, rows.data() + (size_t)p * nc, simd);
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
    if (w.bf16) {
        if (M > 0 && N > 0 && K > 0 && alpha != 0.0f) countFlops(M, N, K);
        gemmWeightBf16(pool, transW, M, N, K, alpha, A, lda, w, beta, C, ldc);
        return;
    }
    if (w.type == GGML_F32) {  // plain floats: the ordinary packer reads them directly
        const float* B = reinterpret_cast<const float*>(w.data);
        gemm(pool, false, transW, M, N, K, alpha, A, lda, B, (int)(w.rowBytes / 4), beta, C, ldc);
        return;
    }
    bool simd = activeIsa() != GemmIsa::Portable;
    gemmDriver(pool, false, M, N, K, alpha, A, lda, [&](int j0) {
        auto pack = [=, &w](int p0, int j, int kc, int nc, float* out) { packWeight(transW, w, p0, j0 + j, kc, nc, out, simd); };
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
