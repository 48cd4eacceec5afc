// The CUDA semantics the emulator must reproduce, each against host values: barriers and shared
// memory, warp shuffles and votes, WMMA products, atomics across blocks, bf16 rounding,
// cp.async and launch checks. They run natively on a GPU too, which checks the tests
// themselves. The emulator_* cases that need the emulator's NaN fill and fiber shuffling (a
// missing barrier must give wrong results, not pass by luck) are compiled only there.
#include <cstring>
#include <string>
#include <vector>

#include "EmulatorTestUtil.h"

using namespace ditto::test;
using namespace ditto::test::emu;

namespace {

// One block sums 256 values through shared memory; without the barriers the tree reduction
// reads partial sums that other threads have not written yet.
__global__ void blockSum(float* out, const float* in, int withBarrier) {
    DITTO_SHARED(float, partial, 256);
    unsigned t = threadIdx.x;
    partial[t] = in[blockIdx.x * 256 + t];
    if (withBarrier) __syncthreads();
    for (unsigned stride = 128; stride > 0; stride /= 2) {
        if (t < stride) partial[t] += partial[t + stride];
        if (withBarrier) __syncthreads();
    }
    if (t == 0) out[blockIdx.x] = partial[0];
}

std::vector<float> hostBlockSums(const std::vector<float>& in, int blocks) {
    std::vector<float> want(blocks, 0.0f);
    for (int b = 0; b < blocks; b++) {
        std::vector<float> p(in.begin() + b * 256, in.begin() + (b + 1) * 256);
        for (int stride = 128; stride > 0; stride /= 2)
            for (int t = 0; t < stride; t++) p[t] += p[t + stride];
        want[b] = p[0];
    }
    return want;
}

// Per lane: the PTX shfl.sync results for a few sources, widths and directions.
__global__ void shuffles(float* outF, int* outI, double* outD) {
    unsigned t = threadIdx.x, lane = t % 32;
    float f = 1.5f * (float)t - 7.0f;
    int i = (int)(t * 3) - 50;
    double d = 0.25 * (double)t + 1e-12 * (double)t;
    float* of = outF + t * 6;
    of[0] = __shfl_sync(0xffffffffu, f, (int)((lane * 7 + 3) % 32));
    of[1] = __shfl_sync(0xffffffffu, f, 5, 8);
    of[2] = __shfl_xor_sync(0xffffffffu, f, 5);
    of[3] = __shfl_down_sync(0xffffffffu, f, 3);
    of[4] = __shfl_up_sync(0xffffffffu, f, 2, 16);
    of[5] = __shfl_down_sync(0xffffffffu, f, 1, 4);
    outI[t * 2] = __shfl_xor_sync(0xffffffffu, i, 17);
    outI[t * 2 + 1] = __shfl_up_sync(0xffffffffu, i, 5);
    outD[t] = __shfl_sync(0xffffffffu, d, (int)(31 - lane));
}

// Per lane: ballot, any, all and __syncthreads_count of lane-dependent predicates.
__global__ void votes(unsigned* out) {
    unsigned t = threadIdx.x, lane = t % 32, w = t / 32;
    unsigned* o = out + t * 6;
    o[0] = __ballot_sync(0xffffffffu, lane % 3 == 0 || lane == 31 - w);
    o[1] = (unsigned)__any_sync(0xffffffffu, w == 1 && lane == 17);
    o[2] = (unsigned)__all_sync(0xffffffffu, lane < 31 || w == 2);
    o[3] = (unsigned)__any_sync(0xffffffffu, 0);
    o[4] = (unsigned)__syncthreads_count(t % 5 == 0);
    o[5] = (unsigned)__syncthreads_or(t == 77);
}

float hostShflF(int t, int kind) {
    auto f = [&](int src) { return 1.5f * (float)src - 7.0f; };
    int lane = t % 32, base = t - lane;
    switch (kind) {
    case 0: return f(base + (lane * 7 + 3) % 32);
    case 1: return f(base + (lane & ~7) + 5);
    case 2: return f(base + (lane ^ 5));
    case 3: return lane + 3 < 32 ? f(t + 3) : f(t);
    case 4: return lane % 16 >= 2 ? f(t - 2) : f(t);
    default: return lane % 4 + 1 < 4 ? f(t + 1) : f(t);
    }
}

}  // namespace

