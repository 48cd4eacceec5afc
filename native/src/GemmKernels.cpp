#include "GemmKernels.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DITTO_X86 1
#endif

namespace ditto {

void microKernelPortable(int kc, const float* a, int lda, int rows, const float* b, int ldb, int, int, float* c, int ldc, float alpha,
                         bool overwrite) {
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
__attribute__((target("avx2,fma"))) void microKernelAvx2(int kc, const float* a, int lda, int rows, const float* b, int ldb, int, int,
                                                         float* c, int ldc, float alpha, bool overwrite) {
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
#else
void microKernelAvx2(int kc, const float* a, int lda, int rows, const float* b, int ldb, int bNext, int cols, float* c, int ldc, float alpha,
                     bool overwrite) {
    microKernelPortable(kc, a, lda, rows, b, ldb, bNext, cols, c, ldc, alpha, overwrite);
}
void microKernelAvx512(int kc, const float* a, int lda, int rows, const float* b, int ldb, int bNext, int cols, float* c, int ldc, float alpha,
                       bool overwrite) {
    microKernelPortable(kc, a, lda, rows, b, ldb, bNext, cols, c, ldc, alpha, overwrite);
}
void packSliverAvx512(const float* const* src, int kc, float* dst) {
    for (int p = 0; p < kc; p++)
        for (int r = 0; r < MR; r++) dst[(size_t)p * MR + r] = src[r][p];
}
#endif

MicroKernel kernelOf(GemmIsa isa) {
    switch (isa) {
        case GemmIsa::Avx512: return microKernelAvx512;
        case GemmIsa::Avx2: return microKernelAvx2;
        default: return microKernelPortable;
    }
}

bool cpuHasIsa(GemmIsa isa) {
#ifdef DITTO_X86
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    switch (isa) {
        case GemmIsa::Avx512: return avx2 && __builtin_cpu_supports("avx512f");
        case GemmIsa::Avx2: return avx2;
        default: return true;
    }
#else
    return isa == GemmIsa::Portable;
#endif
}

const char* isaName(GemmIsa isa) {
    switch (isa) {
        case GemmIsa::Avx512: return "avx512f";
        case GemmIsa::Avx2: return "avx2";
        default: return "portable";
    }
}

static GemmIsa chooseProcessIsa() {
    GemmIsa best = cpuHasIsa(GemmIsa::Avx512) ? GemmIsa::Avx512 : cpuHasIsa(GemmIsa::Avx2) ? GemmIsa::Avx2 : GemmIsa::Portable;
    const char* want = std::getenv("DITTO_GEMM_KERNEL");
    if (!want || !*want) return best;
    for (GemmIsa isa : {GemmIsa::Portable, GemmIsa::Avx2, GemmIsa::Avx512}) {
        if (std::strcmp(want, isaName(isa)) != 0) continue;
        if (cpuHasIsa(isa)) return isa;
        std::fprintf(stderr, "warning: DITTO_GEMM_KERNEL=%s: this CPU lacks it; using %s\n", want, isaName(best));
        return best;
    }
    std::fprintf(stderr, "warning: DITTO_GEMM_KERNEL=%s is not one of portable, avx2, avx512f; using %s\n", want, isaName(best));
    return best;
}

GemmIsa processIsa() {
    static const GemmIsa isa = chooseProcessIsa();
    return isa;
}

static thread_local int threadIsa = -1;
void setThreadIsa(GemmIsa isa) { threadIsa = (int)isa; }
void clearThreadIsa() { threadIsa = -1; }
GemmIsa activeIsa() { return threadIsa >= 0 ? (GemmIsa)threadIsa : processIsa(); }

// Size in bytes of the cache of `level` (type Data/Unified) from sysfs, or 0.
static size_t sysfsCache(int level) {
    for (int index = 0; index < 8; index++) {
        std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
        std::ifstream lv(dir + "level"), ty(dir + "type"), sz(dir + "size");
        int l = 0;
        std::string type, size;
        if (!(lv >> l) || !(ty >> type) || !(sz >> size)) continue;
        if (l != level || type == "Instruction") continue;
        size_t n = std::strtoull(size.c_str(), nullptr, 10);
        char unit = size.empty() ? 0 : size.back();
        return unit == 'K' ? n << 10 : unit == 'M' ? n << 20 : n;
    }
    return 0;
}

static CpuCaches detectCaches() {
    CpuCaches c{};
#ifdef _SC_LEVEL1_DCACHE_SIZE
    long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE), l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    c.l1d = l1 > 0 ? (size_t)l1 : 0;
    c.l2 = l2 > 0 ? (size_t)l2 : 0;
    c.l3 = l3 > 0 ? (size_t)l3 : 0;
#endif
    if (!c.l1d) c.l1d = sysfsCache(1);
    if (!c.l2) c.l2 = sysfsCache(2);
    if (!c.l3) c.l3 = sysfsCache(3);
    // unknown (containers without sysfs, other OSes): the smallest common x86 sizes
    if (!c.l1d) c.l1d = 32 << 10;
    if (!c.l2) c.l2 = 512 << 10;
    if (!c.l3) c.l3 = c.l2;
    unsigned hw = std::thread::hardware_concurrency();
    c.cores = hw ? (int)hw : 1;
    return c;
}

const CpuCaches& cpuCaches() {
    static const CpuCaches c = detectCaches();
    return c;
}

static int roundDown(int x, int unit) { return std::max(unit, x / unit * unit); }

static GemmBlocking computeBlocking(GemmIsa isa) {
    const CpuCaches& c = cpuCaches();
    GemmBlocking b;
    int tc = tileCols(isa);
    // kc: the B sliver (kc x tile width) takes half of L1 for the 6 x 16 tile (tuned on a Zen 2
    // EPYC: 256 with 32 KB), all of it for the 12 x 32 tile, whose A and B loads per FMA are few
    // enough for L2 to feed and whose C tile (24 zmm loads and stores per call) is worth spreading
    // over a longer k (Xeon, 48 KB L1: 384 ran 5-10% faster than 192). A multiple of 32 so
    // quantized blocks (32 values) split evenly.
    size_t slice = isa == GemmIsa::Avx512 ? c.l1d : c.l1d / 2;
    b.kc = std::clamp(roundDown((int)(slice / (tc * sizeof(float))), 32), 64, 512);
    // the A block takes half of L2, B slivers passing through the rest
    b.mc = std::clamp(roundDown((int)(c.l2 / 2 / (b.kc * sizeof(float))), 2 * MR), 2 * MR, 4096);
    // the B panel: half of a core's share of L3, at least four slivers, at most 4096 columns (its
    // buffer is per thread)
    size_t share = std::max(c.l2, c.l3 / std::max(1, c.cores));
    b.nc = std::clamp(roundDown((int)(share / 2 / (b.kc * sizeof(float))), 2 * NR), 4 * tc, 4096);
    if (const char* env = std::getenv("DITTO_GEMM_BLOCKS")) {
        int kc = 0, mc = 0, nc = 0;
        if (std::sscanf(env, "%d,%d,%d", &kc, &mc, &nc) == 3 && kc >= 8 && mc >= 1 && nc >= 1) {
            b.kc = roundDown(kc, 8);
            b.mc = roundDown(mc, 2 * MR);
            b.nc = roundDown(nc, 2 * NR);
        } else {
            std::fprintf(stderr, "warning: DITTO_GEMM_BLOCKS=%s is not \"kc,mc,nc\"; using %d,%d,%d\n", env, b.kc, b.mc, b.nc);
        }
    }
    return b;
}

const GemmBlocking& gemmBlocking(GemmIsa isa) {
    static const GemmBlocking blocks[3] = {computeBlocking(GemmIsa::Portable), computeBlocking(GemmIsa::Avx2), computeBlocking(GemmIsa::Avx512)};
    return blocks[(int)isa];
}

}  // namespace ditto

namespace ditto {
static thread_local const GemmBlocking* threadBlocking = nullptr;
void setThreadBlocking(const GemmBlocking* blocks) { threadBlocking = blocks; }
const GemmBlocking& activeBlocking(GemmIsa isa) { return threadBlocking ? *threadBlocking : gemmBlocking(isa); }
}  // namespace ditto
