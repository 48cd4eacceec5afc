// Flash-style grouped-query causal attention within packed runs, forward and backward, on tensor
// cores (WMMA bf16 16x16x16, fp32 accumulate). Never holds a T x T matrix: the forward keeps a
// running max and sum per row (online softmax) and saves lse = m + log(sum); the backward rebuilds
// P = exp(S - lse) tile by tile. Key j is visible to query i iff runStart[i] <= j <= i.
//
// Every block splits its rows among warps (16 rows each): a warp computes its own score tile,
// softmax and products; the block only shares the tiles read from global memory. Score tiles and
// the fp32 accumulators live in shared memory because WMMA fragments have no row layout a thread
// could rescale in registers.
//
// Backward (FlashAttention-2 order, deterministic: every output element is written once by one
// block, nothing is summed across blocks):
//   delta kernel  Delta_i = dO_i . O_i per (head, row)
//   kv kernel     one block per (key tile, query head): dV_h = P^T dO, dK_h = dS^T Q over the query
//                 tiles that can see the key tile; with one query head per KV head these are dK and
//                 dV, else each head's partial goes to scratch and
//   kv reduce     sums the group's partials in head order (a fixed order, no atomics)
//   q kernel      one block per (query tile, query head): dQ += dS K over the visible key tiles
// A block per query head rather than per KV head: the causal mask makes late key tiles cheap and
// early ones dear, and H blocks per key tile instead of Hkv keep the GPU's SMs evenly busy.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "compat/Cuda.h"

