// Frozen weights in their GGUF encoding -> bf16 rows, on the GPU. Types and block layouts are
// those of native/src/Dequantize.cpp (GGML ids from GgufFile.h):
//   F32 (0), F16 (1), BF16 (30); Q8_0 (8): 34-byte blocks of 32 values, f16 d + 32 int8;
//   Q4_K (12): 144-byte super-blocks of 256, f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128
//   bytes of nibbles; Q6_K (14): 210-byte super-blocks of 256, ql[128], qh[64], int8 scales[16], f16 d;
//   Q4_0 (2), Q4_1 (3), Q5_0 (6), Q5_1 (7): 18/20/22/24-byte blocks of 32, f16 d, f16 min (Q4_1,
//   Q5_1), u32 of fifth bits (Q5_0, Q5_1), 16 bytes of nibbles (byte l: values l and l + 16);
//   Q5_K (13): 176-byte super-blocks of 256, f16 d, f16 dmin, 12 bytes of scales/mins as Q4_K, 32
//   bytes of fifth bits (bit j of byte l: value l of sub-block j), 128 bytes of nibbles as Q4_K.
// Each value is computed in fp32 in the CPU decoder's order without fused multiply-adds (so the
// bf16 result is the rounding of the CPU engine's fp32 value), then rounded to bf16.
//
// Launch shape: one block of 256 threads per (row, 1024-column chunk); thread t decodes columns
// t, t+256, t+512, t+768 of the chunk, so neighbouring threads read neighbouring bytes and
// write neighbouring bf16 values (the few scale bytes a block shares come from L1).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "../compat/Cuda.h"

namespace ditto::cuda {

// A frozen weight matrix [rows x cols] on the device, rows of rowBytes in its GGML encoding.
struct DeviceWeight {
    const uint8_t* data;
    uint32_t type;
    int rows, cols;
    size_t rowBytes;
};

namespace dequant_detail {

constexpr uint32_t F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q4_K = 12, Q5_K = 13, Q6_K = 14, BF16 = 30;
constexpr int CHUNK = 1024, THREADS = 256;

__host__ __device__ inline float mulRn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fmul_rn(a, b);  // no contraction into an FMA: the CPU decoder rounds each product
#else
    return a * b;
#endif
}
__host__ __device__ inline float subRn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fsub_rn(a, b);
#else
    return a - b;
#endif
}
__host__ __device__ inline float addRn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}
__host__ __device__ inline uint16_t u16(const uint8_t* p) { return (uint16_t)(p[0] | p[1] << 8); }
__host__ __device__ inline float f16(const uint8_t* p) { return __half2float(__ushort_as_half(u16(p))); }

