// Checks the block decoders against a second, element-at-a-time reading of each layout (where
// in the block every value's bits, scale and minimum live), on random bytes. The decoders are also
// checked against llama.cpp end to end: Q4_K/Q6_K by test/adapter/kQuantMerge.test.ts, the others
// on fixture models by test/engine/forwardParity.test.ts.
#include <cmath>
#include <cstring>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "../include/ditto_engine.h"
#include "Dequantize.h"
#include "Gemm.h"
#include "GemmKernels.h"
#include "GgufFile.h"

using namespace ditto;

namespace {

uint16_t smallHalf(std::mt19937& rng) {  // a positive f16 in [2^-10, 2^-3): a plausible scale
    return (uint16_t)(((5 + rng() % 7) << 10) | (rng() & 0x3ff));
}

double q4kReference(const uint8_t* b, int i) {
    float d = halfToFloat((uint16_t)(b[0] | b[1] << 8)), dmin = halfToFloat((uint16_t)(b[2] | b[3] << 8));
    const uint8_t* s = b + 4;
    const uint8_t* qs = b + 16;
    int j = i / 32, l = i % 32;
    int nibble = (j % 2 == 0) ? (qs[32 * (j / 2) + l] & 15) : (qs[32 * (j / 2) + l] >> 4);
    // 6-bit scale and min of sub-block j, spread over the 12 scale bytes
    int sc = j < 4 ? (s[j] & 63) : ((s[j + 4] & 15) | ((s[j - 4] >> 6) << 4));
    int mn = j < 4 ? (s[j + 4] & 63) : ((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    return (double)d * sc * nibble - (double)dmin * mn;
}

double q6kReference(const uint8_t* b, int i) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
    float d = halfToFloat((uint16_t)(b[208] | b[209] << 8));
    int h = i / 128, r = i % 128, quarter = r / 32, l = r % 32;
    int low = ql[64 * h + l + (quarter & 1) * 32];
    low = quarter < 2 ? (low & 15) : (low >> 4);
    int high = (qh[32 * h + l] >> (2 * quarter)) & 3;
    return (double)d * sc[8 * h + l / 16 + 2 * quarter] * ((low | high << 4) - 32);
}

double half(const uint8_t* p) { return halfToFloat((uint16_t)(p[0] | p[1] << 8)); }

// value i of a 32-value block: nibble l = i % 16 of byte l, low for i < 16; fifth bit i of the u32 at qh
int nibble32(const uint8_t* qs, int i) { return i < 16 ? (qs[i] & 15) : (qs[i - 16] >> 4); }
int bit32(const uint8_t* qh, int i) { return (qh[i / 8] >> (i % 8)) & 1; }

double q4_0Reference(const uint8_t* b, int i) { return half(b) * (nibble32(b + 2, i) - 8); }
double q4_1Reference(const uint8_t* b, int i) { return half(b) * nibble32(b + 4, i) + half(b + 2); }
double q5_0Reference(const uint8_t* b, int i) { return half(b) * ((nibble32(b + 6, i) | bit32(b + 2, i) << 4) - 16); }
double q5_1Reference(const uint8_t* b, int i) { return half(b) * (nibble32(b + 8, i) | bit32(b + 4, i) << 4) + half(b + 2); }

double q5kReference(const uint8_t* b, int i) {
    const uint8_t* s = b + 4;
    const uint8_t* qh = b + 16;
    const uint8_t* qs = b + 48;
    int j = i / 32, l = i % 32;
    int low = (j % 2 == 0) ? (qs[32 * (j / 2) + l] & 15) : (qs[32 * (j / 2) + l] >> 4);
    int high = (qh[l] >> j) & 1;
    int sc = j < 4 ? (s[j] & 63) : ((s[j + 4] & 15) | ((s[j - 4] >> 6) << 4));
    int mn = j < 4 ? (s[j + 4] & 63) : ((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    return half(b) * sc * (low | high << 4) - half(b + 2) * mn;
}

}  // namespace

extern "C" double ditto_selftest_dequant(char* report, size_t reportSize) {
    std::mt19937 rng(9);
    const int blocks = 64;
    std::string text;
    double worst = 0;
    auto run = [&](const char* name, uint32_t type, size_t blockBytes, int scaleAt, int scaleCount, double (*ref)(const uint8_t*, int)) {
        const int per = ggmlBlockValues(type);  // values per block
        std::vector<uint8_t> data(blocks * blockBytes);
        for (auto& x : data) x = (uint8_t)rng();
        for (int b = 0; b < blocks; b++)
            for (int k = 0; k < scaleCount; k++) {
                uint16_t h = smallHalf(rng);
                data[b * blockBytes + scaleAt + 2 * k] = (uint8_t)h;
                data[b * blockBytes + scaleAt + 2 * k + 1] = (uint8_t)(h >> 8);
            }
        std::vector<float> out(blocks * per);
        dequantize(type, data.data(), blocks * per, out.data(), name);
        double maxDiff = 0;
        for (int b = 0; b < blocks; b++)
            for (int i = 0; i < per; i++) {
                double r = ref(data.data() + b * blockBytes, i);
                maxDiff = std::fmax(maxDiff, std::fabs(r - out[b * per + i]) / std::fmax(1.0, std::fabs(r)));
            }
        worst = std::fmax(worst, maxDiff);
        char line[160];
        std::snprintf(line, sizeof line, "%-5s max_rel_diff %.3e over %d values\n", name, maxDiff, blocks * per);
        text += line;
        // the products' row decoder, scalar and SIMD, from every start column of a 3-block row
        // window: the same bits as the whole-tensor decoder (a SIMD decoder that rounds one value
        // differently would make training differ from the F32-expanded model)
        if (!cpuHasIsa(GemmIsa::Avx2)) {
            text += std::string(name) + " row decoder: simd skipped (no AVX2)\n";
            return;
        }
        const int rowValues = 3 * per;
        WeightMatrix w;
        w.data = data.data();
        w.type = type;
        w.rows = blocks / 3;
        w.cols = rowValues;
        w.rowBytes = 3 * blockBytes;
        int mismatches = 0;
        std::vector<float> scalar(rowValues), simd(rowValues);
        for (int row = 0; row < w.rows; row++)
            for (int c0 = 0; c0 < rowValues; c0 += 1 + (int)(rng() % 13)) {
                int n = rowValues - c0 - (int)(rng() % (rowValues - c0));
                n = n < 1 ? 1 : n;
                decodeRow(w, row, c0, n, scalar.data(), false);
                decodeRow(w, row, c0, n, simd.data(), true);
                for (int i = 0; i < n; i++) {
                    float ref = out[(size_t)row * rowValues + c0 + i];
                    if (std::memcmp(&scalar[i], &ref, 4) || std::memcmp(&simd[i], &ref, 4)) mismatches++;
                }
            }
        if (mismatches) worst = std::fmax(worst, 1.0);
        std::snprintf(line, sizeof line, "%-5s row decoder (scalar and simd) bit mismatches with the tensor decoder: %d\n", name, mismatches);
        text += line;
    };
    run("Q4_K", GGML_Q4_K, 144, 0, 2, q4kReference);
    run("Q6_K", GGML_Q6_K, 210, 208, 1, q6kReference);
    run("Q5_K", GGML_Q5_K, 176, 0, 2, q5kReference);
    run("Q4_0", GGML_Q4_0, 18, 0, 1, q4_0Reference);
    run("Q4_1", GGML_Q4_1, 20, 0, 2, q4_1Reference);
    run("Q5_0", GGML_Q5_0, 22, 0, 1, q5_0Reference);
    run("Q5_1", GGML_Q5_1, 24, 0, 2, q5_1Reference);
    if (report && reportSize) std::snprintf(report, reportSize, "%s", text.c_str());
    return worst;
}