namespace ditto::cuda {

struct AttnArgs {
    bf16* out; float* lse;                          // forward outputs
    float *dq, *dk, *dv;                            // backward outputs
    const bf16 *q, *k, *v, *o, *dout;
    const float* lseIn; float* delta;
    float *dkPart, *dvPart;                         // (N, H*D) per-head dK, dV when H > Hkv
    const int32_t *runStart, *runEnd;
    int N, H, Hkv;
    float scale;
};

// Tile shapes per head dim: FQ x FK (forward: query rows per block, keys per step), KB x KQ (kv
// kernel: keys per block, queries per step), QB x QK (q kernel). Rows per block = 16 per warp.
// Large tiles need up to 191 KiB of shared memory (sm_90 allows 227); small ones stay within the
// 99 KiB of sm_86/sm_89 (and sm_80's 163 KiB, which the large kv tile exceeds at D = 128).
template <int D, bool Small> struct AttnTiles {
    static constexpr int FQ = Small && D > 128 ? 32 : 64, FK = Small || D > 128 ? 32 : 64;
    static constexpr int KB = Small ? (D > 128 ? 16 : 32) : (D > 128 ? 32 : 64), KQ = Small || D > 128 ? 32 : 64;
    static constexpr int QB = Small ? (D > 128 ? 16 : 32) : 64, QK = Small || D > 128 ? 32 : 64;
};

// Shared-memory layout of one kernel: R rows owned by the block's warps, C columns per step.
// Row-owned: fp32 accumulator(s) R x (D+4), score tiles R x (C+4), bf16 P/dS tile R x (C+8),
// bf16 row tiles R x (D+8); per-step tiles: C x (D+8) bf16; C floats/ints of column data.
// Padding keeps WMMA pointers 32-byte aligned and spreads rows over banks.
struct AttnSmem {
    int R, C, D, accs, scores, rowTiles, colTiles, colVecs;
    __host__ __device__ constexpr int ldh() const { return D + 8; }
    __host__ __device__ constexpr int ldo() const { return D + 4; }
    __host__ __device__ constexpr int lds() const { return C + 4; }
    __host__ __device__ constexpr int ldp() const { return C + 8; }
    __host__ __device__ constexpr size_t accOff(int a) const { return (size_t)a * R * ldo() * 4; }
    __host__ __device__ constexpr size_t scoreOff(int s) const { return accOff(accs) + (size_t)s * R * lds() * 4; }
    __host__ __device__ constexpr size_t rowTileOff(int t) const { return scoreOff(scores) + (size_t)t * R * ldh() * 2; }
    __host__ __device__ constexpr size_t colTileOff(int t) const { return rowTileOff(rowTiles) + (size_t)t * C * ldh() * 2; }
    __host__ __device__ constexpr size_t pOff() const { return colTileOff(colTiles); }
    __host__ __device__ constexpr size_t colVecOff(int c) const { return pOff() + (size_t)R * ldp() * 2 + (size_t)c * C * 4; }
    __host__ __device__ constexpr size_t redOff() const { return colVecOff(colVecs); }
    // +32: the dynamic shared memory is only 16-byte aligned; WMMA wants 32
    __host__ __device__ constexpr size_t bytes() const { return redOff() + 2 * (R / 16) * 4 + 32; }
};
template <int D, bool S> __host__ __device__ constexpr AttnSmem attnFwdSmem() { return {AttnTiles<D, S>::FQ, AttnTiles<D, S>::FK, D, 1, 1, 1, 2, 0}; }
template <int D, bool S> __host__ __device__ constexpr AttnSmem attnKvSmem() { return {AttnTiles<D, S>::KB, AttnTiles<D, S>::KQ, D, 2, 2, 2, 2, 3}; }
template <int D, bool S> __host__ __device__ constexpr AttnSmem attnQSmem() { return {AttnTiles<D, S>::QB, AttnTiles<D, S>::QK, D, 1, 2, 2, 2, 0}; }

// rows [0, total) of a tile from global rows src + r*ld (row r valid iff r < valid; others zero, so
// no NaN from stale shared memory reaches a product even where P is zero).
template <int D> __device__ inline void attnLoadRows(bf16* dst, int ldd, const bf16* src, int64_t ld, int valid, int total) {
    constexpr int CH = D / 8;
    for (int x = threadIdx.x; x < total * CH; x += blockDim.x) {
        int r = x / CH, c = x % CH;
        uint4 v = make_uint4(0u, 0u, 0u, 0u);
        if (r < valid) v = *reinterpret_cast<const uint4*>(src + r * ld + c * 8);
        *reinterpret_cast<uint4*>(dst + r * ldd + c * 8) = v;
    }
}

// C (16 x NC, fp32) = A (16 x KD) B^T, B given as NC rows of KD (bf16, row-major).
template <int KD, int NC> __device__ inline void attnWarpABt(const bf16* A, int lda, const bf16* B, int ldb, float* C, int ldc) {
    using namespace nvcuda;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[NC / 16];
#pragma unroll
    for (int n = 0; n < NC / 16; n++) wmma::fill_fragment(acc[n], 0.0f);
#pragma unroll
    for (int k = 0; k < KD; k += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> fa;
        wmma::load_matrix_sync(fa, A + k, lda);
#pragma unroll
        for (int n = 0; n < NC / 16; n++) {
            wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> fb;
            wmma::load_matrix_sync(fb, B + n * 16 * ldb + k, ldb);
            wmma::mma_sync(acc[n], fa, fb, acc[n]);
        }
    }
#pragma unroll
    for (int n = 0; n < NC / 16; n++) wmma::store_matrix_sync(C + n * 16, acc[n], ldc, wmma::mem_row_major);
}

// C (16 x D, fp32, in shared memory) += A (16 x KK) B (KK x D), bf16 row-major.
template <int KK, int D> __device__ inline void attnWarpABAcc(const bf16* A, int lda, const bf16* B, int ldb, float* C, int ldc) {
    using namespace nvcuda;
    wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> fa[KK / 16];
#pragma unroll
    for (int k = 0; k < KK / 16; k++) wmma::load_matrix_sync(fa[k], A + k * 16, lda);
#pragma unroll 2
    for (int n = 0; n < D; n += 16) {
        wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
        wmma::load_matrix_sync(acc, C + n, ldc, wmma::mem_row_major);
#pragma unroll
        for (int k = 0; k < KK / 16; k++) {
            wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> fb;
            wmma::load_matrix_sync(fb, B + k * 16 * ldb + n, ldb);
            wmma::mma_sync(acc, fa[k], fb, acc);
        }
        wmma::store_matrix_sync(C + n, acc, ldc, wmma::mem_row_major);
    }
}

__device__ inline int attnWarpMin(int x) {
    for (int o = 16; o > 0; o >>= 1) x = min(x, __shfl_xor_sync(0xffffffffu, x, o));
    return x;
}
__device__ inline int attnWarpMax(int x) {
    for (int o = 16; o > 0; o >>= 1) x = max(x, __shfl_xor_sync(0xffffffffu, x, o));
    return x;
}

// Block-wide min (isMax false) or max of one value per warp, through red[0..warps).
__device__ inline int attnBlockReduce(int* red, int warpValue, bool isMax) {
    int warps = blockDim.x / 32;
    if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = warpValue;
    __syncthreads();
    int r = red[0];
    for (int w = 1; w < warps; w++) r = isMax ? max(r, red[w]) : min(r, red[w]);
    return r;
}

__device__ inline unsigned char* attnAlign32(unsigned char* p) {
    return p + ((32 - (reinterpret_cast<uintptr_t>(p) & 31)) & 31);
}
template <typename P> __device__ inline P* attnAt(unsigned char* base, size_t off) { return reinterpret_cast<P*>(base + off); }

// grid (ceil(N/FQ), H), block FQ/16 warps. In every kernel a warp's 16 rows have two lanes each;
// lane parity picks the columns c = half + 2t of the row's scores and accumulator.
template <int D, bool S> __global__ void attnForwardKernel(AttnArgs a) {
    constexpr int BQ = AttnTiles<D, S>::FQ, BK = AttnTiles<D, S>::FK;
    constexpr AttnSmem L = attnFwdSmem<D, S>();
    DITTO_DYNAMIC_SHARED(unsigned char, smemRaw);
    unsigned char* smem = attnAlign32(smemRaw);
    float* Os = attnAt<float>(smem, L.accOff(0));
    float* Ss = attnAt<float>(smem, L.scoreOff(0));
    bf16* Qs = attnAt<bf16>(smem, L.rowTileOff(0));
    bf16* Ks = attnAt<bf16>(smem, L.colTileOff(0));
    bf16* Vs = attnAt<bf16>(smem, L.colTileOff(1));
    bf16* Ps = attnAt<bf16>(smem, L.pOff());
    int* red = attnAt<int>(smem, L.redOff());

    const int h = blockIdx.y, g = h / (a.H / a.Hkv), q0 = blockIdx.x * BQ;
    const int64_t qs = (int64_t)a.H * D, ks = (int64_t)a.Hkv * D;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, r = lane >> 1, half = lane & 1;
    const int row = warp * 16 + r, i = q0 + row;
    const bool valid = i < a.N;
    const int rs = valid ? a.runStart[i] : a.N;
    const int wFirst = attnWarpMin(rs), wLast = min(q0 + warp * 16 + 15, a.N - 1);
    attnLoadRows<D>(Qs, L.ldh(), a.q + q0 * qs + h * D, qs, min(BQ, a.N - q0), BQ);
    float* orow = Os + row * L.ldo();
    for (int d = half; d < D; d += 2) orow[d] = 0.0f;
    const int jFirst = attnBlockReduce(red, wFirst, false), jLast = min(q0 + BQ, a.N) - 1;
    float m = -INFINITY, l = 0.0f;
    float* srow = Ss + row * L.lds();
    bf16* prow = Ps + row * L.ldp();
    for (int k0 = jFirst; k0 <= jLast; k0 += BK) {
        __syncthreads();  // the previous step is done with Ks, Vs
        int kv = min(BK, a.N - k0);
        attnLoadRows<D>(Ks, L.ldh(), a.k + k0 * ks + g * D, ks, kv, BK);
        attnLoadRows<D>(Vs, L.ldh(), a.v + k0 * ks + g * D, ks, kv, BK);
        __syncthreads();
        if (q0 + warp * 16 >= a.N || k0 > wLast || k0 + BK - 1 < wFirst) continue;  // nothing visible to this warp
        attnWarpABt<D, BK>(Qs + warp * 16 * L.ldh(), L.ldh(), Ks, L.ldh(), Ss + warp * 16 * L.lds(), L.lds());
        __syncwarp();
        float mx = -INFINITY;
        for (int c = half; c < BK; c += 2) {
            int j = k0 + c;
            float s = valid && j >= rs && j <= i ? srow[c] * a.scale : -INFINITY;
            srow[c] = s;
            mx = fmaxf(mx, s);
        }
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        float mNew = fmaxf(m, mx);
        float alpha = mNew == -INFINITY ? 1.0f : expf(m - mNew);
        float sum = 0.0f;
        for (int c = half; c < BK; c += 2) {
            float p = srow[c] == -INFINITY ? 0.0f : expf(srow[c] - mNew);
            prow[c] = toBf16(p);
            sum += p;
        }
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        l = l * alpha + sum;
        m = mNew;
        if (alpha != 1.0f)
            for (int d = half; d < D; d += 2) orow[d] *= alpha;
        __syncwarp();
        attnWarpABAcc<BK, D>(Ps + warp * 16 * L.ldp(), L.ldp(), Vs, L.ldh(), Os + warp * 16 * L.ldo(), L.ldo());
    }
    __syncthreads();
    if (!valid) return;
    float inv = 1.0f / l;
    bf16* out = a.out + i * qs + h * D;
    for (int d = half; d < D; d += 2) out[d] = toBf16(orow[d] * inv);
    if (half == 0) a.lse[(int64_t)h * a.N + i] = m + logf(l);
}

// Delta[h*N + i] = sum_d dO[i,h,d] O[i,h,d]; one warp per (row, head), 8 warps per block.
template <int D> __global__ void attnDeltaKernel(AttnArgs a) {
    int64_t w = (int64_t)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    bool live = w < (int64_t)a.N * a.H;
    int64_t i = live ? w / a.H : 0;
    int h = live ? (int)(w % a.H) : 0;
    float s = 0.0f;
    if (live) {
        const bf16* o = a.o + i * a.H * D + h * D;
        const bf16* d = a.dout + i * a.H * D + h * D;
        for (int x = lane; x < D; x += 32) s += toFloat(o[x]) * toFloat(d[x]);
    }
    for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
    if (live && lane == 0) a.delta[(int64_t)h * a.N + i] = s;
}

// dK, dV of one query head: grid (ceil(N/KB), H), block KB/16 warps; warp rows are keys, step
// columns queries.
template <int D, bool S> __global__ void attnBackwardKvKernel(AttnArgs a) {
    constexpr int BK = AttnTiles<D, S>::KB, BQ = AttnTiles<D, S>::KQ;
    constexpr AttnSmem L = attnKvSmem<D, S>();
    DITTO_DYNAMIC_SHARED(unsigned char, smemRaw);
    unsigned char* smem = attnAlign32(smemRaw);
    float* dKs = attnAt<float>(smem, L.accOff(0));
    float* dVs = attnAt<float>(smem, L.accOff(1));
    float* Ss = attnAt<float>(smem, L.scoreOff(0));
    float* dPs = attnAt<float>(smem, L.scoreOff(1));
    bf16* Ks = attnAt<bf16>(smem, L.rowTileOff(0));
    bf16* Vs = attnAt<bf16>(smem, L.rowTileOff(1));
    bf16* Qs = attnAt<bf16>(smem, L.colTileOff(0));
    bf16* dOs = attnAt<bf16>(smem, L.colTileOff(1));
    bf16* Ps = attnAt<bf16>(smem, L.pOff());
    float* lseS = attnAt<float>(smem, L.colVecOff(0));
    float* delS = attnAt<float>(smem, L.colVecOff(1));
    int* rsS = attnAt<int>(smem, L.colVecOff(2));
    int* red = attnAt<int>(smem, L.redOff());

    const int h = blockIdx.y, group = a.H / a.Hkv, g = h / group, k0 = blockIdx.x * BK;
    const int64_t qs = (int64_t)a.H * D, ks = (int64_t)a.Hkv * D;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, r = lane >> 1, half = lane & 1;
    const int row = warp * 16 + r, j = k0 + row;
    const bool valid = j < a.N;
    const int wFirst = k0 + warp * 16, wEnd = attnWarpMax(valid ? a.runEnd[j] : 0);
    int kv = min(BK, a.N - k0);
    attnLoadRows<D>(Ks, L.ldh(), a.k + k0 * ks + g * D, ks, kv, BK);
    attnLoadRows<D>(Vs, L.ldh(), a.v + k0 * ks + g * D, ks, kv, BK);
    float* dkrow = dKs + row * L.ldo();
    float* dvrow = dVs + row * L.ldo();
    for (int d = half; d < D; d += 2) dkrow[d] = dvrow[d] = 0.0f;
    const int iEnd = attnBlockReduce(red, wEnd, true);
    float* srow = Ss + row * L.lds();
    float* dprow = dPs + row * L.lds();
    bf16* prow = Ps + row * L.ldp();
    for (int q0 = k0; q0 < iEnd; q0 += BQ) {
        __syncthreads();  // the previous step is done with Qs, dOs and the column data
        int nq = min(BQ, a.N - q0);
        attnLoadRows<D>(Qs, L.ldh(), a.q + q0 * qs + h * D, qs, nq, BQ);
        attnLoadRows<D>(dOs, L.ldh(), a.dout + q0 * qs + h * D, qs, nq, BQ);
        for (int c = threadIdx.x; c < BQ; c += blockDim.x) {
            bool in = c < nq;
            lseS[c] = in ? a.lseIn[(int64_t)h * a.N + q0 + c] : 0.0f;
            delS[c] = in ? a.delta[(int64_t)h * a.N + q0 + c] : 0.0f;
            rsS[c] = in ? a.runStart[q0 + c] : a.N;
        }
        __syncthreads();
        if (wFirst >= a.N || q0 >= wEnd) continue;  // no query of this step sees the warp's keys
        attnWarpABt<D, BQ>(Ks + warp * 16 * L.ldh(), L.ldh(), Qs, L.ldh(), Ss + warp * 16 * L.lds(), L.lds());
        attnWarpABt<D, BQ>(Vs + warp * 16 * L.ldh(), L.ldh(), dOs, L.ldh(), dPs + warp * 16 * L.lds(), L.lds());
        __syncwarp();
        for (int c = half; c < BQ; c += 2) {
            int i = q0 + c;
            float p = valid && i < a.N && rsS[c] <= j && j <= i ? expf(srow[c] * a.scale - lseS[c]) : 0.0f;
            prow[c] = toBf16(p);
            dprow[c] = p * (dprow[c] - delS[c]);
        }
        __syncwarp();
        attnWarpABAcc<BQ, D>(Ps + warp * 16 * L.ldp(), L.ldp(), dOs, L.ldh(), dVs + warp * 16 * L.ldo(), L.ldo());
        __syncwarp();  // every lane has read P before it becomes dS
        for (int c = half; c < BQ; c += 2) prow[c] = toBf16(dprow[c]);
        __syncwarp();
        attnWarpABAcc<BQ, D>(Ps + warp * 16 * L.ldp(), L.ldp(), Qs, L.ldh(), dKs + warp * 16 * L.ldo(), L.ldo());
    }
    __syncthreads();
    if (!valid) return;
    if (group == 1) {
        float* dk = a.dk + j * ks + g * D;
        float* dv = a.dv + j * ks + g * D;
        for (int d = half; d < D; d += 2) {
            dk[d] = dkrow[d] * a.scale;
            dv[d] = dvrow[d];
        }
    } else {
        float* dk = a.dkPart + j * qs + h * D;
        float* dv = a.dvPart + j * qs + h * D;
        for (int d = half; d < D; d += 2) {
            dk[d] = dkrow[d];
            dv[d] = dvrow[d];
        }
    }
}

// dK, dV (N, Hkv*D) = the sums of the group's per-head partials (N, H*D) in head order; a KV
// head's group is contiguous in a row of the partials.
template <int D> __global__ void attnReduceKvKernel(AttnArgs a) {
    const int group = a.H / a.Hkv;
    const int64_t n = (int64_t)a.N * a.Hkv * D;
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (int64_t)gridDim.x * blockDim.x) {
        int64_t j = e / ((int64_t)a.Hkv * D);
        int rem = (int)(e - j * a.Hkv * D), g = rem / D, d = rem - g * D;
        const float* pk = a.dkPart + j * a.H * D + (int64_t)g * group * D + d;
        const float* pv = a.dvPart + j * a.H * D + (int64_t)g * group * D + d;
        float sk = 0.0f, sv = 0.0f;
        for (int hh = 0; hh < group; hh++) {
            sk += pk[hh * D];
            sv += pv[hh * D];
        }
        a.dk[e] = sk * a.scale;
        a.dv[e] = sv;
    }
}

