// The machine's FMA peak, to compare the products' GFLOP/s with: independent FMA chains in
// registers (no memory traffic), per thread and on all given threads, for AVX2 and AVX-512 FMA
// and AVX512-BF16's vdpbf16ps (counted as 2 x 32 flops: 16 lanes, a pair of products each).
// Wall-clock figures and, robust to other processes sharing the cores, GFLOP per CPU-second of
// each thread (CLOCK_THREAD_CPUTIME_ID).
// Build: g++ -std=c++17 -O2 -pthread -o fma-peak native/test/fma_peak.cpp
#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>
#include <vector>

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
__attribute__((target("avx512f,avx512bf16"))) static double runBf16(long iters) {
    DITTO_CHAINS(__m512, _mm512_set1_ps, DITTO_DPBF16)
}

int main(int argc, char** argv) {
    int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    const long iters = 50'000'000;
    __builtin_cpu_init();
    struct Kind { const char* name; int lanes; double (*fn)(long); bool ok; };
    Kind kinds[] = {{"avx2", 8, run256, __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")},
                    {"avx512f", 16, run512, (bool)__builtin_cpu_supports("avx512f")},
                    {"avx512bf16 (vdpbf16ps)", 32, runBf16, (bool)__builtin_cpu_supports("avx512bf16")}};
    for (const Kind& k : kinds) {
        if (!k.ok) { std::printf("%s: not supported by this CPU\n", k.name); continue; }
        for (int t : {1, threads}) {
            std::vector<double> sink(t), cpu(t);
            auto t0 = std::chrono::steady_clock::now();
            std::vector<std::thread> pool;
            for (int i = 0; i < t; i++)
                pool.emplace_back([&, i] {
                    timespec a, b;
                    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
                    sink[i] = k.fn(iters);
                    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
                    cpu[i] = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
                });
            for (auto& th : pool) th.join();
            double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            double flop = 2.0 * 12 * k.lanes * iters, perCpuSecond = 0;
            for (int i = 0; i < t; i++) perCpuSecond += flop / cpu[i] / 1e9;
            std::printf("%s peak, %d thread(s): %.1f GFLOP/s wall, %.1f GFLOP per CPU-second per thread (sum %.1f)%s\n", k.name, t,
                        flop * t / s / 1e9, perCpuSecond / t, perCpuSecond, sink[0] == 12345 ? " " : "");
        }
    }
}
