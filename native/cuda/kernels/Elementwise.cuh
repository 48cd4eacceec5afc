// Bandwidth-bound kernels of the decoder (native/src/Ops.h twins): embedding, RMSNorm, RoPE,
// SwiGLU, residual add, LoRA dropout, converts, row gather/scatter, bias. fp32 math throughout;
// 16-byte loads (8 values per thread step) whenever the pointers and row widths allow, a scalar
// path otherwise. Contracts: native/cuda/DESIGN.md.
#pragma once
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "../compat/Cuda.h"
#include "MathShared.h"

// Kernels and helpers live in ew (shared by Elementwise, CrossEntropy and AdamW); the launchers
// are re-exported into ditto::cuda at the end.
namespace ditto::cuda::ew {

// ---- device helpers shared by the kernels of this directory ------------------------------------

// N consecutive values moved as one aligned access (16 bytes for 8 bf16 or 4 floats).
template <typename T, int N> struct alignas(sizeof(T) * N) Pack { T v[N]; };
template <int N, typename T> __device__ __forceinline__ void loadF(const T* p, float (&out)[N]) {
    Pack<T, N> pk = *reinterpret_cast<const Pack<T, N>*>(p);
#pragma unroll
    for (int j = 0; j < N; j++) out[j] = toFloat(pk.v[j]);
}
template <int N, typename T> __device__ __forceinline__ void storeF(T* p, const float (&in)[N]) {
    Pack<T, N> pk;
#pragma unroll
    for (int j = 0; j < N; j++) pk.v[j] = fromFloat<T>(in[j]);
    *reinterpret_cast<Pack<T, N>*>(p) = pk;
}

__device__ __forceinline__ float warpSum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warpMax(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
// Every thread gets the block's total. red: 32 floats of shared memory; the leading barrier lets
// consecutive calls reuse it. Every warp reduces the partials in the same order, so all agree.
__device__ __forceinline__ float blockSum(float v, float* red) {
    v = warpSum(v);
    __syncthreads();
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
    __syncthreads();
    v = (threadIdx.x & 31) < (blockDim.x >> 5) ? red[threadIdx.x & 31] : 0.0f;
    return warpSum(v);
}
__device__ __forceinline__ float blockMax(float v, float* red) {
    v = warpMax(v);
    __syncthreads();
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
    __syncthreads();
    v = (threadIdx.x & 31) < (blockDim.x >> 5) ? red[threadIdx.x & 31] : -INFINITY;
    return warpMax(v);
}

inline bool alignedTo(const void* p, size_t bytes) { return (reinterpret_cast<uintptr_t>(p) % bytes) == 0; }
template <typename... P> inline bool allAligned(size_t bytes, const P*... p) { return (alignedTo(p, bytes) && ...); }
// Grid for a grid-stride loop over `items` thread-steps: enough blocks to fill a large GPU, capped.
inline dim3 strideGrid(int64_t items, int threads) {
    return dim3((unsigned)std::max<int64_t>(1, std::min<int64_t>((items + threads - 1) / threads, 2048)));
}
constexpr int kThreads = 256;
constexpr int kVec = 8;  // values per vector step: 16 bytes of bf16, two 16-byte accesses of float

// Loop over [0, n) in steps of V per thread, the tail of fewer than V values elementwise.
#define DITTO_GRID_STRIDE(V, n, i)                                                                                   \
    for (int64_t i = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) * (V), i##Step = (int64_t)gridDim.x * blockDim.x * (V); \
         i < (n); i += i##Step)

// ---- embedding ----------------------------------------------------------------------------------

template <int V> __global__ void embeddingKernel(float* out, const int32_t* tokens, const bf16* table, int C) {
    const bf16* src = table + (int64_t)tokens[blockIdx.x] * C;
    float* dst = out + (int64_t)blockIdx.x * C;
    for (int c = threadIdx.x * V; c < C; c += blockDim.x * V) {
        float v[V];
        loadF<V>(src + c, v);
        storeF<V>(dst + c, v);
    }
}
// out (N,C) = table[tokens] ; table (V,C)
inline void embeddingForward(cudaStream_t stream, float* out, const int32_t* tokens, const bf16* table, int64_t N, int C) {
    if (N <= 0) return;
    if (C % kVec == 0 && allAligned(32, (const void*)out, (const void*)table))
        dittoLaunch(embeddingKernel<kVec>, dim3((unsigned)N), dim3(128), 0, stream, out, tokens, table, C);
    else
        dittoLaunch(embeddingKernel<1>, dim3((unsigned)N), dim3(128), 0, stream, out, tokens, table, C);
}

// ---- RMSNorm ------------------------------------------------------------------------------------

// A row per warp (narrow rows: Qwen3's per-head q/k norms) or per block (model width).
struct RowSlot { int64_t row; int t, n; };
template <bool WarpRow> __device__ __forceinline__ RowSlot rowSlot() {
    if (WarpRow) return {(int64_t)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), (int)(threadIdx.x & 31), 32};
    return {(int64_t)blockIdx.x, (int)threadIdx.x, (int)blockDim.x};
}

// out (N,C) = x * rstd * w ; rstd (N) = 1/sqrt(mean(x^2) + eps)
template <typename Tout, typename Tin, int V, bool WarpRow>
__global__ void rmsnormForwardKernel(Tout* out, float* rstd, const Tin* x, const float* w, int64_t N, int C, float eps) {
    DITTO_SHARED(float, red, 32);
    RowSlot s = rowSlot<WarpRow>();
    if (WarpRow && s.row >= N) return;  // the whole warp leaves; the warp path has no block barrier
    const Tin* xr = x + s.row * C;
    float ss = 0;
    for (int c = s.t * V; c < C; c += s.n * V) {
        float v[V];
        loadF<V>(xr + c, v);
#pragma unroll
        for (int j = 0; j < V; j++) ss += v[j] * v[j];
    }
    ss = WarpRow ? warpSum(ss) : blockSum(ss, red);
    float r = (float)(1.0 / sqrt((double)ss / C + (double)eps));  // once per row: as the CPU, in double
    if (s.t == 0) rstd[s.row] = r;
    Tout* o = out + s.row * C;
    for (int c = s.t * V; c < C; c += s.n * V) {
        float v[V], wv[V];
        loadF<V>(xr + c, v);
        loadF<V>(w + c, wv);
#pragma unroll
        for (int j = 0; j < V; j++) v[j] = v[j] * r * wv[j];
        storeF<V>(o + c, v);
    }
}

// dx (N,C) += rstd w dout - x k, k = rstd^3 / C * sum(dout w x) ; dw is not computed (frozen)
template <typename Tin, int V, bool WarpRow>
__global__ void rmsnormBackwardKernel(float* dx, const float* dout, const Tin* x, const float* w, const float* rstd, int64_t N, int C) {
    DITTO_SHARED(float, red, 32);
    RowSlot s = rowSlot<WarpRow>();
    if (WarpRow && s.row >= N) return;
    const Tin* xr = x + s.row * C;
    const float* g = dout + s.row * C;
    float dot = 0;
    for (int c = s.t * V; c < C; c += s.n * V) {
        float xv[V], gv[V], wv[V];
        loadF<V>(xr + c, xv);
        loadF<V>(g + c, gv);
        loadF<V>(w + c, wv);
#pragma unroll
        for (int j = 0; j < V; j++) dot += gv[j] * wv[j] * xv[j];
    }
    dot = WarpRow ? warpSum(dot) : blockSum(dot, red);
    float r = rstd[s.row];
    float k = (float)((double)dot * r * r * r / C);
    float* d = dx + s.row * C;
    for (int c = s.t * V; c < C; c += s.n * V) {
        float xv[V], gv[V], wv[V], dv[V];
        loadF<V>(xr + c, xv);
        loadF<V>(g + c, gv);
        loadF<V>(w + c, wv);
        loadF<V>(d + c, dv);
#pragma unroll
        for (int j = 0; j < V; j++) dv[j] += r * wv[j] * gv[j] - xv[j] * k;
        storeF<V>(d + c, dv);
    }
}

// Rows of at most this width go one per warp.
constexpr int kWarpRowMax = 1024;
inline int rowBlockThreads(int C, int v) { return std::min(512, std::max(64, (C / v + 31) / 32 * 32)); }

template <typename Tout, typename Tin>
void rmsnormForward(cudaStream_t stream, Tout* out, float* rstd, const Tin* x, const float* w, int64_t N, int C, float eps) {
    if (N <= 0) return;
    bool vec = C % kVec == 0 && allAligned(32, (const void*)out, (const void*)x, (const void*)w);
    if (C <= kWarpRowMax) {
        dim3 grid((unsigned)((N + kThreads / 32 - 1) / (kThreads / 32)));
        if (vec) dittoLaunch(rmsnormForwardKernel<Tout, Tin, kVec, true>, grid, dim3(kThreads), 0, stream, out, rstd, x, w, N, C, eps);
        else dittoLaunch(rmsnormForwardKernel<Tout, Tin, 1, true>, grid, dim3(kThreads), 0, stream, out, rstd, x, w, N, C, eps);
    } else {
        int v = vec ? kVec : 1;
        dim3 block(rowBlockThreads(C, v));
        if (vec) dittoLaunch(rmsnormForwardKernel<Tout, Tin, kVec, false>, dim3((unsigned)N), block, 0, stream, out, rstd, x, w, N, C, eps);
        else dittoLaunch(rmsnormForwardKernel<Tout, Tin, 1, false>, dim3((unsigned)N), block, 0, stream, out, rstd, x, w, N, C, eps);
    }
}

template <typename Tin>
void rmsnormBackward(cudaStream_t stream, float* dx, const float* dout, const Tin* x, const float* w, const float* rstd, int64_t N, int C) {
    if (N <= 0) return;
    bool vec = C % kVec == 0 && allAligned(32, (const void*)dx, (const void*)dout, (const void*)x, (const void*)w);
    if (C <= kWarpRowMax) {
        dim3 grid((unsigned)((N + kThreads / 32 - 1) / (kThreads / 32)));
        if (vec) dittoLaunch(rmsnormBackwardKernel<Tin, kVec, true>, grid, dim3(kThreads), 0, stream, dx, dout, x, w, rstd, N, C);
        else dittoLaunch(rmsnormBackwardKernel<Tin, 1, true>, grid, dim3(kThreads), 0, stream, dx, dout, x, w, rstd, N, C);
    } else {
        int v = vec ? kVec : 1;
        dim3 block(rowBlockThreads(C, v));
        if (vec) dittoLaunch(rmsnormBackwardKernel<Tin, kVec, false>, dim3((unsigned)N), block, 0, stream, dx, dout, x, w, rstd, N, C);
        else dittoLaunch(rmsnormBackwardKernel<Tin, 1, false>, dim3((unsigned)N), block, 0, stream, dx, dout, x, w, rstd, N, C);
    }
}

// ---- RoPE ---------------------------------------------------------------------------------------

// mode 0 rotates pairs (2k, 2k+1) (llama), 1 pairs (k, k + nRot/2) (neox). base and freqScale are
// double as in the CPU's RopeParams (a float freqScale of 1/3 would move angles at long positions).
struct RopeDevice {
    int mode = 0, nRot = 0;
    double base = 10000, freqScale = 1;
    const float* freqFactors = nullptr;  // (nRot/2) frequency divisors on the device, or null
};
constexpr int kRopeMaxHalf = 128;  // nRot <= 256

// One block per token: the token's nRot/2 cos/sin pairs once (in double, as the CPU computes them,
// then rounded to float), then every head's pairs rotated in place.
template <typename T> __global__ void ropeKernel(T* x, const int32_t* pos, int H, int D, int64_t ld, RopeDevice rp, float sign) {
    DITTO_SHARED(float, cs, kRopeMaxHalf);
    DITTO_SHARED(float, sn, kRopeMaxHalf);
    int64_t i = blockIdx.x;
    int half = rp.nRot / 2;
    for (int k = threadIdx.x; k < half; k += blockDim.x) {
        double theta = pos[i] * rp.freqScale * pow(rp.base, -2.0 * k / rp.nRot);
        if (rp.freqFactors) theta /= rp.freqFactors[k];
        cs[k] = (float)cos(theta);
        sn[k] = (float)(sign * sin(theta));
    }
    __syncthreads();
    T* xi = x + i * ld;
    for (int e = threadIdx.x; e < H * half; e += blockDim.x) {
        int h = e / half, k = e - h * half;
        int a = rp.mode == 0 ? 2 * k : k, b = rp.mode == 0 ? 2 * k + 1 : k + half;
        T* v = xi + (int64_t)h * D;
        float x0 = toFloat(v[a]), x1 = toFloat(v[b]);
        v[a] = fromFloat<T>(__fmul_rn(x0, cs[k]) - __fmul_rn(x1, sn[k]));  // rounded as the CPU rounds (no FMA)
        v[b] = fromFloat<T>(__fmul_rn(x0, sn[k]) + __fmul_rn(x1, cs[k]));
    }
}
// x (N,H,D) rotated in place by position pos[i]; dims at and beyond nRot untouched. ld: elements
// from one token's first head to the next token's (0: H * D), so that q and k can be rotated in
// place inside the fused q|k|v product's output.
inline void ropeCheck(const RopeDevice& rp, int D) {
    if (rp.nRot > D || rp.nRot % 2 || rp.nRot / 2 > kRopeMaxHalf)
        throw std::runtime_error("rope: nRot " + std::to_string(rp.nRot) + " must be even, <= head dim " + std::to_string(D) + " and <= 256");
}
template <typename T> void ropeForward(cudaStream_t stream, T* x, const int32_t* pos, int64_t N, int H, int D, RopeDevice rp, int64_t ld = 0) {
    if (N <= 0 || rp.nRot <= 0) return;
    ropeCheck(rp, D);
    dittoLaunch(ropeKernel<T>, dim3((unsigned)N), dim3(kThreads), 0, stream, x, pos, H, D, ld ? ld : (int64_t)H * D, rp, 1.0f);
}
// the inverse rotation: a rotation's transpose, so the gradient rotates back
template <typename T> void ropeBackward(cudaStream_t stream, T* dx, const int32_t* pos, int64_t N, int H, int D, RopeDevice rp, int64_t ld = 0) {
    if (N <= 0 || rp.nRot <= 0) return;
    ropeCheck(rp, D);
    dittoLaunch(ropeKernel<T>, dim3((unsigned)N), dim3(kThreads), 0, stream, dx, pos, H, D, ld ? ld : (int64_t)H * D, rp, -1.0f);
}

// ---- SwiGLU -------------------------------------------------------------------------------------

// gate and up are (rows, F) matrices with row stride ld (the fused gate|up product's output has
// ld = 2F, up = gate + F); out and dout are (rows, F) contiguous. i runs over out; a vector of V
// never straddles a row (the launchers take V > 1 only when F and ld are multiples of V).
__device__ __forceinline__ int64_t stridedIndex(int64_t i, int F, int64_t ld) {
    int64_t row = i / F;
    return row * ld + (i - row * F);
}
template <int V> __global__ void swigluForwardKernel(bf16* out, const bf16* gate, const bf16* up, int64_t n, int F, int64_t ld) {
    DITTO_GRID_STRIDE(V, n, i) {
        if (i + V <= n) {
            int64_t s = stridedIndex(i, F, ld);
            float g[V], u[V];
            loadF<V>(gate + s, g);
            loadF<V>(up + s, u);
#pragma unroll
            for (int j = 0; j < V; j++) g[j] = swigluValue(g[j], u[j]);
            storeF<V>(out + i, g);
        } else {
            for (int64_t j = i; j < n; j++) {
                int64_t s = stridedIndex(j, F, ld);
                out[j] = toBf16(swigluValue(toFloat(gate[s]), toFloat(up[s])));
            }
        }
    }
}
template <typename Tg, int V>
__global__ void swigluBackwardKernel(Tg* dgate, Tg* dup, const float* dout, const bf16* gate, const bf16* up, int64_t n, int F, int64_t ld) {
    DITTO_GRID_STRIDE(V, n, i) {
        if (i + V <= n) {
            int64_t s = stridedIndex(i, F, ld);
            float d[V], g[V], u[V], dg[V], du[V];
            loadF<V>(dout + i, d);
            loadF<V>(gate + s, g);
            loadF<V>(up + s, u);
#pragma unroll
            for (int j = 0; j < V; j++) swigluGrads(d[j], g[j], u[j], dg[j], du[j]);
            storeF<V>(dgate + s, dg);
            storeF<V>(dup + s, du);
        } else {
            for (int64_t j = i; j < n; j++) {
                int64_t s = stridedIndex(j, F, ld);
                float dg, du;
                swigluGrads(dout[j], toFloat(gate[s]), toFloat(up[s]), dg, du);
                dgate[s] = fromFloat<Tg>(dg);
                dup[s] = fromFloat<Tg>(du);
            }
        }
    }
}
// out (rows,F) = silu(gate) * up; gate and up rows ld apart (0: F)
inline void swigluForward(cudaStream_t stream, bf16* out, const bf16* gate, const bf16* up, int64_t rows, int F, int64_t ld = 0) {
    int64_t n = rows * F;
    if (n <= 0) return;
    if (!ld) ld = F;
    if (F % kVec == 0 && ld % kVec == 0 && allAligned(16, (const void*)out, (const void*)gate, (const void*)up))
        dittoLaunch(swigluForwardKernel<kVec>, strideGrid((n + kVec - 1) / kVec, kThreads), dim3(kThreads), 0, stream, out, gate, up, n, F, ld);
    else
        dittoLaunch(swigluForwardKernel<1>, strideGrid(n, kThreads), dim3(kThreads), 0, stream, out, gate, up, n, F, ld);
}
// dgate, dup overwritten, laid out as gate and up (rows ld apart). Tg float (the contract) or bf16:
// the gradients only feed products, and the engine writes them as bf16 straight into the fused
// gate|up product's input gradient, which saves a float write and a convert pass (16 F bytes per token).
template <typename Tg>
void swigluBackward(cudaStream_t stream, Tg* dgate, Tg* dup, const float* dout, const bf16* gate, const bf16* up, int64_t rows, int F, int64_t ld = 0) {
    int64_t n = rows * F;
    if (n <= 0) return;
    if (!ld) ld = F;
    if (F % kVec == 0 && ld % kVec == 0 && allAligned(sizeof(Tg) * kVec, (const void*)dgate, (const void*)dup) && allAligned(32, (const void*)dout) &&
        allAligned(16, (const void*)gate, (const void*)up))
        dittoLaunch(swigluBackwardKernel<Tg, kVec>, strideGrid((n + kVec - 1) / kVec, kThreads), dim3(kThreads), 0, stream, dgate, dup, dout, gate, up, n, F, ld);
    else
        dittoLaunch(swigluBackwardKernel<Tg, 1>, strideGrid(n, kThreads), dim3(kThreads), 0, stream, dgate, dup, dout, gate, up, n, F, ld);
}

// ---- residual add, dropout, converts ------------------------------------------------------------

template <typename Tout, int V> __global__ void addIntoKernel(Tout* out, const float* a, const float* b, int64_t n) {
    DITTO_GRID_STRIDE(V, n, i) {
        if (i + V <= n) {
            float x[V], y[V];
            loadF<V>(a + i, x);
            loadF<V>(b + i, y);
#pragma unroll
            for (int j = 0; j < V; j++) x[j] += y[j];
            storeF<V>(out + i, x);
        } else {
            for (int64_t j = i; j < n; j++) out[j] = fromFloat<Tout>(a[j] + b[j]);
        }
    }
}
// out = a + b (out may alias a or b)
template <typename Tout> void addInto(cudaStream_t stream, Tout* out, const float* a, const float* b, int64_t n) {
    if (n <= 0) return;
    if (allAligned(32, (const void*)out, (const void*)a, (const void*)b))
        dittoLaunch(addIntoKernel<Tout, kVec>, strideGrid((n + kVec - 1) / kVec, kThreads), dim3(kThreads), 0, stream, out, a, b, n);
    else
        dittoLaunch(addIntoKernel<Tout, 1>, strideGrid(n, kThreads), dim3(kThreads), 0, stream, out, a, b, n);
}

// Dropout of the LoRA input: element i (flat index in the (N, I) input) is kept iff the CPU's
// Dropout{p, key}.factor(i) is non-zero; kept values are scaled by 1/(1-p).
template <int V> __global__ void dropoutForwardKernel(bf16* xd, const bf16* x, int64_t n, uint64_t threshold, float scale, uint64_t key) {
    DITTO_GRID_STRIDE(V, n, i) {
        if (i + V <= n) {
            float v[V];
            loadF<V>(x + i, v);
#pragma unroll
            for (int j = 0; j < V; j++) v[j] *= dropoutKeeps(key, (uint64_t)(i + j), threshold) ? scale : 0.0f;
            storeF<V>(xd + i, v);
        } else {
            for (int64_t j = i; j < n; j++) xd[j] = toBf16(toFloat(x[j]) * (dropoutKeeps(key, (uint64_t)j, threshold) ? scale : 0.0f));
        }
    }
}
// __fmul_rn: the product is rounded before the add (no FMA), as the CPU engine computes it.
template <int V> __global__ void dropoutBackwardAddKernel(float* dx, const float* dxl, int64_t n, uint64_t threshold, float scale, uint64_t key) {
    DITTO_GRID_STRIDE(V, n, i) {
        if (i + V <= n) {
            float d[V], g[V];
            loadF<V>(dx + i, d);
            loadF<V>(dxl + i, g);
#pragma unroll
            for (int j = 0; j < V; j++) d[j] += __fmul_rn(g[j], dropoutKeeps(key, (uint64_t)(i + j), threshold) ? scale : 0.0f);
            storeF<V>(dx + i, d);
        } else {
            for (int64_t j = i; j < n; j++) dx[j] += __fmul_rn(dxl[j], dropoutKeeps(key, (uint64_t)j, threshold) ? scale : 0.0f);
        }
    }
}
inline void dropoutForward(cudaStream_t stream, bf16* xd, const bf16* x, int64_t n, float p, uint64_t key) {
    if (n <= 0) return;
    uint64_t th = dropoutThreshold(p);
    float sc = dropoutScale(p);
    if (allAligned(16, (const void*)xd, (const void*)x))
        dittoLaunch(dropoutForwardKernel<kVec>, strideGrid((n + kVec - 1) / kVec, kThreads), dim3(kThreads), 0, stream, xd, x, n, th, sc, key);
    else
        dittoLaunch(dropoutForwardKernel<1>, strideGrid(n, kThreads), dim3(kThreads), 0, stream, xd, x, n, th, sc, key);
}
// dx += dropout'(dxl): the same mask and scale as the forward
inline void dropoutBackwardAdd(cudaStream_t stream, float* dx, const float* dxl, int64_t n, float p, uint64_t key) {
    if (n <= 0) return;
    uint64_t th = dropoutThreshold(p);
    float sc = dropoutScale(p);
    if (allAligned(32, (const void*)dx, (const void*)dxl))
        dittoLaunch(dropoutBackwardAddKernel<kVec>, strideGrid((n + kVec - 1) / kVec, kThreads), dim3(kThreads), 0, stream, dx, dxl, n, th, sc, key);
    else
        dittoLaunch(dropoutBackwardAddKernel<1>, strideGrid(n, kThreads), dim3(kThreads), 0, stream, dx, dxl, n, th, sc, key);
}

template <typename Tout, typename Tin, int V> __global__ void convertKernel(Tout* out, const Tin* in, int64_t n) {
    DITTO_GRID_STRIDE(V, n, i) {
        if (i + V <= n) {
            float v[V];
            loadF<V>(in + i, v);
            storeF<V>(out + i, v);
        } else {
            for (int64_t j = i; j < n; j++) out[j] = fromFloat<Tout>(toFloat(in[j]));
        }
    }
}
template <typename Tout, typename Tin> void convert(cudaStream_t stream, Tout* out, const Tin* in, int64_t n) {
    if (n <= 0) return;
    if (allAligned(32, (const void*)out, (const void*)in))
        dittoLaunch(convertKernel<Tout, Tin, kVec>, strideGrid((n + kVec - 1) / kVec, kThreads), dim3(kThreads), 0, stream, out, in, n);
    else
        dittoLaunch(convertKernel<Tout, Tin, 1>, strideGrid(n, kThreads), dim3(kThreads), 0, stream, out, in, n);
}

// out (rows, cols) with row stride ldo = in (rows, cols) with row stride ldi, converted: the
// column slices of a fused product's output to and from contiguous matrices.
template <typename Tout, typename Tin, int V>
__global__ void convertRowsKernel(Tout* out, int64_t ldo, const Tin* in, int64_t ldi, int64_t n, int cols) {
    DITTO_GRID_STRIDE(V, n, i) {
        int64_t row = i / cols, col = i - row * cols;
        if (i + V <= n) {
            float v[V];
            loadF<V>(in + row * ldi + col, v);
            storeF<V>(out + row * ldo + col, v);
        } else {
            for (int64_t j = i; j < n; j++) {
                int64_t r = j / cols, c = j - r * cols;
                out[r * ldo + c] = fromFloat<Tout>(toFloat(in[r * ldi + c]));
            }
        }
    }
}
template <typename Tout, typename Tin>
void convertRows(cudaStream_t stream, Tout* out, int64_t ldo, const Tin* in, int64_t ldi, int64_t rows, int cols) {
    int64_t n = rows * cols;
    if (n <= 0) return;
    if (cols % kVec == 0 && ldo % kVec == 0 && ldi % kVec == 0 && alignedTo(out, sizeof(Tout) * kVec) && alignedTo(in, sizeof(Tin) * kVec))
        dittoLaunch(convertRowsKernel<Tout, Tin, kVec>, strideGrid((n + kVec - 1) / kVec, kThreads), dim3(kThreads), 0, stream, out, ldo, in, ldi, n, cols);
    else
        dittoLaunch(convertRowsKernel<Tout, Tin, 1>, strideGrid(n, kThreads), dim3(kThreads), 0, stream, out, ldo, in, ldi, n, cols);
}

// Bytes [0, head) and [head + 16 * n16, bytes) one at a time, the 16-byte-aligned body as vectors W.
template <typename W> __global__ void zeroKernel(uint8_t* p, int64_t head, int64_t n16, int64_t tail) {
    int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x, stride = (int64_t)gridDim.x * blockDim.x;
    W z = {};
    for (int64_t i = t; i < n16; i += stride) reinterpret_cast<W*>(p + head)[i] = z;
    if (t < head) p[t] = 0;
    if (t < tail) p[head + 16 * n16 + t] = 0;
}
inline void zero(cudaStream_t stream, void* ptr, size_t bytes) {
    if (bytes == 0) return;
    uint8_t* p = static_cast<uint8_t*>(ptr);
    int64_t head = std::min<int64_t>((int64_t)bytes, (16 - (int64_t)(reinterpret_cast<uintptr_t>(p) % 16)) % 16);
    int64_t n16 = ((int64_t)bytes - head) / 16, tail = (int64_t)bytes - head - 16 * n16;
    dittoLaunch(zeroKernel<Pack<uint32_t, 4>>, strideGrid(std::max<int64_t>(n16, 16), kThreads), dim3(kThreads), 0, stream, p, head, n16, tail);
}

// ---- rows: gather, scatter, bias ----------------------------------------------------------------

template <typename T, int V> __global__ void gatherRowsKernel(T* out, const T* in, const int64_t* rows, int C) {
    const T* src = in + rows[blockIdx.x] * C;
    T* dst = out + (int64_t)blockIdx.x * C;
    for (int c = threadIdx.x * V; c < C; c += blockDim.x * V) {
        float v[V];
        loadF<V>(src + c, v);
        storeF<V>(dst + c, v);
    }
}
// out (n,C) = in[rows]
template <typename T> void gatherRows(cudaStream_t stream, T* out, const T* in, const int64_t* rows, int64_t n, int C) {
    if (n <= 0) return;
    if (C % kVec == 0 && allAligned(32, (const void*)out, (const void*)in))
        dittoLaunch(gatherRowsKernel<T, kVec>, dim3((unsigned)n), dim3(128), 0, stream, out, in, rows, C);
    else
        dittoLaunch(gatherRowsKernel<T, 1>, dim3((unsigned)n), dim3(128), 0, stream, out, in, rows, C);
}
template <int V> __global__ void scatterRowsKernel(float* out, const float* in, const int64_t* rows, int C) {
    const float* src = in + (int64_t)blockIdx.x * C;
    float* dst = out + rows[blockIdx.x] * C;
    for (int c = threadIdx.x * V; c < C; c += blockDim.x * V) {
        float v[V];
        loadF<V>(src + c, v);
        storeF<V>(dst + c, v);
    }
}
// out[rows] = in (n,C); rows not listed untouched; rows must be distinct
inline void scatterRows(cudaStream_t stream, float* out, const float* in, const int64_t* rows, int64_t n, int C) {
    if (n <= 0) return;
    if (C % kVec == 0 && allAligned(32, (const void*)out, (const void*)in))
        dittoLaunch(scatterRowsKernel<kVec>, dim3((unsigned)n), dim3(128), 0, stream, out, in, rows, C);
    else
        dittoLaunch(scatterRowsKernel<1>, dim3((unsigned)n), dim3(128), 0, stream, out, in, rows, C);
}
template <int V> __global__ void addBiasKernel(float* y, const float* bias, int O) {
    float* row = y + (int64_t)blockIdx.x * O;
    for (int c = threadIdx.x * V; c < O; c += blockDim.x * V) {
        float v[V], b[V];
        loadF<V>(row + c, v);
        loadF<V>(bias + c, b);
#pragma unroll
        for (int j = 0; j < V; j++) v[j] += b[j];
        storeF<V>(row + c, v);
    }
}
// y (N,O) += bias (O) per row
inline void addBias(cudaStream_t stream, float* y, const float* bias, int64_t N, int O) {
    if (N <= 0) return;
    if (O % kVec == 0 && allAligned(32, (const void*)y, (const void*)bias))
        dittoLaunch(addBiasKernel<kVec>, dim3((unsigned)N), dim3(128), 0, stream, y, bias, O);
    else
        dittoLaunch(addBiasKernel<1>, dim3((unsigned)N), dim3(128), 0, stream, y, bias, O);
}

}  // namespace ditto::cuda::ew

namespace ditto::cuda {
using ew::embeddingForward;
using ew::rmsnormForward;
using ew::rmsnormBackward;
using ew::RopeDevice;
using ew::ropeForward;
using ew::ropeBackward;
using ew::swigluForward;
using ew::swigluBackward;
using ew::addInto;
using ew::dropoutForward;
using ew::dropoutBackwardAdd;
using ew::convert;
using ew::convertRows;
using ew::zero;
using ew::gatherRows;
using ew::scatterRows;
using ew::addBias;
}  // namespace ditto::cuda