// dQ: grid (ceil(N/QB), H), block QB/16 warps; warp rows are queries, step columns keys.
template <int D, bool S> __global__ void attnBackwardQKernel(AttnArgs a) {
    constexpr int BQ = AttnTiles<D, S>::QB, BK = AttnTiles<D, S>::QK;
    constexpr AttnSmem L = attnQSmem<D, S>();
    DITTO_DYNAMIC_SHARED(unsigned char, smemRaw);
    unsigned char* smem = attnAlign32(smemRaw);
    float* dQs = attnAt<float>(smem, L.accOff(0));
    float* Ss = attnAt<float>(smem, L.scoreOff(0));
    float* dPs = attnAt<float>(smem, L.scoreOff(1));
    bf16* Qs = attnAt<bf16>(smem, L.rowTileOff(0));
    bf16* dOs = attnAt<bf16>(smem, L.rowTileOff(1));
    bf16* Ks = attnAt<bf16>(smem, L.colTileOff(0));
    bf16* Vs = attnAt<bf16>(smem, L.colTileOff(1));
    bf16* Ps = attnAt<bf16>(smem, L.pOff());
    int* red = attnAt<int>(smem, L.redOff());

    const int h = blockIdx.y, g = h / (a.H / a.Hkv), q0 = blockIdx.x * BQ;
    const int64_t qs = (int64_t)a.H * D, ks = (int64_t)a.Hkv * D;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, r = lane >> 1, half = lane & 1;
    const int row = warp * 16 + r, i = q0 + row;
    const bool valid = i < a.N;
    const int rs = valid ? a.runStart[i] : a.N;
    const float lse = valid ? a.lseIn[(int64_t)h * a.N + i] : 0.0f;
    const float del = valid ? a.delta[(int64_t)h * a.N + i] : 0.0f;
    const int wFirst = attnWarpMin(rs), wLast = min(q0 + warp * 16 + 15, a.N - 1);
    int nq = min(BQ, a.N - q0);
    attnLoadRows<D>(Qs, L.ldh(), a.q + q0 * qs + h * D, qs, nq, BQ);
    attnLoadRows<D>(dOs, L.ldh(), a.dout + q0 * qs + h * D, qs, nq, BQ);
    float* dqrow = dQs + row * L.ldo();
    for (int d = half; d < D; d += 2) dqrow[d] = 0.0f;
    const int jFirst = attnBlockReduce(red, wFirst, false), jLast = min(q0 + BQ, a.N) - 1;
    float* srow = Ss + row * L.lds();
    float* dprow = dPs + row * L.lds();
    bf16* prow = Ps + row * L.ldp();
    for (int k0 = jFirst; k0 <= jLast; k0 += BK) {
        __syncthreads();
        int kv = min(BK, a.N - k0);
        attnLoadRows<D>(Ks, L.ldh(), a.k + k0 * ks + g * D, ks, kv, BK);
        attnLoadRows<D>(Vs, L.ldh(), a.v + k0 * ks + g * D, ks, kv, BK);
        __syncthreads();
        if (q0 + warp * 16 >= a.N || k0 > wLast || k0 + BK - 1 < wFirst) continue;
        attnWarpABt<D, BK>(Qs + warp * 16 * L.ldh(), L.ldh(), Ks, L.ldh(), Ss + warp * 16 * L.lds(), L.lds());
        attnWarpABt<D, BK>(dOs + warp * 16 * L.ldh(), L.ldh(), Vs, L.ldh(), dPs + warp * 16 * L.lds(), L.lds());
        __syncwarp();
        for (int c = half; c < BK; c += 2) {
            int j = k0 + c;
            float p = valid && j >= rs && j <= i ? expf(srow[c] * a.scale - lse) : 0.0f;
            prow[c] = toBf16(p * (dprow[c] - del));
        }
        __syncwarp();
        attnWarpABAcc<BK, D>(Ps + warp * 16 * L.ldp(), L.ldp(), Ks, L.ldh(), dQs + warp * 16 * L.ldo(), L.ldo());
    }
    __syncthreads();
    if (!valid) return;
    float* dq = a.dq + i * qs + h * D;
    for (int d = half; d < D; d += 2) dq[d] = dqrow[d] * a.scale;
}

