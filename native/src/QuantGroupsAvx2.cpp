#include "QuantGroupsAvx2.h"

#include "QuantGroups.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

// "avx2" without "fma": the compiler must not fuse a product and a sum that the scalar decoders
// round separately
#define DITTO_AVX2 __attribute__((target("avx2")))

namespace ditto {

namespace {

// 8 bytes at p, widened to 8 x i32
DITTO_AVX2 inline __m256i bytes8(const uint8_t* p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }

// the fifth bits of 8 values: bit (first + i) of qh for lane i
DITTO_AVX2 inline __m256i bits8(uint32_t qh, int first) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)qh), _mm256_add_epi32(lanes, _mm256_set1_epi32(first))), _mm256_set1_epi32(1));
}

}  // namespace

// y = (d * scale) * q - dmin * min, as q4kGroup
DITTO_AVX2 void q4kGroupAvx2(const uint8_t* blocks, int g, float* y) {
    const uint8_t* blk = blocks + (size_t)(g / 8) * 144;
    int j = g % 8, sc, mn;
    quant_groups::kScaleMin(j, blk + 4, sc, mn);
    float d = quant_groups::f16At(blk), dmin = quant_groups::f16At(blk + 2);
    __m256 ds = _mm256_set1_ps(d * (float)sc), dm = _mm256_set1_ps(dmin * (float)mn);
    const uint8_t* q = blk + 16 + 32 * (j / 2);
    __m128i shift = _mm_cvtsi32_si128(4 * (j % 2));
    __m256i low4 = _mm256_set1_epi32(0x0f);
    for (int l = 0; l < 32; l += 8) {
        __m256 v = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srl_epi32(bytes8(q + l), shift), low4));
        _mm256_storeu_ps(y + l, _mm256_sub_ps(_mm256_mul_ps(ds, v), dm));
    }
}

// y = k * q - m, as q5kGroup
DITTO_AVX2 void q5kGroupAvx2(const uint8_t* blocks, int g, float* y) {
    const uint8_t* blk = blocks + (size_t)(g / 8) * 176;
    int j = g % 8, sc, mn;
    quant_groups::kScaleMin(j, blk + 4, sc, mn);
    float d = quant_groups::f16At(blk), dmin = quant_groups::f16At(blk + 2);
    __m256 k = _mm256_set1_ps(d * (float)sc), m = _mm256_set1_ps(dmin * (float)mn);
    const uint8_t* qh = blk + 16;
    const uint8_t* q = blk + 48 + 32 * (j / 2);
    __m128i shift = _mm_cvtsi32_si128(4 * (j % 2)), hshift = _mm_cvtsi32_si128(j);
    __m256i low4 = _mm256_set1_epi32(0x0f), one = _mm256_set1_epi32(1);
    for (int l = 0; l < 32; l += 8) {
        __m256i lo = _mm256_and_si256(_mm256_srl_epi32(bytes8(q + l), shift), low4);
        __m256i hi = _mm256_slli_epi32(_mm256_and_si256(_mm256_srl_epi32(bytes8(qh + l), hshift), one), 4);
        __m256 v = _mm256_cvtepi32_ps(_mm256_or_si256(lo, hi));
        _mm256_storeu_ps(y + l, _mm256_sub_ps(_mm256_mul_ps(k, v), m));
    }
}

// y = (d * scale) * (q - 32), as q6kGroup (scale per 16 values)
DITTO_AVX2 void q6kGroupAvx2(const uint8_t* blocks, int g, float* y) {
    const uint8_t* blk = blocks + (size_t)(g / 8) * 210;
    int half = g % 8 / 4, run = g % 4;
    const uint8_t* ql = blk + 64 * half + (run % 2) * 32;
    const uint8_t* qh = blk + 128 + 32 * half;
    const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192) + 8 * half + 2 * run;
    float d = quant_groups::f16At(blk + 208);
    __m128i lowShift = _mm_cvtsi32_si128(run < 2 ? 0 : 4), highShift = _mm_cvtsi32_si128(2 * run);
    __m256i low4 = _mm256_set1_epi32(0x0f), three = _mm256_set1_epi32(3), bias = _mm256_set1_epi32(32);
    for (int l = 0; l < 32; l += 8) {
        __m256i lo = _mm256_and_si256(_mm256_srl_epi32(bytes8(ql + l), lowShift), low4);
        __m256i hi = _mm256_slli_epi32(_mm256_and_si256(_mm256_srl_epi32(bytes8(qh + l), highShift), three), 4);
        __m256 v = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_or_si256(lo, hi), bias));
        _mm256_storeu_ps(y + l, _mm256_mul_ps(_mm256_set1_ps(d * (float)sc[l / 16]), v));
    }
}

