// Rows of frozen weights decoded from their file encoding, for the products' packing and for
// embedding lookups: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and the K-quants Q4_K, Q5_K and
// Q6_K, from any column offset. Block types decode 32-value groups (each has its own scale), so a
// panel of any multiple of 32 never decodes values it does not use.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "Dequantize.h"
#include "Gemm.h"
#include "GemmKernels.h"
#include "GgufFile.h"
#include "QuantGroups.h"
#include "QuantGroupsAvx2.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DITTO_X86 1
#endif

namespace ditto {

#ifdef DITTO_X86
__attribute__((target("avx2,f16c"))) static void decodeF16Fast(const uint16_t* src, int n, float* out) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
    for (; i < n; i++) out[i] = _cvtsh_ss(src[i]);
}
__attribute__((target("avx2"))) static void decodeBf16Fast(const uint16_t* src, int n, float* out) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
        _mm256_storeu_ps(out + i, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
    }
    for (; i < n; i++) {
        uint32_t bits = (uint32_t)src[i] << 16;
        std::memcpy(out + i, &bits, 4);
    }
}
// Whole Q8_0 blocks: nBlocks x (f16 scale, 32 int8) -> 32 floats each.
__attribute__((target("avx2,f16c"))) static void decodeQ8BlocksFast(const uint8_t* b, int nBlocks, float* out) {
    for (int k = 0; k < nBlocks; k++, b += 34, out += 32) {
        __m256 d = _mm256_set1_ps(_cvtsh_ss((uint16_t)(b[0] | b[1] << 8)));
        for (int g = 0; g < 4; g++) {
            __m128i q8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + 2 + 8 * g));
            _mm256_storeu_ps(out + 8 * g, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8))));
        }
    }
}
#endif

static uint16_t u16(const uint8_t* p) { return (uint16_t)(p[0] | p[1] << 8); }

