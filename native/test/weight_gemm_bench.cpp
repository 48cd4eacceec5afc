// Speed probe of the weight products the trainer runs, on Q8_0 weights with Qwen2.5-0.5B shapes:
// forward y = x W^T and input gradient dx = dy W, 512 tokens, both threads. Prints GFLOP/s per
// shape and the flop-weighted total, by wall time and per CPU-second of the process (which other
// jobs on a shared machine disturb far less; with 1 thread it is the kernel's rate while it runs).
// Usage: weight-gemm-bench [threads] [q8_0 | f16 | f16-bf16]; DITTO_GEMM_KERNEL picks the kernel;
// f16-bf16: F16 weights with the bf16 products of --precision bf16 (GemmBf16).
#include "../src/AlignedVector.h"
#include "../src/Gemm.h"
#include "../src/GgufFile.h"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <random>
#include <vector>
using namespace ditto;
static double cpuNow() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
int main(int argc, char** argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    std::string kind = argc > 2 ? argv[2] : "q8_0";
    bool f16 = kind != "q8_0";
    ThreadPool pool(threads);
    std::mt19937 rng(1);
    const int T = 512;
    struct Shape { const char* name; int out, in, count; };
    Shape shapes[] = {{"q/o 896x896", 896, 896, 2}, {"k/v 128x896", 128, 896, 2}, {"gate/up 4864x896", 4864, 896, 2},
                      {"down 896x4864", 896, 4864, 1}, {"head chunk 8192x896", 8192, 896, 1}, {"head chunk 8064x896", 8064, 896, 0}};
    double totalFlop = 0, totalSec = 0, totalCpu = 0;
    for (auto& s : shapes) {
        size_t rowBytes = f16 ? (size_t)s.in * 2 : (size_t)s.in / 32 * 34;
        std::vector<uint8_t> q(rowBytes * s.out);
        for (size_t i = 0; i < q.size(); i++) q[i] = rng() & 0xff;
        for (int r = 0; r < s.out; r++)
            for (int b = 0; b < s.in / 32; b++) { q[r * rowBytes + b * 34] = 0x00; q[r * rowBytes + b * 34 + 1] = 0x20; }
        if (f16)  // halves of magnitude < 1 (exponent bits below 15)
            for (size_t i = 1; i < q.size(); i += 2) q[i] &= 0xb7;
        WeightMatrix w{q.data(), f16 ? GGML_F16 : GGML_Q8_0, s.out, s.in, rowBytes};
        w.bf16 = kind == "f16-bf16";
        // cache-line aligned like the engine's buffers (AlignedVector.h): the rows of C load as whole lines
        AlignedVector<float> x((size_t)T * s.in, 0.01f), y((size_t)T * s.out, 0.02f), dx((size_t)T * s.in);
        for (int dir = 0; dir < 2; dir++) {
            double best = 1e9, bestCpu = 1e9;
            for (int rep = 0; rep < 5; rep++) {
                auto t0 = std::chrono::steady_clock::now();
                double c0 = cpuNow();
                if (dir == 0) gemmWeight(&pool, true, T, s.out, s.in, 1.0f, x.data(), s.in, w, 0.0f, y.data(), s.out);
                else gemmWeight(&pool, false, T, s.in, s.out, 1.0f, y.data(), s.out, w, 1.0f, dx.data(), s.in);
                best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
                bestCpu = std::min(bestCpu, cpuNow() - c0);
            }
            double flop = 2.0 * T * s.out * s.in;
            totalFlop += flop * s.count;
            totalSec += best * s.count;
            totalCpu += bestCpu * s.count;
            printf("%-22s %s %7.1f GFLOP/s, %7.1f per CPU-second\n", s.name, dir ? "dx=dy W " : "y=x W^T ", flop / best / 1e9, flop / bestCpu / 1e9);
        }
    }
    printf("%s, %s weights weighted: %.1f GFLOP/s, %.1f per CPU-second\n", kind == "f16-bf16" ? "avx512bf16" : gemmKernelName(), f16 ? "F16" : "Q8_0", totalFlop / totalSec / 1e9, totalFlop / totalCpu / 1e9);
}
