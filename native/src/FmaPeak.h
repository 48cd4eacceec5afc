// The machine's FMA peak, to compare the products' GFLOP/s with: independent FMA chains in
// registers (no memory traffic) on the given number of threads, for AVX2 and AVX-512 FMA and
// AVX512-BF16's vdpbf16ps (counted as 2 x 32 flops: 16 lanes, a pair of products each).
#pragma once

namespace ditto {

struct FmaPeak {
    double wallGflops = 0;        // flops of all threads / wall seconds
    double perCpuSecond = 0;      // mean over threads of flops / that thread's CPU seconds (robust to other processes)
};

// kind: "avx2", "avx512f" or "avx512bf16". Returns false (out untouched) when the CPU lacks it or
// the kind is unknown. iters: chain steps per thread (50M take ~0.25 s at 3 GHz with AVX-512).
bool fmaPeak(const char* kind, int threads, long iters, FmaPeak& out);

}  // namespace ditto
