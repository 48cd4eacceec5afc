// The optimizer step of native/src/Engine.cpp optimizerStep on the device: the global gradient
// norm (a deterministic two-stage sum in double) and the AdamW update, element for element.
#pragma once
#include <cmath>

#include "Elementwise.cuh"

namespace ditto::cuda::ew {

// The per-step scalars of Engine::optimizerStep, computed on the host (adamwDevice below).
struct AdamWDevice { float gmul, decay, stepSize, bc2sqrt, beta1, beta2, eps; };

// s: the engine's AdamWSettings (lr, beta1, beta2, eps, weightDecay, clip, gradScale); norm: the
// global norm of grads / gradScale; step: the step number after incrementing (1 on the first step).
template <typename S> AdamWDevice adamwDevice(const S& s, double norm, int64_t step) {
    double inv = 1.0 / s.gradScale;
    double clipScale = (s.clip > 0 && norm > s.clip) ? s.clip / (norm + 1e-6) : 1.0;
    double bc1 = 1 - std::pow((double)s.beta1, (double)step), bc2 = 1 - std::pow((double)s.beta2, (double)step);
    AdamWDevice d;
    d.gmul = (float)(inv * clipScale);
    d.decay = 1.0f - s.lr * s.weightDecay;
    d.stepSize = (float)(s.lr / bc1);
    d.bc2sqrt = (float)std::sqrt(bc2);
    d.beta1 = s.beta1;
    d.beta2 = s.beta2;
    d.eps = s.eps;
    return d;
}

// A fixed grid whatever n, each thread's share and each tree fixed: the same bits every run.
constexpr int kSumBlocks = 256, kSumThreads = 256;
inline size_t sumOfSquaresScratchBytes(int64_t /*n: any size uses the same fixed grid*/ = 0) { return kSumBlocks * sizeof(double); }

// Block-wide sum in a fixed tree over sh (blockDim.x doubles of shared memory, a power of two).
__device__ __forceinline__ double blockSumFixed(double v, double* sh) {
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int w = blockDim.x >> 1; w > 0; w >>= 1) {
        if ((int)threadIdx.x < w) sh[threadIdx.x] += sh[threadIdx.x + w];
        __syncthreads();
    }
    return sh[0];
}

template <int V> __global__ void sumOfSquaresPartialKernel(double* partial, const float* g, int64_t n, double scale) {
    DITTO_SHARED(double, sh, kSumThreads);
    double acc = 0;
    DITTO_GRID_STRIDE(V, n, i) {
        if (i + V <= n) {
            float v[V];
            loadF<V>(g + i, v);
#pragma unroll
            for (int j = 0; j < V; j++) {
                double d = (double)v[j] * scale;
                acc += d * d;
            }
        } else {
            for (int64_t j = i; j < n; j++) {
                double d = (double)g[j] * scale;
                acc += d * d;
            }
        }
    }
    double total = blockSumFixed(acc, sh);
    if (threadIdx.x == 0) partial[blockIdx.x] = total;
}
template <int Blocks> __global__ void sumOfSquaresFinalKernel(double* out, const double* partial) {
    DITTO_SHARED(double, sh, Blocks);
    double total = blockSumFixed(partial[threadIdx.x], sh);
    if (threadIdx.x == 0) out[0] = total;
}

// out[0] = sum over i of (g[i] * scale)^2, each term in double as the CPU engine forms it.
// scratch: sumOfSquaresScratchBytes() on the device. scale is double: the CPU scales in double
// (a float 1/gradScale would move the norm by up to 3e-8).
inline void sumOfSquares(cudaStream_t stream, double* out, const float* g, int64_t n, double scale, void* scratch) {
    double* partial = static_cast<double*>(scratch);
    if (allAligned(32, (const void*)g))
        dittoLaunch(sumOfSquaresPartialKernel<kVec>, dim3(kSumBlocks), dim3(kSumThreads), 0, stream, partial, g, n, scale);
    else
        dittoLaunch(sumOfSquaresPartialKernel<1>, dim3(kSumBlocks), dim3(kSumThreads), 0, stream, partial, g, n, scale);
    dittoLaunch(sumOfSquaresFinalKernel<kSumBlocks>, dim3(1), dim3(kSumBlocks), 0, stream, out, (const double*)partial);
}

// Engine::optimizerStep's loop body in its float operation order. Products that feed an add are
// __fmul_rn (never fused into an FMA), division and sqrtf are IEEE (no fast-math), so each
// element gets the CPU engine's bits.
__device__ __forceinline__ void adamwElement(float& w, float& g, float& m, float& v, const AdamWDevice& s) {
    float gs = g * s.gmul;
    m = __fmul_rn(s.beta1, m) + __fmul_rn(1 - s.beta1, gs);
    v = __fmul_rn(s.beta2, v) + __fmul_rn(__fmul_rn(1 - s.beta2, gs), gs);
    w = __fmul_rn(w, s.decay) - s.stepSize * m / (sqrtf(v) / s.bc2sqrt + s.eps);
    g = 0;
}
template <int V> __global__ void adamwKernel(float* w, float* g, float* m, float* v, int64_t n, AdamWDevice s) {
    DITTO_GRID_STRIDE(V, n, i) {
        if (i + V <= n) {
            float wv[V], gv[V], mv[V], vv[V];
            loadF<V>(w + i, wv);
            loadF<V>(g + i, gv);
            loadF<V>(m + i, mv);
            loadF<V>(v + i, vv);
#pragma unroll
            for (int j = 0; j < V; j++) adamwElement(wv[j], gv[j], mv[j], vv[j], s);
            storeF<V>(w + i, wv);
            storeF<V>(g + i, gv);
            storeF<V>(m + i, mv);
            storeF<V>(v + i, vv);
        } else {
            for (int64_t j = i; j < n; j++) adamwElement(w[j], g[j], m[j], v[j], s);
        }
    }
}
// w, m, v updated in place, g zeroed
inline void adamwUpdate(cudaStream_t stream, float* w, float* g, float* m, float* v, int64_t n, AdamWDevice s) {
    if (n <= 0) return;
    constexpr int V = 4;  // four streams read and written: 16-byte accesses keep registers low
    if (allAligned(16, (const void*)w, (const void*)g, (const void*)m, (const void*)v))
        dittoLaunch(adamwKernel<V>, strideGrid((n + V - 1) / V, kThreads), dim3(kThreads), 0, stream, w, g, m, v, n, s);
    else
        dittoLaunch(adamwKernel<1>, strideGrid(n, kThreads), dim3(kThreads), 0, stream, w, g, m, v, n, s);
}

}  // namespace ditto::cuda::ew

namespace ditto::cuda {
using ew::AdamWDevice;
using ew::adamwDevice;
using ew::sumOfSquaresScratchBytes;
using ew::sumOfSquares;
using ew::adamwUpdate;
}  // namespace ditto::cuda
