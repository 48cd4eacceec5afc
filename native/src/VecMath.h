// Row-wise transcendental math for the engine: the exponentials of the chunked softmax and the
// sigmoids of SwiGLU. Float rows use an AVX2/FMA polynomial exp (Cephes expf coefficients, about
// 2 ulp) picked at run time, scalar std::exp otherwise; double rows (the gradient-check
// reference) always use std::exp, so the checked math is exact and the float path only differs
// by rounding.
#pragma once
#include <cstdint>

namespace ditto {

// max of x[0..n), n >= 1
float maxOf(const float* x, int64_t n);
double maxOf(const double* x, int64_t n);

// row[j] = exp(row[j] - m) for j < n; returns the sum of the new values
double expShiftSum(float* row, int64_t n, float m);
double expShiftSum(double* row, int64_t n, double m);

// out = g * sigmoid(g) * u
void swigluRows(float* out, const float* g, const float* u, int64_t n);
void swigluRows(double* out, const double* g, const double* u, int64_t n);

// dup = dout * g * s ; dg = dout * u * s * (1 + g (1 - s)) with s = sigmoid(g)
void swigluBackwardRows(float* dg, float* du, const float* dout, const float* g, const float* u, int64_t n);
void swigluBackwardRows(double* dg, double* du, const double* dout, const double* g, const double* u, int64_t n);

// Name of the path in use ("avx2-fma" or "scalar").
const char* vecMathName();

}  // namespace ditto
