// Tests of the CUDA emulator itself (they run natively on a GPU too, where they check that the
// emulator's semantics are CUDA's): barriers, shared memory, shuffles, votes, WMMA, atomics,
// bf16 rounding. emulator_exposes_missing_barrier runs only emulated: it proves that a missing
// __syncthreads gives wrong results here instead of passing by luck.
#include <cstring>
#include <string>
#include <vector>

#include "KernelTest.h"
#include "compat/Cuda.h"

using ditto::test::expectClose;
using ditto::test::failCurrentTest;

namespace {

template <class T>
struct DeviceBuffer {
    T* p = nullptr;
    size_t n = 0;
    explicit DeviceBuffer(size_t count) : n(count) { DITTO_CUDA_CHECK(cudaMalloc(&p, count * sizeof(T))); }
    explicit DeviceBuffer(const std::vector<T>& h) : DeviceBuffer(h.size()) {
        DITTO_CUDA_CHECK(cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice));
    }
    ~DeviceBuffer() { cudaFree(p); }
    std::vector<T> get() const {
        std::vector<T> h(n);
        DITTO_CUDA_CHECK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
        return h;
    }
};

void expectLaunched(const char* what) {
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) failCurrentTest((std::string(what) + ": " + cudaGetErrorString(e)).c_str());
}

std::vector<float> ramp(size_t n, float scale) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; i++) v[i] = scale * (float)((i * 37 + 11) % 101) - 0.5f * scale * 100.0f;
    return v;
}

// One block sums 256 values through shared memory; with withBarrier false the tree reduction
// reads partial sums other threads may not have written yet.
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
    for (int b = 0; b < blocks; b++)
        for (int i = 0; i < 256; i++) want[b] += in[b * 256 + i];
    return want;
}

}  // namespace

KERNEL_TEST(emulator_block_reduction) {
    const int blocks = 8;
    std::vector<float> in = ramp(blocks * 256, 0.25f);
    DeviceBuffer<float> dIn(in), dOut(blocks);
    dittoLaunch(blockSum, dim3(blocks), dim3(256), 0, (cudaStream_t)0, dOut.p, dIn.p, 1);
    expectLaunched("blockSum");
    expectClose("block sums", dOut.get(), hostBlockSums(in, blocks), 1e-5);
}

#if defined(DITTO_CUDA_EMU)
KERNEL_TEST(emulator_exposes_missing_barrier) {
    const int blocks = 8;
    std::vector<float> in = ramp(blocks * 256, 0.25f);
    DeviceBuffer<float> dIn(in), dOut(blocks);
    dittoLaunch(blockSum, dim3(blocks), dim3(256), 0, (cudaStream_t)0, dOut.p, dIn.p, 0);
    expectLaunched("blockSum");
    std::vector<float> got = dOut.get(), want = hostBlockSums(in, blocks);
    int wrong = 0;
    for (int b = 0; b < blocks; b++) wrong += !(std::fabs(got[b] - want[b]) <= 1e-3f * std::fabs(want[b]) + 1e-3f);
    std::printf("  blocks with a wrong sum without the barrier: %d of %d\n", wrong, blocks);
    if (wrong != blocks) failCurrentTest("a missing __syncthreads went unnoticed in some block");
}
#endif
