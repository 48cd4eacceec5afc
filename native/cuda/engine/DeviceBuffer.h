// Device memory owned by the engine: grow-only buffers, so a batch of the same shape allocates
// nothing, and an allocation failure names its size and what to lower.
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>

#include "compat/Cuda.h"

namespace ditto::cuda {

inline std::string megabytes(size_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MB"; }

// Throws naming the call and CUDA's message.
inline void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e));
}

inline void* deviceAlloc(size_t bytes, const char* what) {
    if (bytes == 0) return nullptr;
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, bytes);
    if (e != cudaSuccess) {
        cudaGetLastError();  // clear the sticky-free allocation error
        size_t freeB = 0, totalB = 0;
        cudaMemGetInfo(&freeB, &totalB);
        throw std::runtime_error("out of GPU memory: " + std::string(what) + " needs " + megabytes(bytes) + " more, " + megabytes(freeB) +
                                 " of " + megabytes(totalB) +
                                 " free; lower the micro-batch (train.batch_size), the sequence length or --activation-memory, "
                                 "or use a quantized (Q8_0) base");
    }
    return p;
}

class DeviceBuffer {
public:
    DeviceBuffer() = default;
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    DeviceBuffer(DeviceBuffer&& o) noexcept : ptr(o.ptr), cap(o.cap) { o.ptr = nullptr; o.cap = 0; }
    ~DeviceBuffer() { if (ptr) cudaFree(ptr); }
    // At least `bytes`, contents not kept when it grows. A failed allocation leaves the buffer empty.
    void* ensure(size_t bytes, const char* what) {
        if (bytes <= cap) return ptr;
        if (ptr) cudaFree(ptr);
        ptr = nullptr;
        cap = 0;
        ptr = deviceAlloc(bytes, what);
        cap = bytes;
        return ptr;
    }
    template <typename T> T* as() const { return static_cast<T*>(ptr); }
    size_t capacity() const { return cap; }

private:
    void* ptr = nullptr;
    size_t cap = 0;
};

}  // namespace ditto::cuda
