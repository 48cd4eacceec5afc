// The machine's FMA peak, to compare the products' GFLOP/s with (native/src/FmaPeak.h), on one
// thread and on the given number: wall-clock figures and, robust to other processes sharing the
// cores, GFLOP per CPU-second of each thread (CLOCK_THREAD_CPUTIME_ID). `npm run bench:train`
// measures the same peak in its own run.
// Build: g++ -std=c++17 -O2 -pthread -o fma-peak native/test/fma_peak.cpp native/src/FmaPeak.cpp
#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#include "../src/FmaPeak.h"

int main(int argc, char** argv) {
    int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    for (const char* kind : {"avx2", "avx512f", "avx512bf16"}) {
        for (int t : {1, threads}) {
            ditto::FmaPeak p;
            if (!ditto::fmaPeak(kind, t, 50'000'000, p)) { std::printf("%s: not supported by this CPU\n", kind); break; }
            std::printf("%s peak, %d thread(s): %.1f GFLOP/s wall, %.1f GFLOP per CPU-second per thread (sum %.1f)\n", kind, t, p.wallGflops,
                        p.perCpuSecond, p.perCpuSecond * t);
        }
    }
}