// Group g (32 values) of a block, decoded as Dequantize.cpp's whole-tensor decoder does
// (the same float expressions, so both give the same bits).
static void q8Group(const uint8_t* blocks, int g, float* y) {
    const uint8_t* b = blocks + (size_t)g * 34;
    float d = halfToFloat(u16(b));
    const int8_t* q = reinterpret_cast<const int8_t*>(b + 2);
    for (int i = 0; i < 32; i++) y[i] = d * q[i];
}
static void q4kGroup(const uint8_t* blocks, int g, float* y) {
    const uint8_t* blk = blocks + (size_t)(g / 8) * 144;
    int j = g % 8;
    float d = halfToFloat(u16(blk)), dmin = halfToFloat(u16(blk + 2));
    const uint8_t* s = blk + 4;
    uint8_t sc, m;
    if (j < 4) {
        sc = s[j] & 63;
        m = s[j + 4] & 63;
    } else {
        sc = (uint8_t)((s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4));
        m = (uint8_t)((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
    const uint8_t* q = blk + 16 + 32 * (j / 2);
    int shift = 4 * (j % 2);
    for (int l = 0; l < 32; l++) y[l] = d * sc * ((q[l] >> shift) & 0x0f) - dmin * m;
}
static void q6kGroup(const uint8_t* blocks, int g, float* y) {
    const uint8_t* blk = blocks + (size_t)(g / 8) * 210;
    int half = g % 8 / 4, run = g % 4;
    const uint8_t* ql = blk + 64 * half + (run % 2) * 32;
    const uint8_t* qh = blk + 128 + 32 * half;
    const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192) + 8 * half + 2 * run;
    float d = halfToFloat(u16(blk + 208));
    int lowShift = run < 2 ? 0 : 4, highShift = 2 * run;
    for (int l = 0; l < 32; l++) {
        int q = (int)(((ql[l] >> lowShift) & 0x0f) | ((qh[l] >> highShift) & 3) << 4) - 32;
        y[l] = d * sc[l / 16] * q;
    }
}

// Values [c0, c0 + n) of a row of 32-value groups.
template <typename Group> static void decodeGroups(const uint8_t* r, int c0, int n, float* out, Group group) {
    int c = c0, end = c0 + n;
    while (c < end) {
        int g = c / 32, in = c % 32, take = std::min(32 - in, end - c);
        if (take == 32) {
            group(r, g, out + (c - c0));
        } else {
            float tmp[32];
            group(r, g, tmp);
            std::memcpy(out + (c - c0), tmp + in, (size_t)take * 4);
        }
        c += take;
    }
}

void decodeRow(const WeightMatrix& w, int row, int c0, int n, float* out, bool simd) {
    const uint8_t* r = w.data + (size_t)row * w.rowBytes;
#ifndef DITTO_X86
    simd = false;
#endif
    switch (w.type) {
        case GGML_F32:
            std::memcpy(out, r + (size_t)c0 * 4, (size_t)n * 4);
            return;
        case GGML_F16: {
            const uint16_t* h = reinterpret_cast<const uint16_t*>(r) + c0;
#ifdef DITTO_X86
            if (simd) { decodeF16Fast(h, n, out); return; }
#endif
            for (int i = 0; i < n; i++) out[i] = halfToFloat(h[i]);
            return;
        }
        case GGML_BF16: {
            const uint16_t* h = reinterpret_cast<const uint16_t*>(r) + c0;
#ifdef DITTO_X86
            if (simd) { decodeBf16Fast(h, n, out); return; }
#endif
            for (int i = 0; i < n; i++) {
                uint32_t bits = (uint32_t)h[i] << 16;
                std::memcpy(out + i, &bits, 4);
            }
            return;
        }
        case GGML_Q8_0: {
#ifdef DITTO_X86
            if (simd) {  // ragged head, whole blocks, ragged tail
                int head = std::min(n, (32 - c0 % 32) % 32);
                if (head) decodeGroups(r, c0, head, out, q8Group);
                int blocks = (n - head) / 32;
                decodeQ8BlocksFast(r + (size_t)(c0 + head) / 32 * 34, blocks, out + head);
                int done = head + blocks * 32;
                if (done < n) decodeGroups(r, c0 + done, n - done, out + done, q8Group);
                return;
            }
#endif
            decodeGroups(r, c0, n, out, q8Group);
            return;
        }
        case GGML_Q4_K:
            if (simd) decodeGroups(r, c0, n, out, q4kGroupAvx2);
            else decodeGroups(r, c0, n, out, q4kGroup);
            return;
        case GGML_Q6_K:
            if (simd) decodeGroups(r, c0, n, out, q6kGroupAvx2);
            else decodeGroups(r, c0, n, out, q6kGroup);
            return;
        case GGML_Q5_K:
            if (simd) decodeGroups(r, c0, n, out, q5kGroupAvx2);
            else decodeGroups(r, c0, n, out, q5kGroup);
            return;
        case GGML_Q4_0:
            if (simd) decodeGroups(r, c0, n, out, q4_0GroupAvx2);
            else decodeGroups(r, c0, n, out, q4_0Group);
            return;
        case GGML_Q4_1:
            if (simd) decodeGroups(r, c0, n, out, q4_1GroupAvx2);
            else decodeGroups(r, c0, n, out, q4_1Group);
            return;
        case GGML_Q5_0:
            if (simd) decodeGroups(r, c0, n, out, q5_0GroupAvx2);
            else decodeGroups(r, c0, n, out, q5_0Group);
            return;
        case GGML_Q5_1:
            if (simd) decodeGroups(r, c0, n, out, q5_1GroupAvx2);
            else decodeGroups(r, c0, n, out, q5_1Group);
            return;
        default:
            throw std::runtime_error("internal: weight type " + std::to_string(w.type) + " cannot be decoded in products");
    }
}

void decodeRow(const WeightMatrix& w, int row, int c0, int n, float* out) { decodeRow(w, row, c0, n, out, activeIsa() != GemmIsa::Portable); }

}  // namespace ditto