// Kernels above 48 KiB of dynamic shared memory must opt in once per device.
template <typename K> inline void attnLaunchSetup(K kernel, size_t bytes) {
    if (bytes <= 48 * 1024) return;
    cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes);
    if (e != cudaSuccess) throw std::runtime_error(std::string("attention: cannot reserve shared memory: ") + cudaGetErrorString(e));
}

// Which tiles a launch uses: Auto takes the large ones where the device's shared memory holds them.
enum class AttnTiling { Auto, Large, Small };

inline size_t attnSmemOptin() {
    int dev = 0, bytes = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev) != cudaSuccess)
        throw std::runtime_error("attention: cannot read the device's shared memory size");
    return (size_t)bytes;
}

// Launches kernel<D, false> or kernel<D, true> with its grid (rows per block from the layout).
template <AttnSmem (*Layout)(), AttnSmem (*SmallLayout)(), typename K>
inline void attnLaunch(AttnTiling t, K large, K small, int gridY, cudaStream_t stream, const AttnArgs& a) {
    constexpr AttnSmem L = Layout(), SL = SmallLayout();
    static_assert(L.bytes() <= 227 * 1024 && SL.bytes() <= 99 * 1024, "attention tile exceeds shared memory");
    bool useSmall = t == AttnTiling::Small || (t == AttnTiling::Auto && L.bytes() > 48 * 1024 && L.bytes() > attnSmemOptin());
    const AttnSmem& l = useSmall ? SL : L;
    K kernel = useSmall ? small : large;
    attnLaunchSetup(kernel, l.bytes());
    dittoLaunch(kernel, dim3((a.N + l.R - 1) / l.R, gridY), dim3(l.R / 16 * 32), l.bytes(), stream, a);
}

