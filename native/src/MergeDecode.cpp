// Plain loops the compiler vectorizes: the TypeScript decoders cost ~10 ns a value, these well
// under one, which matters at a 7B model's 6.5 billion adapted weights. The K-quant values are
// JavaScript's double expressions, so no contraction into an FMA may change their rounding.
#pragma GCC optimize("fp-contract=off")
#include "MergeDecode.h"

#include <cstring>

#include "Dequantize.h"
#include "GgufFile.h"

namespace ditto {

static uint16_t u16(const uint8_t* p) { return (uint16_t)(p[0] | p[1] << 8); }
// exponent all ones: infinity or NaN
static bool halfNotFinite(uint16_t h) { return (h & 0x7c00) == 0x7c00; }

size_t mergeDecodeBytes(int type, int64_t n) {
    if (n < 0) return 0;
    switch (type) {
        case GGML_F16: case GGML_BF16: return (size_t)n * 2;
        case GGML_Q8_0: return n % 32 ? 0 : (size_t)(n / 32) * 34;
        case GGML_Q4_K: return n % 256 ? 0 : (size_t)(n / 256) * 144;
        case GGML_Q6_K: return n % 256 ? 0 : (size_t)(n / 256) * 210;
        default: return 0;
    }
}

static bool decodeF16(const uint8_t* data, int64_t n, float* out) {
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = u16(data + 2 * i);
        if ((h & 0x7fff) > 0x7c00) return false;  // NaN
        out[i] = halfToFloat(h);
    }
    return true;
}

static bool decodeBf16(const uint8_t* data, int64_t n, float* out) {
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = u16(data + 2 * i);
        if ((h & 0x7fff) > 0x7f80) return false;  // NaN
        uint32_t bits = (uint32_t)h << 16;
        std::memcpy(out + i, &bits, 4);
    }
    return true;
}

static bool decodeQ8_0(const uint8_t* blocks, int64_t n, float* out) {
    for (int64_t b = 0; b < n / 32; b++) {
        const uint8_t* blk = blocks + b * 34;
        uint16_t h = u16(blk);
        if (halfNotFinite(h)) return false;
        float d = halfToFloat(h);
        const int8_t* q = reinterpret_cast<const int8_t*>(blk + 2);
        for (int i = 0; i < 32; i++) out[b * 32 + i] = d * (float)q[i];
    }
    return true;
}

// layout: src/adapter/dequantizeQ4K.ts
static bool decodeQ4K(const uint8_t* blocks, int64_t n, float* out) {
    for (int64_t b = 0; b < n / 256; b++) {
        const uint8_t* blk = blocks + b * 144;
        uint16_t hd = u16(blk), hmin = u16(blk + 2);
        if (halfNotFinite(hd) || halfNotFinite(hmin)) return false;
        double d = halfToFloat(hd), dmin = halfToFloat(hmin);
        const uint8_t* sc = blk + 4;
        const uint8_t* qs = blk + 16;
        for (int j = 0; j < 8; j++) {
            int scale, min;
            if (j < 4) {
                scale = sc[j] & 63;
                min = sc[j + 4] & 63;
            } else {
                scale = (sc[j + 4] & 0xf) | ((sc[j - 4] >> 6) << 4);
                min = (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4);
            }
            double k = d * scale, m = dmin * min;
            const uint8_t* q = qs + (j >> 1) * 32;
            int shift = (j & 1) * 4;
            float* o = out + b * 256 + j * 32;
            for (int l = 0; l < 32; l++) o[l] = (float)(k * ((q[l] >> shift) & 0xf) - m);
        }
    }
    return true;
}

// layout: src/adapter/dequantizeQ6K.ts
static bool decodeQ6K(const uint8_t* blocks, int64_t n, float* out) {
    for (int64_t b = 0; b < n / 256; b++) {
        const uint8_t* blk = blocks + b * 210;
        uint16_t hd = u16(blk + 208);
        if (halfNotFinite(hd)) return false;
        double d = halfToFloat(hd);
        for (int half = 0; half < 2; half++) {
            const uint8_t* ql = blk + half * 64;
            const uint8_t* qh = blk + 128 + half * 32;
            const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192 + half * 8);
            float* o = out + b * 256 + half * 128;
            for (int l = 0; l < 32; l++) {
                int h = qh[l], is = l >> 4;
                int q1 = ((ql[l] & 0xf) | ((h & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0xf) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
                o[l] = (float)(d * sc[is] * q1);
                o[l + 32] = (float)(d * sc[is + 2] * q2);
                o[l + 64] = (float)(d * sc[is + 4] * q3);
                o[l + 96] = (float)(d * sc[is + 6] * q4);
            }
        }
    }
    return true;
}

// flags collected without an early exit so that the loops vectorize
static bool valuesNotNaN(const uint8_t* data, int64_t n, uint16_t nanAbove) {
    unsigned bad = 0;
    for (int64_t i = 0; i < n; i++) bad |= (u16(data + 2 * i) & 0x7fff) > nanAbove;
    return !bad;
}

static bool scalesFinite(const uint8_t* data, int64_t nBlocks, int64_t stride, int64_t at, bool second) {
    unsigned bad = 0;
    for (int64_t b = 0; b < nBlocks; b++) {
        const uint8_t* p = data + b * stride + at;
        bad |= halfNotFinite(u16(p)) | (second && halfNotFinite(u16(p + 2)));
    }
    return !bad;
}

bool mergeDecodeAccepts(int type, const uint8_t* data, int64_t n) {
    if (mergeDecodeBytes(type, n) == 0 && n != 0) return false;
    switch (type) {
        case GGML_F16: return valuesNotNaN(data, n, 0x7c00);
        case GGML_BF16: return valuesNotNaN(data, n, 0x7f80);
        case GGML_Q8_0: return scalesFinite(data, n / 32, 34, 0, false);
        case GGML_Q4_K: return scalesFinite(data, n / 256, 144, 0, true);
        case GGML_Q6_K: return scalesFinite(data, n / 256, 210, 208, false);
        default: return false;
    }
}

bool decodeForMerge(int type, const uint8_t* data, int64_t n, float* out) {
    if (mergeDecodeBytes(type, n) == 0 && n != 0) return false;
    switch (type) {
        case GGML_F16: return decodeF16(data, n, out);
        case GGML_BF16: return decodeBf16(data, n, out);
        case GGML_Q8_0: return decodeQ8_0(data, n, out);
        case GGML_Q4_K: return decodeQ4K(data, n, out);
        case GGML_Q6_K: return decodeQ6K(data, n, out);
        default: return false;
    }
}

}  // namespace ditto
