// Matrix products for the engine. Row-major throughout:
//   C[M x N] = alpha * op(A)[M x K] * op(B)[K x N] + beta * C
// op(A) is A[M x K] (lda >= K) or, transposed, A stored [K x M] (lda >= M); likewise B.
// float: cache-blocked, packed, AVX-512F or AVX2/FMA micro-kernel picked at run time (portable
// fallback; see GemmKernels.h), split across the pool's threads. double: plain loops, the
// reference for gradient checks.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ThreadPool.h"

namespace ditto {

// A frozen weight matrix [rows x cols], row-major, in its file encoding (F32, F16, BF16, or Q8_0,
// Q4_K, Q6_K blocks along each row). Products decode it into their packed panels, so a quantized model is
// never expanded in memory and each weight crosses the memory bus in its compact form.
struct WeightMatrix {
    const uint8_t* data = nullptr;
    uint32_t type = 0;  // GgmlType
    int rows = 0, cols = 0;
    size_t rowBytes = 0;
    bool bf16 = false;  // products run in bf16 (GemmBf16.h): set by the engine's precision bf16 on F16/BF16 weights
    WeightMatrix rowsView(int r0, int n) const { WeightMatrix w = *this; w.data = data + (size_t)r0 * rowBytes; w.rows = n; return w; }
};

// out[n] = W[row][c0 .. c0+n); simd: the AVX2 decoders (only where the CPU has AVX2)
void decodeRow(const WeightMatrix& w, int row, int c0, int n, float* out, bool simd);
void decodeRow(const WeightMatrix& w, int row, int c0, int n, float* out);

// C[M x N] = alpha * A[M x K] * op(W) + beta * C with op(W) = W^T (W is [N x K], transW) or W ([K x N]).
void gemmWeight(ThreadPool* pool, bool transW, int M, int N, int K, float alpha, const float* A, int lda,
                const WeightMatrix& w, float beta, float* C, int ldc);

void gemm(ThreadPool* pool, bool transA, bool transB, int M, int N, int K, float alpha,
          const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc);

void gemm(ThreadPool* pool, bool transA, bool transB, int M, int N, int K, double alpha,
          const double* A, int lda, const double* B, int ldb, double beta, double* C, int ldc);

// Floating-point operations (2 per multiply-add) of every float product run in this process so
// far: weight, LoRA and attention products alike.
uint64_t gemmFlops();

// Name of the micro-kernel training uses ("avx512f", "avx2" or "portable"), for reports.
const char* gemmKernelName();

}  // namespace ditto