template <int D> inline void attentionForwardD(AttnTiling t, cudaStream_t stream, const AttnArgs& a) {
    attnLaunch<attnFwdSmem<D, false>, attnFwdSmem<D, true>>(t, attnForwardKernel<D, false>, attnForwardKernel<D, true>, a.H, stream, a);
}

template <int D> inline void attentionBackwardD(AttnTiling t, cudaStream_t stream, const AttnArgs& a) {
    int64_t pairs = (int64_t)a.N * a.H;
    dittoLaunch(attnDeltaKernel<D>, dim3((unsigned)((pairs + 7) / 8)), dim3(256), 0, stream, a);
    attnLaunch<attnKvSmem<D, false>, attnKvSmem<D, true>>(t, attnBackwardKvKernel<D, false>, attnBackwardKvKernel<D, true>, a.H, stream, a);
    if (a.H > a.Hkv) {
        int64_t n = (int64_t)a.N * a.Hkv * D;
        dittoLaunch(attnReduceKvKernel<D>, dim3((unsigned)std::min<int64_t>((n + 255) / 256, 4096)), dim3(256), 0, stream, a);
    }
    attnLaunch<attnQSmem<D, false>, attnQSmem<D, true>>(t, attnBackwardQKernel<D, false>, attnBackwardQKernel<D, true>, a.H, stream, a);
}