KERNEL_TEST(emulator_block_reduction) {
    const int blocks = 8;
    std::vector<float> in = ramp(blocks * 256, 0.25f);
    Buffer<float> dIn(in), dOut(blocks);
    dittoLaunch(blockSum, dim3(blocks), dim3(256), 0, (cudaStream_t)0, dOut.p, (const float*)dIn.p, 1);
    expectLaunched("blockSum");
    expectClose("block sums", dOut.get(), hostBlockSums(in, blocks), 0.0);
}

#if defined(DITTO_CUDA_EMU)
KERNEL_TEST(emulator_exposes_missing_barrier) {
    const int blocks = 8;
    std::vector<float> in = ramp(blocks * 256, 0.25f);
    Buffer<float> dIn(in), dOut(blocks);
    dittoLaunch(blockSum, dim3(blocks), dim3(256), 0, (cudaStream_t)0, dOut.p, (const float*)dIn.p, 0);
    expectLaunched("blockSum");
    std::vector<float> got = dOut.get(), want = hostBlockSums(in, blocks);
    int wrong = 0;
    for (int b = 0; b < blocks; b++) wrong += !(got[b] == want[b]);
    std::printf("  blocks with a wrong sum without the barriers: %d of %d\n", wrong, blocks);
    if (wrong != blocks) failCurrentTest("a missing __syncthreads went unnoticed in some block");
}
#endif

KERNEL_TEST(emulator_shuffles) {
    const int n = 96;  // three warps
    Buffer<float> outF(n * 6);
    Buffer<int> outI(n * 2);
    Buffer<double> outD(n);
    dittoLaunch(shuffles, dim3(1), dim3(n), 0, (cudaStream_t)0, outF.p, outI.p, outD.p);
    expectLaunched("shuffles");
    std::vector<float> wantF(n * 6);
    std::vector<int> wantI(n * 2);
    for (int t = 0; t < n; t++) {
        int lane = t % 32;
        for (int k = 0; k < 6; k++) wantF[t * 6 + k] = hostShflF(t, k);
        wantI[t * 2] = (int)((t - lane + (lane ^ 17)) * 3) - 50;
        wantI[t * 2 + 1] = lane >= 5 ? (t - 5) * 3 - 50 : t * 3 - 50;
    }
    expectClose("float shuffles", outF.get(), wantF, 0.0);
    std::vector<int> gotI = outI.get();
    std::vector<double> gotD = outD.get();
    int badI = 0, badD = 0;
    for (int k = 0; k < n * 2; k++) badI += gotI[k] != wantI[k];
    for (int t = 0; t < n; t++) {
        int src = t - t % 32 + 31 - t % 32;
        badD += gotD[t] != 0.25 * (double)src + 1e-12 * (double)src;
    }
    std::printf("  int shuffles wrong: %d, double shuffles wrong: %d\n", badI, badD);
    if (badI || badD) failCurrentTest("int or double shuffles");
}

KERNEL_TEST(emulator_votes) {
    const int n = 96;
    Buffer<unsigned> out(n * 6);
    dittoLaunch(votes, dim3(1), dim3(n), 0, (cudaStream_t)0, out.p);
    expectLaunched("votes");
    std::vector<unsigned> got = out.get();
    int bad = 0;
    for (int t = 0; t < n; t++) {
        unsigned w = t / 32, ballot = 0;
        for (unsigned l = 0; l < 32; l++) ballot |= (unsigned)(l % 3 == 0 || l == 31 - w) << l;
        unsigned want[6] = {ballot, w == 1, w == 2, 0, (n + 4) / 5, 1};
        for (int k = 0; k < 6; k++) bad += got[t * 6 + k] != want[k];
    }
    std::printf("  wrong vote results: %d of %d\n", bad, n * 6);
    if (bad) failCurrentTest("votes");
}