// Value i of a row in the given encoding.
template <uint32_t TYPE>
__host__ __device__ inline float decode(const uint8_t* row, int i) {
    if (TYPE == F32) {
        return reinterpret_cast<const float*>(row)[i];  // rows 4-byte aligned (checkWeight)
    } else if (TYPE == F16) {
        return __half2float(__ushort_as_half(reinterpret_cast<const uint16_t*>(row)[i]));
    } else if (TYPE == BF16) {
        uint32_t bits = (uint32_t)reinterpret_cast<const uint16_t*>(row)[i] << 16;
        float f;
        memcpy(&f, &bits, 4);
        return f;
    } else if (TYPE == Q8_0) {
        const uint8_t* blk = row + (size_t)(i / 32) * 34;
        return mulRn(f16(blk), (float)(int8_t)blk[2 + i % 32]);
    } else if (TYPE == Q4_K) {
        const uint8_t* blk = row + (size_t)(i / 256) * 144;
        const uint8_t* s = blk + 4;
        int j = (i % 256) / 32, l = i % 32;
        // 6-bit scale and min of sub-block j: the first four in the low bits of bytes 0-3 / 4-7, the
        // last four from the nibbles of bytes 8-11 and the top two bits of bytes 0-7
        int sc = j < 4 ? (s[j] & 63) : ((s[j + 4] & 15) | ((s[j - 4] >> 6) << 4));
        int mn = j < 4 ? (s[j + 4] & 63) : ((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
        uint8_t byte = blk[16 + 32 * (j / 2) + l];
        int q = (j % 2 == 0) ? (byte & 15) : (byte >> 4);
        return subRn(mulRn(mulRn(f16(blk), (float)sc), (float)q), mulRn(f16(blk + 2), (float)mn));
    } else if (TYPE == Q4_0 || TYPE == Q4_1 || TYPE == Q5_0 || TYPE == Q5_1) {
        constexpr bool withMin = TYPE == Q4_1 || TYPE == Q5_1, fiveBits = TYPE == Q5_0 || TYPE == Q5_1;
        constexpr int blockBytes = 18 + (withMin ? 2 : 0) + (fiveBits ? 4 : 0);
        const uint8_t* blk = row + (size_t)(i / 32) * blockBytes;
        int l = i % 32;
        uint8_t byte = blk[blockBytes - 16 + l % 16];
        int q = l < 16 ? (byte & 15) : (byte >> 4);
        if (fiveBits) q |= ((blk[blockBytes - 20 + l / 8] >> (l % 8)) & 1) << 4;
        if (withMin) return addRn(mulRn((float)q, f16(blk)), f16(blk + 2));
        return mulRn((float)(q - (fiveBits ? 16 : 8)), f16(blk));
    } else if (TYPE == Q5_K) {
        const uint8_t* blk = row + (size_t)(i / 256) * 176;
        const uint8_t* s = blk + 4;
        int j = (i % 256) / 32, l = i % 32;
        int sc = j < 4 ? (s[j] & 63) : ((s[j + 4] & 15) | ((s[j - 4] >> 6) << 4));
        int mn = j < 4 ? (s[j + 4] & 63) : ((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
        uint8_t byte = blk[48 + 32 * (j / 2) + l];
        int q = ((j % 2 == 0) ? (byte & 15) : (byte >> 4)) | ((blk[16 + l] >> j) & 1) << 4;
        return subRn(mulRn(mulRn(f16(blk), (float)sc), (float)q), mulRn(f16(blk + 2), (float)mn));
    } else {  // Q6_K
        const uint8_t* blk = row + (size_t)(i / 256) * 210;
        int h = (i % 256) / 128, r = i % 128, quarter = r / 32, l = r % 32;
        int low = blk[64 * h + l + (quarter & 1) * 32];
        low = quarter < 2 ? (low & 15) : (low >> 4);
        int high = (blk[128 + 32 * h + l] >> (2 * quarter)) & 3;
        int sc = (int8_t)blk[192 + 8 * h + l / 16 + 2 * quarter];
        return mulRn(mulRn(f16(blk + 208), (float)sc), (float)((low | high << 4) - 32));
    }
}

// out row i = decode(row r0 + i) (rows == null) or decode(row rows[i]).
template <uint32_t TYPE>
__global__ void __launch_bounds__(THREADS) dequantKernel(bf16* __restrict__ out, const uint8_t* __restrict__ data, int cols,
                                                         size_t rowBytes, int r0, const int32_t* __restrict__ rows, int n) {
    for (int i = blockIdx.y; i < n; i += gridDim.y) {
        const uint8_t* in = data + (size_t)(rows ? rows[i] : r0 + i) * rowBytes;
        bf16* o = out + (size_t)i * cols;
        int c0 = blockIdx.x * CHUNK + threadIdx.x;
#pragma unroll
        for (int e = 0; e < CHUNK / THREADS; e++) {
            int c = c0 + e * THREADS;
            if (c < cols) o[c] = toBf16(decode<TYPE>(in, c));
        }
    }
}

inline const char* typeName(uint32_t type) {
    switch (type) {
        case F32: return "F32";
        case F16: return "F16";
        case BF16: return "BF16";
        case Q8_0: return "Q8_0";
        case Q4_K: return "Q4_K";
        case Q6_K: return "Q6_K";
        case Q4_0: return "Q4_0";
        case Q4_1: return "Q4_1";
        case Q5_0: return "Q5_0";
        case Q5_1: return "Q5_1";
        case Q5_K: return "Q5_K";
        default: return nullptr;
    }
}

// Bytes of one row of `cols` values, or 0 when cols does not fill whole blocks.
inline size_t rowBytesOf(uint32_t type, int cols) {
    switch (type) {
        case F32: return (size_t)cols * 4;
        case F16: case BF16: return (size_t)cols * 2;
        case Q8_0: return cols % 32 ? 0 : (size_t)(cols / 32) * 34;
        case Q4_K: return cols % 256 ? 0 : (size_t)(cols / 256) * 144;
        case Q6_K: return cols % 256 ? 0 : (size_t)(cols / 256) * 210;
        case Q5_K: return cols % 256 ? 0 : (size_t)(cols / 256) * 176;
        case Q4_0: return cols % 32 ? 0 : (size_t)(cols / 32) * 18;
        case Q4_1: return cols % 32 ? 0 : (size_t)(cols / 32) * 20;
        case Q5_0: return cols % 32 ? 0 : (size_t)(cols / 32) * 22;
        case Q5_1: return cols % 32 ? 0 : (size_t)(cols / 32) * 24;
        default: return 0;
    }
}

inline void checkWeight(const DeviceWeight& w) {
    if (!typeName(w.type))
        throw std::runtime_error("dequant: ggml type " + std::to_string(w.type) +
                                 " is not supported (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)");
    size_t need = rowBytesOf(w.type, w.cols), align = w.type == F32 ? 4 : w.type == F16 || w.type == BF16 ? 2 : 1;
    if (reinterpret_cast<uintptr_t>(w.data) % align != 0 || w.rowBytes % align != 0)
        throw std::runtime_error(std::string("dequant: ") + typeName(w.type) + " data and rowBytes must be " + std::to_string(align) + "-byte aligned");
    if (need == 0 || w.rowBytes < need)
        throw std::runtime_error(std::string("dequant: ") + typeName(w.type) + " rows of " + std::to_string(w.cols) +
                                 " values do not fit rowBytes " + std::to_string(w.rowBytes));
}

inline void launch(cudaStream_t stream, bf16* out, const DeviceWeight& w, int r0, const int32_t* rows, int n) {
    checkWeight(w);
    if (n <= 0 || w.cols <= 0) return;
    dim3 grid((w.cols + CHUNK - 1) / CHUNK, n < 65535 ? n : 65535), block(THREADS);
    switch (w.type) {
        case F32: dittoLaunch(dequantKernel<F32>, grid, block, 0, stream, out, w.data, w.cols, w.rowBytes, r0, rows, n); break;
        case F16: dittoLaunch(dequantKernel<F16>, grid, block, 0, stream, out, w.data, w.cols, w.rowBytes, r0, rows, n); break;
        case BF16: dittoLaunch(dequantKernel<BF16>, grid, block, 0, stream, out, w.data, w.cols, w.rowBytes, r0, rows, n); break;
        case Q8_0: dittoLaunch(dequantKernel<Q8_0>, grid, block, 0, stream, out, w.data, w.cols, w.rowBytes, r0, rows, n); break;
        case Q4_K: dittoLaunch(dequantKernel<Q4_K>, grid, block, 0, stream, out, w.data, w.cols, w.rowBytes, r0, rows, n); break;
        case Q5_K: dittoLaunch(dequantKernel<Q5_K>, grid, block, 0, stream, out, w.data, w.cols, w.rowBytes, r0, rows, n); break;
        case Q4_0: dittoLaunch(dequantKernel<Q4_0>, grid, block, 0, stream, out, w.data, w.cols, w.rowBytes, r0, rows, n); break;
        case Q4_1: dittoLaunch(dequantKernel<Q4_1>, grid, block, 0, stream, out, w.data, w.cols, w.rowBytes, r0, rows, n); break;
        case Q5_0: dittoLaunch(dequantKernel<Q5_0>, grid, block, 0, stream, out, w.data, w.cols, w.rowBytes, r0, rows, n); break;
        case Q5_1: dittoLaunch(dequantKernel<Q5_1>, grid, block, 0, stream, out, w.data, w.cols, w.rowBytes, r0, rows, n); break;
        default: dittoLaunch(dequantKernel<Q6_K>, grid, block, 0, stream, out, w.data, w.cols, w.rowBytes, r0, rows, n); break;
    }
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) throw std::runtime_error(std::string("dequant kernel launch failed: ") + cudaGetErrorString(e));
}

template <uint32_t TYPE>
void decodeHost(const uint8_t* data, int rows, int cols, size_t rowBytes, bf16* out) {
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) out[(size_t)r * cols + c] = toBf16(decode<TYPE>(data + (size_t)r * rowBytes, c));
}

}  // namespace dequant_detail

// out(n, cols) = rows [r0, r0 + n) of w, as bf16.
inline void dequantRows(cudaStream_t stream, bf16* out, const DeviceWeight& w, int r0, int n) {
    if (r0 < 0 || n < 0 || r0 + n > w.rows)
        throw std::runtime_error("dequantRows: rows [" + std::to_string(r0) + ", " + std::to_string(r0 + n) + ") outside 0.." + std::to_string(w.rows));
    dequant_detail::launch(stream, out, w, r0, nullptr, n);
}

// out row i = row rows[i] of w (rows: n device int32 indices, each in [0, w.rows)).
inline void dequantGather(cudaStream_t stream, bf16* out, const DeviceWeight& w, const int32_t* rows, int n) {
    dequant_detail::launch(stream, out, w, 0, rows, n);
}

// Host conversion of a whole weight (host memory, same layouts) to bf16, e.g. F32/F16/BF16
// weights converted once at load, bit for bit what dequantRows produces.
inline void toBf16Weight(const uint8_t* data, uint32_t type, int rows, int cols, size_t rowBytes, bf16* out) {
    using namespace dequant_detail;
    checkWeight(DeviceWeight{data, type, rows, cols, rowBytes});
    switch (type) {
        case F32: decodeHost<F32>(data, rows, cols, rowBytes, out); break;
        case F16: decodeHost<F16>(data, rows, cols, rowBytes, out); break;
        case BF16: decodeHost<BF16>(data, rows, cols, rowBytes, out); break;
        case Q8_0: decodeHost<Q8_0>(data, rows, cols, rowBytes, out); break;
        case Q4_K: decodeHost<Q4_K>(data, rows, cols, rowBytes, out); break;
        case Q5_K: decodeHost<Q5_K>(data, rows, cols, rowBytes, out); break;
        case Q4_0: decodeHost<Q4_0>(data, rows, cols, rowBytes, out); break;
        case Q4_1: decodeHost<Q4_1>(data, rows, cols, rowBytes, out); break;
        case Q5_0: decodeHost<Q5_0>(data, rows, cols, rowBytes, out); break;
        case Q5_1: decodeHost<Q5_1>(data, rows, cols, rowBytes, out); break;
        default: decodeHost<Q6_K>(data, rows, cols, rowBytes, out); break;
    }
}

}  // namespace ditto::cuda
