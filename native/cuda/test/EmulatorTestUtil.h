// Helpers shared by the emulator's tests (EmulatorTest.cu, EmulatorWmmaTest.cu,
// EmulatorAbortTest.cu).
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "KernelTest.h"
#include "compat/Cuda.h"

namespace ditto::test::emu {

template <class T>
struct Buffer {
    T* p = nullptr;
    size_t n = 0;
    explicit Buffer(size_t count) : n(count) { DITTO_CUDA_CHECK(cudaMalloc(&p, count * sizeof(T))); }
    explicit Buffer(const std::vector<T>& h) : Buffer(h.size()) {
        DITTO_CUDA_CHECK(cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice));
    }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() { cudaFree(p); }
    std::vector<T> get() const {
        std::vector<T> h(n);
        DITTO_CUDA_CHECK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
        return h;
    }
};

inline void expectLaunched(const char* what) {
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) e = cudaDeviceSynchronize();
    if (e != cudaSuccess) failCurrentTest((std::string(what) + ": " + cudaGetErrorString(e)).c_str());
}

// Deterministic values of both signs, exact in bf16 when scale is a power of two.
inline std::vector<float> ramp(size_t n, float scale) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; i++) v[i] = scale * (float)((int)((i * 37 + 11) % 101) - 50);
    return v;
}

}  // namespace ditto::test::emu
