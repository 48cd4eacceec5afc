#include "Dequantize.h"

#include <cstring>
#include <stdexcept>

#include "GgufFile.h"
#include "QuantGroups.h"

namespace ditto {

static constexpr int QK8_0 = 32, QK_K = 256;
static constexpr size_t Q8_0_BYTES = 2 + 32;             // d, qs[32]
static constexpr size_t Q4_K_BYTES = 2 + 2 + 12 + 128;   // d, dmin, scales[12], qs[128]
static constexpr size_t Q6_K_BYTES = 128 + 64 + 16 + 2;  // ql[128], qh[64], scales[16], d

const char* const kDecodedTypes = "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K";

float halfToFloat(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: renormalize
            int e = -1;
            do { mant <<= 1; e++; } while (!(mant & 0x400));
            bits = sign | (uint32_t)(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | mant << 13;
    } else {
        bits = sign | (exp + 127 - 15) << 23 | mant << 13;
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

static uint16_t u16(const uint8_t* p) { return (uint16_t)(p[0] | p[1] << 8); }

std::string ggmlTypeName(uint32_t type) {
    switch (type) {
        case GGML_F32: return "F32";
        case GGML_F16: return "F16";
        case GGML_Q4_0: return "Q4_0"; case GGML_Q4_1: return "Q4_1"; case GGML_Q5_0: return "Q5_0"; case GGML_Q5_1: return "Q5_1";
        case GGML_Q8_0: return "Q8_0";
        case 9: return "Q8_1"; case 10: return "Q2_K"; case 11: return "Q3_K"; case 15: return "Q8_K";
        case 16: return "IQ2_XXS"; case 17: return "IQ2_XS"; case 18: return "IQ3_XXS"; case 19: return "IQ1_S";
        case 20: return "IQ4_NL"; case 21: return "IQ3_S"; case 22: return "IQ2_S"; case 23: return "IQ4_XS";
        case 29: return "IQ1_M"; case 34: return "TQ1_0"; case 35: return "TQ2_0"; case 39: return "MXFP4";
        case GGML_Q4_K: return "Q4_K";
        case GGML_Q5_K: return "Q5_K";
        case GGML_Q6_K: return "Q6_K";
        case GGML_BF16: return "BF16";
        default: return "type " + std::to_string(type);
    }
}

// bytes per block of the types we decode (values per block from ggmlBlockValues)
static size_t blockBytes(uint32_t type) {
    switch (type) {
        case GGML_F32: return 4;
        case GGML_F16: case GGML_BF16: return 2;
        case GGML_Q4_0: return 18;
        case GGML_Q4_1: return 20;
        case GGML_Q5_0: return 22;
        case GGML_Q5_1: return 24;
        case GGML_Q8_0: return Q8_0_BYTES;
        case GGML_Q4_K: return Q4_K_BYTES;
        case GGML_Q5_K: return 176;
        case GGML_Q6_K: return Q6_K_BYTES;
        default: return 0;
    }
}

int ggmlBlockValues(uint32_t type) {
    switch (type) {
        case GGML_F32: case GGML_F16: case GGML_BF16: return 1;
        case GGML_Q4_0: case GGML_Q4_1: case GGML_Q5_0: case GGML_Q5_1: case GGML_Q8_0: return QK8_0;
        case GGML_Q4_K: case GGML_Q5_K: case GGML_Q6_K: return QK_K;
        default: return 0;
    }
}

size_t tensorBytes(uint32_t type, int64_t n) {
    int values = ggmlBlockValues(type);
    return values ? (size_t)(n / values) * blockBytes(type) : 0;
}

// n values (whole blocks) from a group decoder of QuantGroups.h; groups are addressed from their
// own block so that the int group index never overflows on a large tensor.
static void decodeGroups(uint32_t type, void (*group)(const uint8_t*, int, float*), const uint8_t* data, int64_t n, float* out) {
    const int perBlock = ggmlBlockValues(type) / 32;
    const size_t bytes = blockBytes(type);
    for (int64_t g = 0; g < n / 32; g++) group(data + (size_t)(g / perBlock) * bytes, (int)(g % perBlock), out + g * 32);
}

// Q4_K packs 8 six-bit scales and 8 six-bit mins into 12 bytes: the first four of each sit in the
// low 6 bits of bytes 0-3 (scales) and 4-7 (mins); the last four take their low 4 bits from
// bytes 8-11 and their top 2 bits from the spare high bits of bytes 0-7.
static void q4kScaleMin(int j, const uint8_t* s, uint8_t& scale, uint8_t& min) {
    if (j < 4) {
        scale = s[j] & 63;
        min = s[j + 4] & 63;
    } else {
        scale = (uint8_t)((s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4));
        min = (uint8_t)((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

void dequantize(uint32_t type, const uint8_t* data, int64_t n, float* out, const std::string& tensorName) {
    auto wholeBlocks = [&](int block) {
        if (n % block != 0)
            throw std::runtime_error("tensor " + tensorName + " (" + ggmlTypeName(type) + ") has " + std::to_string(n) +
                                     " values, not a multiple of its block size " + std::to_string(block));
    };
    switch (type) {
        case GGML_F32:
            std::memcpy(out, data, (size_t)n * 4);
            return;
        case GGML_F16:
            for (int64_t i = 0; i < n; i++) out[i] = halfToFloat(u16(data + 2 * i));
            return;
        case GGML_BF16:
            for (int64_t i = 0; i < n; i++) {
                uint32_t bits = (uint32_t)u16(data + 2 * i) << 16;
                std::memcpy(out + i, &bits, 4);
            }
            return;
        case GGML_Q8_0: {
            wholeBlocks(QK8_0);
            for (int64_t b = 0; b < n / QK8_0; b++) {
                const uint8_t* blk = data + b * Q8_0_BYTES;
                float d = halfToFloat(u16(blk));
                const int8_t* q = reinterpret_cast<const int8_t*>(blk + 2);
                for (int i = 0; i < QK8_0; i++) out[b * QK8_0 + i] = d * q[i];
            }
            return;
        }
        case GGML_Q4_K: {
            // value = d * scale_j * q - dmin * min_j, for sub-block j of 32; each byte of qs holds
            // two 4-bit values: low nibbles for sub-block 2k, high nibbles for 2k+1, 32 bytes per pair.
            wholeBlocks(QK_K);
            for (int64_t b = 0; b < n / QK_K; b++) {
                const uint8_t* blk = data + b * Q4_K_BYTES;
                float d = halfToFloat(u16(blk)), dmin = halfToFloat(u16(blk + 2));
                const uint8_t* scales = blk + 4;
                const uint8_t* qs = blk + 16;
                float* y = out + b * QK_K;
                for (int pair = 0; pair < 4; pair++) {
                    uint8_t sc0, m0, sc1, m1;
                    q4kScaleMin(2 * pair, scales, sc0, m0);
                    q4kScaleMin(2 * pair + 1, scales, sc1, m1);
                    const uint8_t* q = qs + 32 * pair;
                    for (int l = 0; l < 32; l++) y[64 * pair + l] = d * sc0 * (q[l] & 0x0f) - dmin * m0;
                    for (int l = 0; l < 32; l++) y[64 * pair + 32 + l] = d * sc1 * (q[l] >> 4) - dmin * m1;
                }
            }
            return;
        }
        case GGML_Q6_K: {
            // 6-bit values: low 4 bits in ql, high 2 bits in qh, offset by 32; 16 int8 scales, one per
            // 16 values. Each half (128 values) uses 64 bytes of ql and 32 of qh: ql low nibbles give
            // values 0-63, high nibbles 64-127; qh bit pairs 0-1, 2-3, 4-5, 6-7 give the four 32-runs.
            wholeBlocks(QK_K);
            for (int64_t b = 0; b < n / QK_K; b++) {
                const uint8_t* blk = data + b * Q6_K_BYTES;
                const uint8_t* ql = blk;
                const uint8_t* qh = blk + 128;
                const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192);
                float d = halfToFloat(u16(blk + 208));
                float* y = out + b * QK_K;
                for (int half = 0; half < 2; half++) {
                    for (int l = 0; l < 32; l++) {
                        int is = l / 16;
                        int q1 = (int)((ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4) - 32;
                        int q2 = (int)((ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4) - 32;
                        int q3 = (int)((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                        int q4 = (int)((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
                        y[l] = d * sc[is] * q1;
                        y[l + 32] = d * sc[is + 2] * q2;
                        y[l + 64] = d * sc[is + 4] * q3;
                        y[l + 96] = d * sc[is + 6] * q4;
                    }
                    y += 128;
                    ql += 64;
                    qh += 32;
                    sc += 8;
                }
            }
            return;
        }
        case GGML_Q4_0: wholeBlocks(32); decodeGroups(type, q4_0Group, data, n, out); return;
        case GGML_Q4_1: wholeBlocks(32); decodeGroups(type, q4_1Group, data, n, out); return;
        case GGML_Q5_0: wholeBlocks(32); decodeGroups(type, q5_0Group, data, n, out); return;
        case GGML_Q5_1: wholeBlocks(32); decodeGroups(type, q5_1Group, data, n, out); return;
        case GGML_Q5_K: wholeBlocks(QK_K); decodeGroups(type, q5kGroup, data, n, out); return;
        default:
            throw std::runtime_error("tensor " + tensorName + " has ggml type " + ggmlTypeName(type) +
                                     ", which the training engine cannot read; supported: " + kDecodedTypes +
                                     " (re-quantize the model with llama-quantize to one of these)");
    }
}

}  // namespace ditto
