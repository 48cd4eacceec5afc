// The per-row pieces of the chunked cross-entropy (native/src/Ops.h crossEntropyForwardBackward
// split around the engine's two products per vocabulary chunk):
//   for each chunk v0:  logits = xn E_c^T (gemm) ; ceChunkUpdate ; ceRescaleRows(dxn, rescale) ;
//                       dxn += p E_c (gemm, beta 1)
//   then                ceFinish (loss, dxn = dxn / s - E[target])
// m starts at -inf, s and tl at 0, dxn at 0. One block per row, fp32.
//
// p is bf16 (a product input): each term of dxn carries a 2^-8 relative rounding. A confident
// target loses nothing to it: when it is the running max its p is exp(0) = 1, exact in bf16, so
// dxn / s - E[target] cancels in fp32 as on the CPU.
#pragma once
#include "Elementwise.cuh"

namespace ditto::cuda::ew {

template <int V>
__global__ void ceChunkUpdateKernel(bf16* p, const float* logits, float* m, float* s, float* tl, float* rescale, const int32_t* targets, int v0, int Vc) {
    DITTO_SHARED(float, red, 32);
    int64_t i = blockIdx.x;
    const float* row = logits + i * Vc;
    float mx = -INFINITY;
    for (int c = threadIdx.x * V; c < Vc; c += blockDim.x * V) {
        float v[V];
        loadF<V>(row + c, v);
#pragma unroll
        for (int j = 0; j < V; j++) mx = fmaxf(mx, v[j]);
    }
    mx = blockMax(mx, red);
    float mOld = m[i], mNew = fmaxf(mOld, mx);
    float sum = 0;
    bf16* pr = p ? p + i * Vc : nullptr;
    for (int c = threadIdx.x * V; c < Vc; c += blockDim.x * V) {
        float v[V];
        loadF<V>(row + c, v);
#pragma unroll
        for (int j = 0; j < V; j++) {
            v[j] = expf(v[j] - mNew);
            sum += v[j];
        }
        if (pr) storeF<V>(pr + c, v);
    }
    sum = blockSum(sum, red);
    if (threadIdx.x == 0) {
        float rs = expf(mOld - mNew);  // 0 on the first chunk (m = -inf)
        rescale[i] = rs;
        s[i] = s[i] * rs + sum;
        m[i] = mNew;
        int t = targets[i] - v0;
        if (t >= 0 && t < Vc) tl[i] = row[t];
    }
}

// Per row of this chunk: running max m and sum s updated, rescale = exp(mOld - mNew) (the factor
// for ceRescaleRows), tl = the target's logit when it lies in [v0, v0 + Vc), p = exp(logit - mNew)
// as bf16 when p is not null (the input of dxn += p E_c). logits (Nt, Vc) contiguous.
inline void ceChunkUpdate(cudaStream_t stream, bf16* p, const float* logits, float* m, float* s, float* tl, float* rescale, const int32_t* targets,
                          int v0, int64_t Nt, int Vc) {
    if (Nt <= 0) return;
    dim3 block(std::min(512, std::max(64, (Vc / kVec + 31) / 32 * 32)));
    if (Vc % kVec == 0 && allAligned(32, (const void*)logits) && (!p || allAligned(16, (const void*)p)))
        dittoLaunch(ceChunkUpdateKernel<kVec>, dim3((unsigned)Nt), block, 0, stream, p, logits, m, s, tl, rescale, targets, v0, Vc);
    else
        dittoLaunch(ceChunkUpdateKernel<1>, dim3((unsigned)Nt), block, 0, stream, p, logits, m, s, tl, rescale, targets, v0, Vc);
}

template <int V> __global__ void ceRescaleRowsKernel(float* dxn, const float* factor, int C) {
    float f = factor[blockIdx.x];
    if (f == 1.0f) return;  // the max did not move: nothing to do, as the CPU skips it
    float* row = dxn + (int64_t)blockIdx.x * C;
    for (int c = threadIdx.x * V; c < C; c += blockDim.x * V) {
        float v[V];
        loadF<V>(row + c, v);
#pragma unroll
        for (int j = 0; j < V; j++) v[j] *= f;
        storeF<V>(row + c, v);
    }
}
// dxn (Nt,C) row i *= factor[i]
inline void ceRescaleRows(cudaStream_t stream, float* dxn, const float* factor, int64_t Nt, int C) {
    if (Nt <= 0) return;
    if (C % kVec == 0 && allAligned(32, (const void*)dxn))
        dittoLaunch(ceRescaleRowsKernel<kVec>, dim3((unsigned)Nt), dim3(128), 0, stream, dxn, factor, C);
    else
        dittoLaunch(ceRescaleRowsKernel<1>, dim3((unsigned)Nt), dim3(128), 0, stream, dxn, factor, C);
}

template <int V>
__global__ void ceFinishKernel(float* loss, float* dxn, const float* m, const float* s, const float* tl, int C, const bf16* targetRows) {
    int64_t i = blockIdx.x;
    // m - tl first: exact when the target is (near) the max, so a confident target's small loss
    // keeps its digits (the CPU's m + log s - tl rounds at m's magnitude)
    if (threadIdx.x == 0) loss[i] = (m[i] - tl[i]) + logf(s[i]);
    if (!dxn) return;
    float inv = 1.0f / s[i];
    float* row = dxn + i * C;
    const bf16* e = targetRows + i * C;
    for (int c = threadIdx.x * V; c < C; c += blockDim.x * V) {
        float v[V], ev[V];
        loadF<V>(row + c, v);
        loadF<V>(e + c, ev);
#pragma unroll
        for (int j = 0; j < V; j++) v[j] = v[j] * inv - ev[j];
        storeF<V>(row + c, v);
    }
}
// loss (Nt) = m + log s - tl ; dxn = dxn / s - E[target] when dxn is not null. targetRows (Nt,C):
// the target rows of the output matrix, gathered by the engine, bf16 as the chunks' E_c.
inline void ceFinish(cudaStream_t stream, float* loss, float* dxn, const float* m, const float* s, const float* tl, int64_t Nt, int C,
                     const bf16* targetRows) {
    if (Nt <= 0) return;
    if (C % kVec == 0 && (!dxn || allAligned(32, (const void*)dxn, (const void*)targetRows)))
        dittoLaunch(ceFinishKernel<kVec>, dim3((unsigned)Nt), dim3(128), 0, stream, loss, dxn, m, s, tl, C, targetRows);
    else
        dittoLaunch(ceFinishKernel<1>, dim3((unsigned)Nt), dim3(128), 0, stream, loss, dxn, m, s, tl, C, targetRows);
}

}  // namespace ditto::cuda::ew

namespace ditto::cuda {
using ew::ceChunkUpdate;
using ew::ceRescaleRows;
using ew::ceFinish;
}  // namespace ditto::cuda
