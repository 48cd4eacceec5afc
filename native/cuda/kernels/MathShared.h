// Per-element math that the CUDA kernels and host code (tests, the engine's host side) share, so
// both compute the same bits. Free of CUDA headers: plain C++ outside nvcc.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define DITTO_HD __host__ __device__ __forceinline__
#else
#define DITTO_HD inline
#endif

namespace ditto::cuda {

// The CPU engine's counter hash (native/src/Ops.h mix64), bit for bit.
DITTO_HD uint64_t mix64(uint64_t x) {
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

// Ops.h Dropout::factor drops element idx when u < p with u = (h >> 11) * 2^-53 in double. Scaling
// by 2^53 is exact, so for the integer h >> 11 that test is (h >> 11) < ceil(p * 2^53): the same
// decision in integer arithmetic, no double on the device.
inline uint64_t dropoutThreshold(float p) { return (uint64_t)std::ceil((double)p * 9007199254740992.0); }
// The kept elements' multiplier, rounded as Dropout::factor<float> rounds it.
inline float dropoutScale(float p) { return (float)(1.0 / (1.0 - (double)p)); }
DITTO_HD bool dropoutKeeps(uint64_t key, uint64_t idx, uint64_t threshold) {
    return (mix64(key ^ mix64(idx + 0x9e3779b97f4a7c15ULL)) >> 11) >= threshold;
}

DITTO_HD float sigmoidOf(float x) { return 1.0f / (1.0f + expf(-x)); }

// SwiGLU as native/src/VecMath.cpp: out = g s u ; du = dout g s ; dg = dout u s (1 + g (1 - s)),
// s = sigmoid(g), in the same association order.
DITTO_HD float swigluValue(float g, float u) { return g * sigmoidOf(g) * u; }
DITTO_HD void swigluGrads(float dout, float g, float u, float& dg, float& du) {
    float s = sigmoidOf(g);
    du = dout * g * s;
    dg = dout * u * s * (1.0f + g * (1.0f - s));
}

}  // namespace ditto::cuda