// y[l] = (low nibble of byte l - 8) d, y[l + 16] = (high nibble - 8) d, as q4_0Group
DITTO_AVX2 void q4_0GroupAvx2(const uint8_t* blocks, int g, float* y) {
    const uint8_t* b = blocks + (size_t)g * 18;
    __m256 d = _mm256_set1_ps(quant_groups::f16At(b));
    const uint8_t* qs = b + 2;
    __m256i low4 = _mm256_set1_epi32(0x0f), eight = _mm256_set1_epi32(8);
    for (int l = 0; l < 16; l += 8) {
        __m256i q = bytes8(qs + l);
        _mm256_storeu_ps(y + l, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_and_si256(q, low4), eight)), d));
        _mm256_storeu_ps(y + l + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(q, 4), eight)), d));
    }
}

// y = q d + m, as q4_1Group
DITTO_AVX2 void q4_1GroupAvx2(const uint8_t* blocks, int g, float* y) {
    const uint8_t* b = blocks + (size_t)g * 20;
    __m256 d = _mm256_set1_ps(quant_groups::f16At(b)), m = _mm256_set1_ps(quant_groups::f16At(b + 2));
    const uint8_t* qs = b + 4;
    __m256i low4 = _mm256_set1_epi32(0x0f);
    for (int l = 0; l < 16; l += 8) {
        __m256i q = bytes8(qs + l);
        _mm256_storeu_ps(y + l, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(q, low4)), d), m));
        _mm256_storeu_ps(y + l + 16, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(q, 4)), d), m));
    }
}

// y = (q | fifth bit << 4 - 16) d, as q5_0Group
DITTO_AVX2 void q5_0GroupAvx2(const uint8_t* blocks, int g, float* y) {
    const uint8_t* b = blocks + (size_t)g * 22;
    __m256 d = _mm256_set1_ps(quant_groups::f16At(b));
    uint32_t qh = quant_groups::u32At(b + 2);
    const uint8_t* qs = b + 6;
    __m256i low4 = _mm256_set1_epi32(0x0f), sixteen = _mm256_set1_epi32(16);
    for (int l = 0; l < 16; l += 8) {
        __m256i q = bytes8(qs + l);
        __m256i x0 = _mm256_sub_epi32(_mm256_or_si256(_mm256_and_si256(q, low4), _mm256_slli_epi32(bits8(qh, l), 4)), sixteen);
        __m256i x1 = _mm256_sub_epi32(_mm256_or_si256(_mm256_srli_epi32(q, 4), _mm256_slli_epi32(bits8(qh, l + 16), 4)), sixteen);
        _mm256_storeu_ps(y + l, _mm256_mul_ps(_mm256_cvtepi32_ps(x0), d));
        _mm256_storeu_ps(y + l + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(x1), d));
    }
}

// y = (q | fifth bit << 4) d + m, as q5_1Group
DITTO_AVX2 void q5_1GroupAvx2(const uint8_t* blocks, int g, float* y) {
    const uint8_t* b = blocks + (size_t)g * 24;
    __m256 d = _mm256_set1_ps(quant_groups::f16At(b)), m = _mm256_set1_ps(quant_groups::f16At(b + 2));
    uint32_t qh = quant_groups::u32At(b + 4);
    const uint8_t* qs = b + 8;
    __m256i low4 = _mm256_set1_epi32(0x0f);
    for (int l = 0; l < 16; l += 8) {
        __m256i q = bytes8(qs + l);
        __m256i x0 = _mm256_or_si256(_mm256_and_si256(q, low4), _mm256_slli_epi32(bits8(qh, l), 4));
        __m256i x1 = _mm256_or_si256(_mm256_srli_epi32(q, 4), _mm256_slli_epi32(bits8(qh, l + 16), 4));
        _mm256_storeu_ps(y + l, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(x0), d), m));
        _mm256_storeu_ps(y + l + 16, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(x1), d), m));
    }
}

}  // namespace ditto

#else
namespace ditto {
// never called off x86 (decodeRow's simd is false there)
void q4kGroupAvx2(const uint8_t*, int, float*) {}
void q5kGroupAvx2(const uint8_t*, int, float*) {}
void q6kGroupAvx2(const uint8_t*, int, float*) {}
void q4_0GroupAvx2(const uint8_t*, int, float*) {}
void q4_1GroupAvx2(const uint8_t*, int, float*) {}
void q5_0GroupAvx2(const uint8_t*, int, float*) {}
void q5_1GroupAvx2(const uint8_t*, int, float*) {}
}  // namespace ditto
#endif
