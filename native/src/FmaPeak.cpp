#include "FmaPeak.h"

#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DITTO_X86 1
#endif

namespace ditto {

#ifdef DITTO_X86
// 12 independent chains: enough to cover the FMA latency (4 cycles) on two ports
#define DITTO_CHAINS(V, SET1, FMA)                                         \
    V a[12];                                                               \
    for (int i = 0; i < 12; i++) a[i] = SET1(0.5f + i * 1e-3f);            \
    V m = SET1(0.999f);                                                    \
    for (long it = 0; it < iters; it++)                                    \
        _Pragma("GCC unroll 12")                                           \
        for (int i = 0; i < 12; i++) a[i] = FMA(a[i], m, m);               \
    float out = 0;                                                         \
    for (int i = 0; i < 12; i++) out += ((float*)&a[i])[0];                \
    return out;

__attribute__((target("avx2,fma"))) static double run256(long iters) { DITTO_CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps) }
__attribute__((target("avx512f"))) static double run512(long iters) { DITTO_CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps) }
// a[i] += pairs of bf16 products; m holds bf16 pairs of 0.999 and 0.5
#define DITTO_DPBF16(acc, m, unused) _mm512_dpbf16_ps(acc, (__m512bh)_mm512_castps_si512(m), (__m512bh)_mm512_castps_si512(m))
__attribute__((target("avx512f,avx512bf16"))) static double runBf16(long iters) { DITTO_CHAINS(__m512, _mm512_set1_ps, DITTO_DPBF16) }
#undef DITTO_DPBF16
#undef DITTO_CHAINS
#endif

bool fmaPeak(const char* kind, int threads, long iters, FmaPeak& out) {
#ifdef DITTO_X86
    __builtin_cpu_init();
    double (*fn)(long) = nullptr;
    int lanes = 0;
    if (!std::strcmp(kind, "avx2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) fn = run256, lanes = 8;
    else if (!std::strcmp(kind, "avx512f") && __builtin_cpu_supports("avx512f")) fn = run512, lanes = 16;
    else if (!std::strcmp(kind, "avx512bf16") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16")) fn = runBf16, lanes = 32;
    if (!fn || threads < 1 || iters < 1) return false;
    std::vector<double> sink(threads), cpu(threads);
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; i++)
        pool.emplace_back([&, i] {
            timespec a, b;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
            sink[i] = fn(iters);
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
            cpu[i] = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
        });
    for (auto& th : pool) th.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double flop = 2.0 * 12 * lanes * (double)iters, perCpu = 0;
    for (int i = 0; i < threads; i++) perCpu += flop / cpu[i] / 1e9;
    // the chains' result is kept so the loop cannot be optimized away
    volatile double keep = sink[0];
    (void)keep;
    out.wallGflops = flop * threads / s / 1e9;
    out.perCpuSecond = perCpu / threads;
    return true;
#else
    (void)kind, (void)threads, (void)iters, (void)out;
    return false;
#endif
}

}  // namespace ditto
