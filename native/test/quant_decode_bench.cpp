// Speed of the weight products per encoding: y = x W^T and dx = dy W with W 2048 x 2048 in each
// type the engine reads, 512 tokens, one thread, GFLOP per CPU-second of the process (which other
// jobs on a shared machine disturb far less than wall time). Shows what decoding each block type
// inside the products costs next to Q8_0's AVX2 decoder and F16's.
// Build: g++ -std=c++17 -O3 -pthread -Inative/src -o quant-decode-bench native/test/quant_decode_bench.cpp \
//          native/src/{Gemm,GemmKernels,GemmKernelAvx512,GemmBf16,WeightDecode,QuantGroupsAvx2,Dequantize,ThreadPool,GgufFile}.cpp
// DITTO_GEMM_KERNEL picks the kernel.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

#include "Dequantize.h"
#include "Gemm.h"
#include "GgufFile.h"
using namespace ditto;

static double cpuNow() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main() {
    ThreadPool pool(1);
    std::mt19937 rng(1);
    const int T = 512, N = 2048, K = 2048;
    struct Enc { const char* name; uint32_t type; };
    const Enc encs[] = {{"F16", GGML_F16},   {"Q8_0", GGML_Q8_0}, {"Q4_0", GGML_Q4_0}, {"Q4_1", GGML_Q4_1}, {"Q5_0", GGML_Q5_0},
                        {"Q5_1", GGML_Q5_1}, {"Q4_K", GGML_Q4_K}, {"Q5_K", GGML_Q5_K}, {"Q6_K", GGML_Q6_K}};
    for (const Enc& e : encs) {
        size_t rowBytes = tensorBytes(e.type, K);
        std::vector<uint8_t> w(rowBytes * N);
        // bytes below 0x40 keep every f16 (values of F16, block scales) finite and small
        for (auto& b : w) b = rng() & 0x3f;
        WeightMatrix m{w.data(), e.type, N, K, rowBytes};
        std::vector<float> x((size_t)T * K, 0.01f), y((size_t)T * N), dx((size_t)T * K);
        double best[2] = {1e9, 1e9};
        for (int dir = 0; dir < 2; dir++)
            for (int rep = 0; rep < 3; rep++) {
                double c0 = cpuNow();
                if (dir == 0) gemmWeight(&pool, true, T, N, K, 1.0f, x.data(), K, m, 0.0f, y.data(), N);
                else gemmWeight(&pool, false, T, K, N, 1.0f, y.data(), N, m, 1.0f, dx.data(), K);
                best[dir] = std::min(best[dir], cpuNow() - c0);
            }
        double flop = 2.0 * T * N * K;
        std::printf("%-5s y = x W^T %6.1f, dx = dy W %6.1f GFLOP per CPU-second (%s)\n", e.name, flop / best[0] / 1e9, flop / best[1] / 1e9,
                    gemmKernelName());
    }
}
