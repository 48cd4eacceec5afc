// The bf16 product mode (--precision bf16) of frozen-weight products: weights stored as BF16 or
// F16 and the activations are rounded to bf16 (round to nearest even) while packed, multiplied
// with AVX512-BF16's vdpbf16ps (pairs along k) and summed in fp32 into an fp32 C.
#pragma once
#include <cstdint>
#include <string>

#include "Gemm.h"

namespace ditto {

// Whether the CPU has AVX512-BF16 (and AVX-512F, whose blocks the bf16 products share).
bool cpuHasBf16();
// Empty when this process can run bf16 products; else why not and the fix (the CPU lacks
// AVX512-BF16, or DITTO_GEMM_KERNEL forces a kernel narrower than avx512f).
std::string bf16Unavailable();

// Whether the bf16 mode applies to weights of this GGML type (BF16, F16; others stay fp32).
bool bf16WeightType(uint32_t type);

// C[M x N] = alpha * bf16(A)[M x K] * op(bf16(W)) + beta * C, as gemmWeight; only when
// bf16Unavailable() is empty and bf16WeightType(w.type).
void gemmWeightBf16(ThreadPool* pool, bool transW, int M, int N, int K, float alpha, const float* A, int lda, const WeightMatrix& w, float beta,
                    float* C, int ldc);

// x rounded to bf16 (nearest even; NaN stays NaN) and widened back: what the products multiply.
float roundToBf16(float x);

}  // namespace ditto
