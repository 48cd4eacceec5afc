// Merge kernels: the same per-element sequence of double operations on every ISA. Contraction of
// the multiply and the add into an FMA would change the rounding, hence fp-contract=off here.
#pragma GCC optimize("fp-contract=off")
// GCC 12 flags the undefined upper half inside _mm512_cvtpd_ps / _mm512_cvtps_pd (a false positive)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "LoraMerge.h"

#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace ditto {

// one output row from column i on: coef[k] for k in [0, r), zero coefficients already dropped
static void rowTail(float* w, const float* a, int64_t nIn, const double* coef, const int* ks, int nk, int64_t i) {
    for (; i < nIn; i++) {
        float x = w[i];
        for (int j = 0; j < nk; j++) x = (float)((double)x + coef[j] * (double)a[(int64_t)ks[j] * nIn + i]);
        w[i] = x;
    }
}

#if defined(__x86_64__) || defined(_M_X64)
// Each k step of one vector waits on the previous one (convert, add, convert back: ~20 cycles), so
// CH vectors of a row are carried at once to keep the converters busy.
constexpr int CH = 8;

__attribute__((target("avx512f"))) static int64_t rowAvx512(float* w, const float* a, int64_t nIn, const double* coef, const int* ks, int nk) {
    int64_t i = 0;
    for (; i + 8 * CH <= nIn; i += 8 * CH) {
        __m256 x[CH];
        for (int c = 0; c < CH; c++) x[c] = _mm256_loadu_ps(w + i + 8 * c);
        for (int j = 0; j < nk; j++) {
            const float* ak = a + (int64_t)ks[j] * nIn + i;
            __m512d cj = _mm512_set1_pd(coef[j]);
            for (int c = 0; c < CH; c++)
                x[c] = _mm512_cvtpd_ps(_mm512_add_pd(_mm512_cvtps_pd(x[c]), _mm512_mul_pd(cj, _mm512_cvtps_pd(_mm256_loadu_ps(ak + 8 * c)))));
        }
        for (int c = 0; c < CH; c++) _mm256_storeu_ps(w + i + 8 * c, x[c]);
    }
    return i;
}

__attribute__((target("avx2"))) static int64_t rowAvx2(float* w, const float* a, int64_t nIn, const double* coef, const int* ks, int nk) {
    int64_t i = 0;
    for (; i + 4 * CH <= nIn; i += 4 * CH) {
        __m128 x[CH];
        for (int c = 0; c < CH; c++) x[c] = _mm_loadu_ps(w + i + 4 * c);
        for (int j = 0; j < nk; j++) {
            const float* ak = a + (int64_t)ks[j] * nIn + i;
            __m256d cj = _mm256_set1_pd(coef[j]);
            for (int c = 0; c < CH; c++)
                x[c] = _mm256_cvtpd_ps(_mm256_add_pd(_mm256_cvtps_pd(x[c]), _mm256_mul_pd(cj, _mm256_cvtps_pd(_mm_loadu_ps(ak + 4 * c)))));
        }
        for (int c = 0; c < CH; c++) _mm_storeu_ps(w + i + 4 * c, x[c]);
    }
    return i;
}
#endif

void loraMerge(GemmIsa isa, float* w, const float* a, const float* b, int64_t nOut, int64_t nIn, int rank, double factor) {
    std::vector<double> coef(rank);
    std::vector<int> ks(rank);
    for (int64_t o = 0; o < nOut; o++) {
        int nk = 0;
        for (int k = 0; k < rank; k++) {
            double c = factor * (double)b[o * rank + k];
            if (c != 0) { coef[nk] = c; ks[nk++] = k; }
        }
        if (nk == 0) continue;
        float* row = w + o * nIn;
        int64_t i = 0;
#if defined(__x86_64__) || defined(_M_X64)
        if (isa == GemmIsa::Avx512) i = rowAvx512(row, a, nIn, coef.data(), ks.data(), nk);
        else if (isa == GemmIsa::Avx2) i = rowAvx2(row, a, nIn, coef.data(), ks.data(), nk);
#endif
        rowTail(row, a, nIn, coef.data(), ks.data(), nk, i);
    }
}

}  // namespace ditto
