// Matrix products for the engine. Row-major throughout:
//   C[M x N] = alpha * op(A)[M x K] * op(B)[K x N] + beta * C
// op(A) is A[M x K] (lda >= K) or, transposed, A stored [K x M] (lda >= M); likewise B.
// float: cache-blocked, packed, AVX2/FMA micro-kernel picked at run time (scalar fallback),
// split across the pool's threads. double: plain loops, the reference for gradient checks.
#pragma once
#include "ThreadPool.h"

namespace ditto {

void gemm(ThreadPool* pool, bool transA, bool transB, int M, int N, int K, float alpha,
          const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc);

void gemm(ThreadPool* pool, bool transA, bool transB, int M, int N, int K, double alpha,
          const double* A, int lda, const double* B, int ldb, double beta, double* C, int ldc);

// Name of the micro-kernel in use ("avx2-fma" or "scalar"), for benchmarks and reports.
const char* gemmKernelName();

}  // namespace ditto
