#include "VecMath.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DITTO_X86 1
#endif

namespace ditto {

template <typename T> static T maxScalar(const T* x, int64_t n) {
    T m = x[0];
    for (int64_t i = 1; i < n; i++) m = std::max(m, x[i]);
    return m;
}
template <typename T> static double expShiftSumScalar(T* row, int64_t n, T m) {
    double sum = 0;
    for (int64_t j = 0; j < n; j++) { row[j] = std::exp(row[j] - m); sum += row[j]; }
    return sum;
}
template <typename T> static T sigmoidScalar(T x) { return T(1) / (T(1) + std::exp(-x)); }
template <typename T> static void swigluScalar(T* out, const T* g, const T* u, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = g[i] * sigmoidScalar(g[i]) * u[i];
}
template <typename T> static void swigluBackwardScalar(T* dg, T* du, const T* dout, const T* g, const T* u, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        T s = sigmoidScalar(g[i]);
        du[i] = dout[i] * g[i] * s;
        dg[i] = dout[i] * u[i] * s * (T(1) + g[i] * (T(1) - s));
    }
}

#ifdef DITTO_X86
#define DITTO_AVX __attribute__((target("avx2,fma")))

// exp(x), Cephes expf: x = n ln2 + r, |r| <= ln2/2, exp(r) by a degree-6 polynomial, times 2^n.
// NaN propagates; inputs are clamped to the normal range (exp(-87.3) ~ 1e-38).
DITTO_AVX static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(88.3762626647949f), _mm256_max_ps(_mm256_set1_ps(-87.3365447504f), x));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 y = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}
DITTO_AVX static inline __m256 sigmoid8(__m256 x) {
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}
DITTO_AVX static inline float hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

DITTO_AVX static float maxAvx(const float* x, int64_t n) {
    int64_t i = 0;
    float m = x[0];
    if (n >= 8) {
        __m256 v = _mm256_loadu_ps(x);
        for (i = 8; i + 8 <= n; i += 8) v = _mm256_max_ps(v, _mm256_loadu_ps(x + i));
        m = hmax8(v);
    }
    for (; i < n; i++) m = std::max(m, x[i]);
    return m;
}
DITTO_AVX static double expShiftSumAvx(float* row, int64_t n, float m) {
    __m256 mv = _mm256_set1_ps(m), acc = _mm256_setzero_ps();
    double sum = 0;
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), mv));
        _mm256_storeu_ps(row + j, e);
        acc = _mm256_add_ps(acc, e);
        if ((j & 1023) == 1016) {  // fold into double every 1024 values so float sums stay short
            alignas(32) float lanes[8];
            _mm256_store_ps(lanes, acc);
            for (float v : lanes) sum += v;
            acc = _mm256_setzero_ps();
        }
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, acc);
    for (float v : lanes) sum += v;
    for (; j < n; j++) { row[j] = std::exp(row[j] - m); sum += row[j]; }
    return sum;
}
DITTO_AVX static void swigluAvx(float* out, const float* g, const float* u, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gv = _mm256_loadu_ps(g + i);
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(gv, sigmoid8(gv)), _mm256_loadu_ps(u + i)));
    }
    swigluScalar(out + i, g + i, u + i, n - i);
}
DITTO_AVX static void swigluBackwardAvx(float* dg, float* du, const float* dout, const float* g, const float* u, int64_t n) {
    int64_t i = 0;
    __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= n; i += 8) {
        __m256 gv = _mm256_loadu_ps(g + i), d = _mm256_loadu_ps(dout + i), s = sigmoid8(gv);
        _mm256_storeu_ps(du + i, _mm256_mul_ps(_mm256_mul_ps(d, gv), s));
        __m256 inner = _mm256_fmadd_ps(gv, _mm256_sub_ps(one, s), one);
        _mm256_storeu_ps(dg + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(d, _mm256_loadu_ps(u + i)), s), inner));
    }
    swigluBackwardScalar(dg + i, du + i, dout + i, g + i, u + i, n - i);
}
#undef DITTO_AVX

static const bool useAvx = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}();
#else
static const bool useAvx = false;
#endif

float maxOf(const float* x, int64_t n) {
#ifdef DITTO_X86
    if (useAvx) return maxAvx(x, n);
#endif
    return maxScalar(x, n);
}
double maxOf(const double* x, int64_t n) { return maxScalar(x, n); }

double expShiftSum(float* row, int64_t n, float m) {
#ifdef DITTO_X86
    if (useAvx) return expShiftSumAvx(row, n, m);
#endif
    return expShiftSumScalar(row, n, m);
}
double expShiftSum(double* row, int64_t n, double m) { return expShiftSumScalar(row, n, m); }

void swigluRows(float* out, const float* g, const float* u, int64_t n) {
#ifdef DITTO_X86
    if (useAvx) { swigluAvx(out, g, u, n); return; }
#endif
    swigluScalar(out, g, u, n);
}
void swigluRows(double* out, const double* g, const double* u, int64_t n) { swigluScalar(out, g, u, n); }

void swigluBackwardRows(float* dg, float* du, const float* dout, const float* g, const float* u, int64_t n) {
#ifdef DITTO_X86
    if (useAvx) { swigluBackwardAvx(dg, du, dout, g, u, n); return; }
#endif
    swigluBackwardScalar(dg, du, dout, g, u, n);
}
void swigluBackwardRows(double* dg, double* du, const double* dout, const double* g, const double* u, int64_t n) {
    swigluBackwardScalar(dg, du, dout, g, u, n);
}

const char* vecMathName() { return useAvx ? "avx2-fma" : "scalar"; }

}  // namespace ditto