inline void attnCheckShape(int N, int H, int Hkv, int D) {
    if (N <= 0 || H <= 0 || Hkv <= 0 || H % Hkv != 0)
        throw std::invalid_argument("attention: need N > 0 and H a multiple of Hkv, got N=" + std::to_string(N) + " H=" +
                                    std::to_string(H) + " Hkv=" + std::to_string(Hkv));
    if (D != 16 && D != 32 && D != 64 && D != 128 && D != 256)
        throw std::invalid_argument("attention: head dim " + std::to_string(D) + " is not supported (16, 32, 64, 128 or 256)");
}

// Calls f(std::integral_constant<int, D>) for a head dim attnCheckShape accepted.
template <typename F> inline void attnDispatch(int D, F&& f) {
    switch (D) {
        case 16: f(std::integral_constant<int, 16>{}); break;
        case 32: f(std::integral_constant<int, 32>{}); break;
        case 64: f(std::integral_constant<int, 64>{}); break;
        case 128: f(std::integral_constant<int, 128>{}); break;
        default: f(std::integral_constant<int, 256>{}); break;
    }
}

// out (N, H*D) bf16, lse (H, N) = m + log(sum) of the scaled scores; scale 1/sqrt(D).
inline void attentionForwardTiled(AttnTiling tiling, cudaStream_t stream, bf16* out, float* lse, const bf16* q, const bf16* k,
                                  const bf16* v, const int32_t* runStart, const int32_t* runEnd, int N, int H, int Hkv, int D) {
    attnCheckShape(N, H, Hkv, D);
    AttnArgs a{};
    a.out = out; a.lse = lse; a.q = q; a.k = k; a.v = v;
    a.runStart = runStart; a.runEnd = runEnd;
    a.N = N; a.H = H; a.Hkv = Hkv; a.scale = (float)(1.0 / std::sqrt((double)D));
    attnDispatch(D, [&](auto d) { attentionForwardD<decltype(d)::value>(tiling, stream, a); });
}
inline void attentionForward(cudaStream_t stream, bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v,
                             const int32_t* runStart, const int32_t* runEnd, int N, int H, int Hkv, int D) {
    attentionForwardTiled(AttnTiling::Auto, stream, out, lse, q, k, v, runStart, runEnd, N, H, Hkv, D);
}

