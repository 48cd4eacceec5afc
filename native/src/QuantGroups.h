// 32-value groups of Q4_0, Q4_1, Q5_0, Q5_1 and Q5_K, written from ggml's block layouts. The
// whole-tensor decoder (Dequantize.cpp) and the products' row decoder (WeightDecode.cpp) both call
// these, so a value decodes to the same bits wherever it is read.
//   Q4_0: 18-byte blocks of 32: f16 d, 16 bytes of nibbles; value (q - 8) d
//   Q4_1: 20-byte blocks of 32: f16 d, f16 m, 16 bytes of nibbles; value q d + m
//   Q5_0: 22-byte blocks of 32: f16 d, 32 high bits (u32), 16 bytes of nibbles; value (q - 16) d
//   Q5_1: 24-byte blocks of 32: f16 d, f16 m, 32 high bits, 16 bytes of nibbles; value q d + m
//   Q5_K: 176-byte super-blocks of 256: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins (as
//         Q4_K), 32 bytes of high bits, 128 bytes of nibbles; value d scale_j q - dmin min_j
// In the 32-value blocks, byte l of the nibbles holds value l (low nibble) and value l + 16 (high),
// and bit i of the high bits is the fifth bit of value i. In Q5_K, sub-blocks 2k and 2k + 1 share
// 32 bytes of nibbles (low, high) and bit j of high-bit byte l belongs to value l of sub-block j.
#pragma once
#include <cstddef>
#include <cstdint>

#include "Dequantize.h"

namespace ditto {

namespace quant_groups {

inline float f16At(const uint8_t* p) { return halfToFloat((uint16_t)(p[0] | p[1] << 8)); }
inline uint32_t u32At(const uint8_t* p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

// 6-bit scale and min of sub-block j of a Q4_K/Q5_K super-block: the first four in the low 6 bits
// of bytes 0-3 (scales) and 4-7 (mins); the last four take their low 4 bits from bytes 8-11 and
// their top 2 bits from the spare high bits of bytes 0-7.
inline void kScaleMin(int j, const uint8_t* s, int& scale, int& min) {
    if (j < 4) {
        scale = s[j] & 63;
        min = s[j + 4] & 63;
    } else {
        scale = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
        min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

}  // namespace quant_groups

// Group g of a row: y[32] = the values of block g (Q4_0 .. Q5_1) or sub-block g % 8 of super-block
// g / 8 (Q5_K).
inline void q4_0Group(const uint8_t* blocks, int g, float* y) {
    const uint8_t* b = blocks + (size_t)g * 18;
    float d = quant_groups::f16At(b);
    const uint8_t* qs = b + 2;
    for (int l = 0; l < 16; l++) {
        y[l] = (float)((qs[l] & 0x0f) - 8) * d;
        y[l + 16] = (float)((qs[l] >> 4) - 8) * d;
    }
}

inline void q4_1Group(const uint8_t* blocks, int g, float* y) {
    const uint8_t* b = blocks + (size_t)g * 20;
    float d = quant_groups::f16At(b), m = quant_groups::f16At(b + 2);
    const uint8_t* qs = b + 4;
    for (int l = 0; l < 16; l++) {
        y[l] = (float)(qs[l] & 0x0f) * d + m;
        y[l + 16] = (float)(qs[l] >> 4) * d + m;
    }
}

inline void q5_0Group(const uint8_t* blocks, int g, float* y) {
    const uint8_t* b = blocks + (size_t)g * 22;
    float d = quant_groups::f16At(b);
    uint32_t qh = quant_groups::u32At(b + 2);
    const uint8_t* qs = b + 6;
    for (int l = 0; l < 16; l++) {
        int x0 = (int)((qs[l] & 0x0f) | ((qh >> l) & 1) << 4) - 16;
        int x1 = (int)((qs[l] >> 4) | ((qh >> (l + 16)) & 1) << 4) - 16;
        y[l] = (float)x0 * d;
        y[l + 16] = (float)x1 * d;
    }
}

inline void q5_1Group(const uint8_t* blocks, int g, float* y) {
    const uint8_t* b = blocks + (size_t)g * 24;
    float d = quant_groups::f16At(b), m = quant_groups::f16At(b + 2);
    uint32_t qh = quant_groups::u32At(b + 4);
    const uint8_t* qs = b + 8;
    for (int l = 0; l < 16; l++) {
        uint32_t x0 = (qs[l] & 0x0f) | ((qh >> l) & 1) << 4;
        uint32_t x1 = (qs[l] >> 4) | ((qh >> (l + 16)) & 1) << 4;
        y[l] = (float)x0 * d + m;
        y[l + 16] = (float)x1 * d + m;
    }
}

inline void q5kGroup(const uint8_t* blocks, int g, float* y) {
    const uint8_t* blk = blocks + (size_t)(g / 8) * 176;
    int j = g % 8, sc, mn;
    quant_groups::kScaleMin(j, blk + 4, sc, mn);
    float d = quant_groups::f16At(blk), dmin = quant_groups::f16At(blk + 2);
    float k = d * (float)sc, m = dmin * (float)mn;  // as ggml: the sub-block's scale and min first
    const uint8_t* qh = blk + 16;
    const uint8_t* q = blk + 48 + 32 * (j / 2);
    int shift = 4 * (j % 2);
    for (int l = 0; l < 32; l++) y[l] = k * (float)(((q[l] >> shift) & 0x0f) | ((qh[l] >> j) & 1) << 4) - m;
}

}  // namespace ditto
