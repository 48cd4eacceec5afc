// The conversion instructions (F16C, AVX-512F) round to nearest even like toHalf and differ from
// it only in NaN payloads, so NaN lanes are redone by the scalar port of toHalf; that port is also
// the portable kernel (branchy: mispredicted rounding makes it several times slower).
// GCC 12 flags the undefined upper half inside _mm512_cvtps_ph (a false positive)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "HalfEncode.h"

#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace ditto {

static inline uint16_t halfOf(uint32_t x) {
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t)((x >> 23) & 0xff);
    uint32_t mant = x & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));  // inf / nan
    exp = exp - 127 + 15;
    if (exp >= 0x1f) return (uint16_t)(sign | 0x7c00);  // overflow -> inf
    if (exp <= 0) {
        if (exp < -10) return (uint16_t)sign;  // underflow -> 0
        mant |= 0x800000;
        int shift = 14 - exp;
        uint32_t half = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((uint32_t)exp << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;
    return (uint16_t)(sign | half);
}

static void encodeScalar(const float* in, uint16_t* out, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t x;
        std::memcpy(&x, in + i, 4);
        out[i] = halfOf(x);
    }
}

#if defined(__x86_64__) || defined(_M_X64)
__attribute__((target("avx512f"))) static int64_t encodeAvx512(const float* in, uint16_t* out, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 x = _mm512_loadu_ps(in + i);
        _mm256_storeu_si256((__m256i*)(out + i), _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        if (_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q)) encodeScalar(in + i, out + i, 16);
    }
    return i;
}

__attribute__((target("avx2,f16c"))) static int64_t encodeAvx2(const float* in, uint16_t* out, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(in + i);
        _mm_storeu_si128((__m128i*)(out + i), _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        if (_mm256_movemask_ps(_mm256_cmp_ps(x, x, _CMP_UNORD_Q))) encodeScalar(in + i, out + i, 8);
    }
    return i;
}
#endif

uint16_t halfBits(float value) {
    uint32_t x;
    std::memcpy(&x, &value, 4);
    return halfOf(x);
}

void encodeHalf(GemmIsa isa, const float* in, uint16_t* out, int64_t n) {
    int64_t i = 0;
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == GemmIsa::Avx512) i = encodeAvx512(in, out, n);
    else if (isa == GemmIsa::Avx2) i = encodeAvx2(in, out, n);
#endif
    encodeScalar(in + i, out + i, n - i);
}

}  // namespace ditto
