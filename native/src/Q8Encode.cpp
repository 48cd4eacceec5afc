// The vector kernel does the scalar one's double arithmetic four lanes at a time (no FMA, no
// reordering), so both give the same bytes; blocks with a NaN or an infinity take the scalar path.
#pragma GCC optimize("fp-contract=off")
#include "Q8Encode.h"

#include "HalfEncode.h"

#include <cmath>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace ditto {

// the scale's half bits and 1 / d (0 where JavaScript's `d ? 1 / d : 0` gives 0) for a finite amax
static void scaleOf(float amax, uint8_t* blk, double& id) {
    double d = (double)amax / 127.0;
    uint16_t h = halfBits((float)d);  // toHalf of the float, as the TypeScript encoder
    blk[0] = (uint8_t)h;
    blk[1] = (uint8_t)(h >> 8);
    id = d != 0 ? 1.0 / d : 0.0;
}

// Math.round (ties toward +infinity) then ToInt8 of a finite double within int range
static int8_t jsRoundInt8(double v) {
    double r = std::floor(v);
    if (v - r >= 0.5) r += 1;
    return (int8_t)(uint8_t)((int64_t)r & 0xff);
}

static void blockScalar(const float* x, uint8_t* blk) {
    float amax = 0;
    bool nan = false;
    for (int i = 0; i < 32; i++) {
        float a = std::fabs(x[i]);
        if (std::isnan(a)) nan = true;
        else if (a > amax) amax = a;
    }
    if (nan || std::isinf(amax)) {
        // JavaScript's Math.max returns the CPU's default NaN (sign set on x86) for any NaN, so
        // toHalf gives 0xfe00 whatever the input NaN; an infinite amax gives d = inf, 1 / d = 0
        uint16_t h = nan ? 0xfe00 : 0x7c00;
        blk[0] = (uint8_t)h;
        blk[1] = (uint8_t)(h >> 8);
        std::memset(blk + 2, 0, 32);
        return;
    }
    double id;
    scaleOf(amax, blk, id);
    for (int i = 0; i < 32; i++) blk[2 + i] = (uint8_t)jsRoundInt8((double)x[i] * id);
}

#if defined(__x86_64__) || defined(_M_X64)
__attribute__((target("avx2"))) static int64_t encodeAvx2(const float* in, uint8_t* out, int64_t nBlocks) {
    const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 inf = _mm256_set1_ps(INFINITY);
    const __m256d half = _mm256_set1_pd(0.5), one = _mm256_set1_pd(1.0);
    for (int64_t b = 0; b < nBlocks; b++) {
        const float* x = in + b * 32;
        uint8_t* blk = out + b * 34;
        __m256 v[4], m = _mm256_setzero_ps();
        int bad = 0;
        for (int c = 0; c < 4; c++) {
            v[c] = _mm256_loadu_ps(x + 8 * c);
            __m256 a = _mm256_and_ps(v[c], absMask);
            // NaN compares false with everything, so !(a < inf) is NaN or infinity
            bad |= _mm256_movemask_ps(_mm256_cmp_ps(a, inf, _CMP_NLT_UQ));
            m = _mm256_max_ps(m, a);
        }
        if (bad) { blockScalar(x, blk); continue; }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
        double id;
        scaleOf(_mm_cvtss_f32(m4), blk, id);
        __m256d idv = _mm256_set1_pd(id);
        __m128i q32[8];
        for (int c = 0; c < 8; c++) {
            __m128 x4 = c & 1 ? _mm256_extractf128_ps(v[c >> 1], 1) : _mm256_castps256_ps128(v[c >> 1]);
            __m256d p = _mm256_mul_pd(_mm256_cvtps_pd(x4), idv);
            __m256d r = _mm256_floor_pd(p);
            r = _mm256_add_pd(r, _mm256_and_pd(_mm256_cmp_pd(_mm256_sub_pd(p, r), half, _CMP_GE_OQ), one));
            q32[c] = _mm256_cvtpd_epi32(r);  // whole numbers within +-127: exact
        }
        __m128i q16a = _mm_packs_epi32(q32[0], q32[1]), q16b = _mm_packs_epi32(q32[2], q32[3]);
        __m128i q16c = _mm_packs_epi32(q32[4], q32[5]), q16d = _mm_packs_epi32(q32[6], q32[7]);
        _mm_storeu_si128((__m128i*)(blk + 2), _mm_packs_epi16(q16a, q16b));
        _mm_storeu_si128((__m128i*)(blk + 18), _mm_packs_epi16(q16c, q16d));
    }
    return nBlocks;
}
#endif

void encodeQ8_0(GemmIsa isa, const float* in, uint8_t* out, int64_t n) {
    int64_t nBlocks = n / 32, b = 0;
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == GemmIsa::Avx512 || isa == GemmIsa::Avx2) b = encodeAvx2(in, out, nBlocks);
#endif
    for (; b < nBlocks; b++) blockScalar(in + b * 32, out + b * 34);
}

}  // namespace ditto