// Scratch the backward needs: Delta (H, N) fp32 and, when H > Hkv, the per-head dK and dV partials
// (N, H*D) fp32 each.
inline size_t attnDeltaBytes(int64_t N, int H) { return ((size_t)N * H * sizeof(float) + 255) / 256 * 256; }
inline size_t attentionBackwardScratchBytes(int64_t N, int H, int Hkv, int D) {
    return attnDeltaBytes(N, H) + (H > Hkv ? 2 * (size_t)N * H * D * sizeof(float) : 0);
}

// dq (N, H*D), dk and dv (N, Hkv*D) fp32, overwritten; out and lse from the forward.
inline void attentionBackwardTiled(AttnTiling tiling, cudaStream_t stream, float* dq, float* dk, float* dv, const bf16* dout,
                                   const bf16* out, const bf16* q, const bf16* k, const bf16* v, const float* lse,
                                   const int32_t* runStart, const int32_t* runEnd, int N, int H, int Hkv, int D, void* scratch) {
    attnCheckShape(N, H, Hkv, D);
    AttnArgs a{};
    a.dq = dq; a.dk = dk; a.dv = dv; a.dout = dout; a.o = out; a.q = q; a.k = k; a.v = v; a.lseIn = lse;
    a.delta = static_cast<float*>(scratch);
    if (H > Hkv) {
        a.dkPart = reinterpret_cast<float*>(static_cast<unsigned char*>(scratch) + attnDeltaBytes(N, H));
        a.dvPart = a.dkPart + (size_t)N * H * D;
    }
    a.runStart = runStart; a.runEnd = runEnd;
    a.N = N; a.H = H; a.Hkv = Hkv; a.scale = (float)(1.0 / std::sqrt((double)D));
    attnDispatch(D, [&](auto d) { attentionBackwardD<decltype(d)::value>(tiling, stream, a); });
}
inline void attentionBackward(cudaStream_t stream, float* dq, float* dk, float* dv, const bf16* dout, const bf16* out,
                              const bf16* q, const bf16* k, const bf16* v, const float* lse, const int32_t* runStart,
                              const int32_t* runEnd, int N, int H, int Hkv, int D, void* scratch) {
    attentionBackwardTiled(AttnTiling::Auto, stream, dq, dk, dv, dout, out, q, k, v, lse, runStart, runEnd, N, H, Hkv, D, scratch);
}

}  // namespace ditto::cuda
