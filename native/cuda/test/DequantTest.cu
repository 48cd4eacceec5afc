// dequantRows / dequantGather / toBf16Weight against a host decode written from the GGML block
// layouts (block by block, as ggml's reference dequantizers walk them; the kernels decode value
// by value), on random bytes with plausible f16 scales, rows padded past their blocks.
//
// F32/F16/BF16 must match exactly (one rounding of an exact value). The block types compute
// scale products in fp32 while the reference uses doubles, so the bf16 result may differ by the
// rounding itself: at most half a bf16 ulp from the exact value, 2^-8 = 3.9e-3 relative
// (measured 3.9e-3), so 8e-3 (one ulp) is the tolerance; a wrong nibble, scale, min or block
// offset is off by far more.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../kernels/Dequant.cuh"
#include "KernelTest.h"

using namespace ditto::cuda;
using ditto::test::expectClose;
using ditto::test::failCurrentTest;

namespace {

constexpr int kRows = 7, kCols = 1280, kRowPad = 8;  // 1280: a full and a partial 1024-column chunk

double halfValue(uint16_t h) {  // IEEE binary16, subnormals included
    int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
    double v = exp == 0 ? std::ldexp((double)mant, -24) : std::ldexp(1024.0 + mant, exp - 25);
    return sign ? -v : v;
}
uint16_t le16(const uint8_t* p) { return (uint16_t)(p[0] | p[1] << 8); }

// Decodes one row of `cols` values into out (doubles), block by block.
void referenceRow(uint32_t type, const uint8_t* row, int cols, double* out) {
    switch (type) {
        case 0:
            for (int i = 0; i < cols; i++) { float f; std::memcpy(&f, row + 4 * i, 4); out[i] = f; }
            return;
        case 1:
            for (int i = 0; i < cols; i++) out[i] = halfValue(le16(row + 2 * i));
            return;
        case 30:
            for (int i = 0; i < cols; i++) { uint32_t b = (uint32_t)le16(row + 2 * i) << 16; float f; std::memcpy(&f, &b, 4); out[i] = f; }
            return;
        case 8:
            for (int b = 0; b < cols / 32; b++) {
                const uint8_t* blk = row + 34 * b;
                for (int i = 0; i < 32; i++) out[32 * b + i] = halfValue(le16(blk)) * (int8_t)blk[2 + i];
            }
            return;
        case 12:
            for (int b = 0; b < cols / 256; b++) {
                const uint8_t* blk = row + 144 * b;
                const uint8_t* s = blk + 4;
                int sc[8], mn[8];
                for (int j = 0; j < 4; j++) {
                    sc[j] = s[j] & 63;
                    mn[j] = s[j + 4] & 63;
                    sc[j + 4] = (s[j + 8] & 15) | (s[j] >> 6) << 4;
                    mn[j + 4] = (s[j + 8] >> 4) | (s[j + 4] >> 6) << 4;
                }
                double d = halfValue(le16(blk)), dmin = halfValue(le16(blk + 2));
                for (int pair = 0; pair < 4; pair++)
                    for (int l = 0; l < 32; l++) {
                        uint8_t q = blk[16 + 32 * pair + l];
                        out[256 * b + 64 * pair + l] = d * sc[2 * pair] * (q & 15) - dmin * mn[2 * pair];
                        out[256 * b + 64 * pair + 32 + l] = d * sc[2 * pair + 1] * (q >> 4) - dmin * mn[2 * pair + 1];
                    }
            }
            return;
        case 14:
            for (int b = 0; b < cols / 256; b++) {
                const uint8_t* blk = row + 210 * b;
                double d = halfValue(le16(blk + 208));
                for (int half = 0; half < 2; half++) {
                    const uint8_t* ql = blk + 64 * half;
                    const uint8_t* qh = blk + 128 + 32 * half;
                    const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192 + 8 * half);
                    double* y = out + 256 * b + 128 * half;
                    for (int l = 0; l < 32; l++) {
                        int is = l / 16;
                        y[l] = d * sc[is] * ((int)((ql[l] & 15) | ((qh[l] >> 0) & 3) << 4) - 32);
                        y[l + 32] = d * sc[is + 2] * ((int)((ql[l + 32] & 15) | ((qh[l] >> 2) & 3) << 4) - 32);
                        y[l + 64] = d * sc[is + 4] * ((int)((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32);
                        y[l + 96] = d * sc[is + 6] * ((int)((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32);
                    }
                }
            }
            return;
        case 13:
            for (int b = 0; b < cols / 256; b++) {
                const uint8_t* blk = row + 176 * b;
                const uint8_t* s = blk + 4;
                int sc[8], mn[8];
                for (int j = 0; j < 4; j++) {
                    sc[j] = s[j] & 63;
                    mn[j] = s[j + 4] & 63;
                    sc[j + 4] = (s[j + 8] & 15) | (s[j] >> 6) << 4;
                    mn[j + 4] = (s[j + 8] >> 4) | (s[j + 4] >> 6) << 4;
                }
                double d = halfValue(le16(blk)), dmin = halfValue(le16(blk + 2));
                const uint8_t* qh = blk + 16;
                for (int pair = 0; pair < 4; pair++)
                    for (int l = 0; l < 32; l++) {
                        uint8_t q = blk[48 + 32 * pair + l];
                        int lo = (q & 15) | ((qh[l] >> (2 * pair)) & 1) << 4, hi = (q >> 4) | ((qh[l] >> (2 * pair + 1)) & 1) << 4;
                        out[256 * b + 64 * pair + l] = d * sc[2 * pair] * lo - dmin * mn[2 * pair];
                        out[256 * b + 64 * pair + 32 + l] = d * sc[2 * pair + 1] * hi - dmin * mn[2 * pair + 1];
                    }
            }
            return;
        case 2: case 3: case 6: case 7: {
            // 32-value blocks: f16 d, f16 min (Q4_1, Q5_1), u32 of fifth bits (Q5_0, Q5_1), 16 nibble bytes
            bool withMin = type == 3 || type == 7, five = type == 6 || type == 7;
            int bytes = 18 + (withMin ? 2 : 0) + (five ? 4 : 0);
            for (int b = 0; b < cols / 32; b++) {
                const uint8_t* blk = row + bytes * b;
                uint32_t qh = five ? (uint32_t)blk[bytes - 20] | (uint32_t)blk[bytes - 19] << 8 | (uint32_t)blk[bytes - 18] << 16 | (uint32_t)blk[bytes - 17] << 24 : 0;
                const uint8_t* qs = blk + bytes - 16;
                double d = halfValue(le16(blk)), m = withMin ? halfValue(le16(blk + 2)) : 0;
                for (int l = 0; l < 16; l++) {
                    int q0 = (qs[l] & 15) | ((qh >> l) & 1) << 4, q1 = (qs[l] >> 4) | ((qh >> (l + 16)) & 1) << 4;
                    int zero = withMin ? 0 : five ? 16 : 8;
                    out[32 * b + l] = d * (q0 - zero) + m;
                    out[32 * b + l + 16] = d * (q1 - zero) + m;
                }
            }
            return;
        }
    }
}

uint16_t scaleHalf(std::mt19937& rng) { return (uint16_t)(((5 + rng() % 7) << 10) | (rng() & 0x3ff)); }  // [2^-10, 2^-3)

void putHalf(uint8_t* p, uint16_t h) { p[0] = (uint8_t)h; p[1] = (uint8_t)(h >> 8); }

// Random rows of a type: random bytes, then every scale field set to a plausible f16 and every
// F16/BF16/F32 value made finite.
std::vector<uint8_t> randomWeight(uint32_t type, size_t rowBytes, std::mt19937& rng) {
    std::vector<uint8_t> w(rowBytes * kRows);
    for (auto& x : w) x = (uint8_t)rng();
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (int r = 0; r < kRows; r++) {
        uint8_t* row = w.data() + r * rowBytes;
        for (int i = 0; i < kCols; i++) {
            if (type == 0) { float f = normal(rng); std::memcpy(row + 4 * i, &f, 4); }
            if (type == 1 && ((row[2 * i + 1] >> 2) & 31) == 31) row[2 * i + 1] ^= 0x40;  // no inf/NaN; subnormals stay
            if (type == 30 && ((le16(row + 2 * i) >> 7) & 0xff) == 0xff) row[2 * i + 1] ^= 0x40;
        }
        if (type == 8) for (int b = 0; b < kCols / 32; b++) putHalf(row + 34 * b, scaleHalf(rng));
        if (type == 12) for (int b = 0; b < kCols / 256; b++) { putHalf(row + 144 * b, scaleHalf(rng)); putHalf(row + 144 * b + 2, scaleHalf(rng)); }
        if (type == 14) for (int b = 0; b < kCols / 256; b++) putHalf(row + 210 * b + 208, scaleHalf(rng));
        if (type == 13) for (int b = 0; b < kCols / 256; b++) { putHalf(row + 176 * b, scaleHalf(rng)); putHalf(row + 176 * b + 2, scaleHalf(rng)); }
        const int blockBytes32 = type == 2 ? 18 : type == 3 ? 20 : type == 6 ? 22 : type == 7 ? 24 : 0;
        if (blockBytes32)
            for (int b = 0; b < kCols / 32; b++) {
                putHalf(row + blockBytes32 * b, scaleHalf(rng));
                if (type == 3 || type == 7) putHalf(row + blockBytes32 * b + 2, scaleHalf(rng) | 0x8000);  // a negative min
            }
    }
    return w;
}

struct TypeCase { uint32_t type; const char* name; size_t blockBytes; int blockValues; bool exact; };

void checkType(const TypeCase& t, uint32_t seed) {
    std::mt19937 rng(seed);
    size_t rowBytes = (size_t)kCols / t.blockValues * t.blockBytes + kRowPad;
    std::vector<uint8_t> host = randomWeight(t.type, rowBytes, rng);
    std::vector<double> ref((size_t)kRows * kCols);
    for (int r = 0; r < kRows; r++) referenceRow(t.type, host.data() + r * rowBytes, kCols, ref.data() + (size_t)r * kCols);
    const double tol = t.exact ? 0.0 : 8e-3;

    uint8_t* dData = nullptr;
    bf16* dOut = nullptr;
    int32_t* dRows = nullptr;
    const int gather[5] = {6, 0, 3, 3, 1};
    cudaMalloc(&dData, host.size());
    cudaMalloc(&dOut, sizeof(bf16) * kCols * kRows);
    cudaMalloc(&dRows, sizeof gather);
    cudaMemcpy(dData, host.data(), host.size(), cudaMemcpyHostToDevice);
    cudaMemcpy(dRows, gather, sizeof gather, cudaMemcpyHostToDevice);
    DeviceWeight w{dData, t.type, kRows, kCols, rowBytes};

    auto compare = [&](const std::string& what, const std::vector<bf16>& got, const std::vector<int>& rows) {
        std::vector<float> g(got.size()), want(got.size());
        for (size_t i = 0; i < got.size(); i++) {
            g[i] = toFloat(got[i]);
            double v = ref[(size_t)rows[i / kCols] * kCols + i % kCols];
            want[i] = t.exact ? toFloat(toBf16((float)v)) : (float)v;
        }
        return expectClose((std::string(t.name) + " " + what).c_str(), g, want, tol);
    };
    auto fetch = [&](int n) {
        std::vector<bf16> got((size_t)n * kCols);
        cudaError_t e = cudaDeviceSynchronize();
        if (e != cudaSuccess) failCurrentTest(cudaGetErrorString(e));
        cudaMemcpy(got.data(), dOut, got.size() * sizeof(bf16), cudaMemcpyDeviceToHost);
        return got;
    };
    try {
        dequantRows(0, dOut, w, 2, 4);
        compare("rows 2..5", fetch(4), {2, 3, 4, 5});
        dequantGather(0, dOut, w, dRows, 5);
        compare("gather 6,0,3,3,1", fetch(5), {6, 0, 3, 3, 1});
        std::vector<bf16> hostOut((size_t)kRows * kCols);
        toBf16Weight(host.data(), t.type, kRows, kCols, rowBytes, hostOut.data());
        compare("toBf16Weight", hostOut, {0, 1, 2, 3, 4, 5, 6});
    } catch (const std::exception& e) {
        failCurrentTest((std::string(t.name) + ": " + e.what()).c_str());
    }
    cudaFree(dData);
    cudaFree(dOut);
    cudaFree(dRows);
}

const TypeCase kTypes[] = {{0, "F32", 4, 1, true},     {1, "F16", 2, 1, true},      {30, "BF16", 2, 1, true},
                           {8, "Q8_0", 34, 32, false}, {12, "Q4_K", 144, 256, false}, {14, "Q6_K", 210, 256, false},
                           {13, "Q5_K", 176, 256, false}, {2, "Q4_0", 18, 32, false},  {3, "Q4_1", 20, 32, false},
                           {6, "Q5_0", 22, 32, false},    {7, "Q5_1", 24, 32, false}};

}  // namespace

KERNEL_TEST(dequant_types) {
    uint32_t seed = 11;
    for (const TypeCase& t : kTypes) checkType(t, seed++);
}

KERNEL_TEST(dequant_rejects) {
    // An unsupported type (Q2_K, 10) and rows that do not fill whole blocks are errors, not garbage.
    bf16 out[256];
    uint8_t data[512] = {};
    const DeviceWeight bad[] = {{data, 10, 1, 256, 84}, {data, 12, 1, 200, 144}, {data, 8, 1, 64, 34}, {data, 13, 1, 200, 176}};
    for (const DeviceWeight& w : bad) {
        bool threw = false;
        try {
            toBf16Weight(w.data, w.type, w.rows, w.cols, w.rowBytes, out);
        } catch (const std::exception& e) {
            threw = true;
            std::printf("  rejected: %s\n", e.what());
        }
        if (!threw) failCurrentTest("an invalid weight was accepted");
    }
}
