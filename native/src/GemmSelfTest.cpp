// Checks the float matrix products against plain double loops on the same values, over shapes
// chosen to take every path of Gemm.cpp: serial and split across threads, A packed per thread /
// packed once for all threads / read in place, B packed or read in place, the transposed-A swap
// of thin products, ragged edges; and weight products on every encoding the engine reads (F32,
// F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K) with either orientation, including
// column ranges that start and end inside a block. Every kernel the CPU supports runs (portable,
// avx2, avx512f, and the bf16 weight products on avx512bf16); the report names those skipped.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../include/ditto_engine.h"
#include "Dequantize.h"
#include "Gemm.h"
#include "GemmBf16.h"
#include "GemmKernels.h"
#include "GgufFile.h"

using namespace ditto;

namespace {

// largest |got - ref| relative to the largest |ref| (products of random values in [-1, 1])
double relDiff(const std::vector<float>& got, const std::vector<double>& ref) {
    double md = 0, mr = 1e-30;
    for (size_t i = 0; i < ref.size(); i++) {
        md = std::fmax(md, std::fabs(got[i] - ref[i]));
        mr = std::fmax(mr, std::fabs(ref[i]));
    }
    return md / mr;
}

uint16_t toHalfBits(float f) {  // round-to-nearest f32 -> f16 for values of moderate range
    uint32_t x;
    std::memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int exp = (int)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffff;
    if (exp <= 0) return (uint16_t)sign;
    uint32_t h = sign | (uint32_t)exp << 10 | mant >> 13;
    if (mant & 0x1000) h++;
    return (uint16_t)h;
}

}  // namespace

// One pass over every path; `label` names the mode in the report lines.
static double checkProducts(ThreadPool* pool, const char* label, std::string& text) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1, 1);
    double worst = 0;
    char line[200];

    // {512, 24, 100}: a thin product wider than one 16-column sliver (the 12x32 tile's C^T path)
    const int shapes[][3] = {{37, 53, 300}, {512, 16, 200}, {512, 24, 100}, {16, 300, 512}, {300, 16, 512}, {100, 300, 600}, {130, 700, 300}, {7, 3, 5}};
    double worstPlain = 0;
    for (auto& s : shapes)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int M = s[0], N = s[1], K = s[2];
                std::vector<float> A((size_t)M * K), B((size_t)K * N), C((size_t)M * N);
                for (auto& x : A) x = u(rng);
                for (auto& x : B) x = u(rng);
                for (auto& x : C) x = u(rng);
                std::vector<double> Ad(A.begin(), A.end()), Bd(B.begin(), B.end()), Cd(C.begin(), C.end());
                int lda = ta ? M : K, ldb = tb ? K : N;
                gemm(pool, ta, tb, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, 0.75f, C.data(), N);
                gemm(nullptr, ta, tb, M, N, K, 0.5, Ad.data(), lda, Bd.data(), ldb, 0.75, Cd.data(), N);
                worstPlain = std::fmax(worstPlain, relDiff(C, Cd));
            }
    std::snprintf(line, sizeof line, "%s: float products, %d shapes x 4 transposes: max_rel_diff %.3e\n", label, (int)(sizeof shapes / sizeof shapes[0]), worstPlain);
    text += line;
    worst = std::fmax(worst, worstPlain);

    // weight products: W [rows x cols] in each encoding; y = x W^T and dx = dy W on a column range
    struct Enc { const char* name; uint32_t type; };
    const Enc encs[] = {{"F32", GGML_F32}, {"F16", GGML_F16}, {"BF16", GGML_BF16}, {"Q8_0", GGML_Q8_0}, {"Q4_K", GGML_Q4_K}, {"Q6_K", GGML_Q6_K},
                        {"Q5_K", GGML_Q5_K}, {"Q4_0", GGML_Q4_0}, {"Q4_1", GGML_Q4_1}, {"Q5_0", GGML_Q5_0}, {"Q5_1", GGML_Q5_1}};
    const int rows = 200, cols = 512, T = 70;
    for (const Enc& e : encs) {
        std::vector<uint8_t> data;
        std::vector<double> wref((size_t)rows * cols);  // the values the encoding holds
        size_t rowBytes = tensorBytes(e.type, cols);
        data.resize(rowBytes * rows);
        const bool randomBlocks = e.type != GGML_F32 && e.type != GGML_F16 && e.type != GGML_BF16 && e.type != GGML_Q8_0;
        if (randomBlocks) {
            // any bytes are a valid block; only the f16 scales (and mins) are set, to keep values
            // near [-1, 1]. Reference: the whole-tensor decoder of Dequantize.cpp.
            for (auto& b : data) b = (uint8_t)rng();
            const int per = ggmlBlockValues(e.type);
            const bool superBlock = per == 256, withMin = e.type != GGML_Q6_K && e.type != GGML_Q4_0 && e.type != GGML_Q5_0;
            size_t blockBytes = tensorBytes(e.type, per);
            for (size_t at = 0; at < data.size(); at += blockBytes) {
                uint16_t d = toHalfBits(e.type == GGML_Q6_K ? 0.0003f : superBlock ? 0.001f : 0.05f);
                size_t dAt = e.type == GGML_Q6_K ? at + 208 : at;
                data[dAt] = (uint8_t)d;
                data[dAt + 1] = (uint8_t)(d >> 8);
                if (withMin) {
                    uint16_t m = superBlock ? d : toHalfBits(-0.4f);
                    data[at + 2] = (uint8_t)m;
                    data[at + 3] = (uint8_t)(m >> 8);
                }
            }
            std::vector<float> all((size_t)rows * cols);
            dequantize(e.type, data.data(), (int64_t)rows * cols, all.data(), e.name);
            wref.assign(all.begin(), all.end());
        }
        for (int r = 0; r < rows && !randomBlocks; r++) {
            uint8_t* row = data.data() + r * rowBytes;
            for (int c = 0; c < cols; c++) {
                float v = u(rng);
                if (e.type == GGML_F32) {
                    std::memcpy(row + c * 4, &v, 4);
                    wref[(size_t)r * cols + c] = v;
                } else if (e.type == GGML_F16) {
                    uint16_t h = toHalfBits(v);
                    std::memcpy(row + c * 2, &h, 2);
                    wref[(size_t)r * cols + c] = halfToFloat(h);
                } else if (e.type == GGML_BF16) {
                    uint32_t bits;
                    std::memcpy(&bits, &v, 4);
                    uint16_t h = (uint16_t)(bits >> 16);
                    std::memcpy(row + c * 2, &h, 2);
                    uint32_t back = (uint32_t)h << 16;
                    float f;
                    std::memcpy(&f, &back, 4);
                    wref[(size_t)r * cols + c] = f;
                } else {
                    uint8_t* blk = row + (c / 32) * 34;
                    if (c % 32 == 0) {
                        uint16_t h = toHalfBits(0.01f + 0.002f * (float)(rng() % 8));
                        blk[0] = (uint8_t)h;
                        blk[1] = (uint8_t)(h >> 8);
                    }
                    int8_t q = (int8_t)((int)(rng() % 255) - 127);
                    blk[2 + c % 32] = (uint8_t)q;
                    wref[(size_t)r * cols + c] = halfToFloat((uint16_t)(blk[0] | blk[1] << 8)) * q;
                }
            }
        }
        WeightMatrix w{data.data(), e.type, rows, cols, rowBytes};
        double worstEnc = 0;
        // forward: y (T, rows) = x (T, cols) W^T
        {
            std::vector<float> x((size_t)T * cols), y((size_t)T * rows, 0.0f);
            for (auto& v : x) v = u(rng);
            std::vector<double> yd((size_t)T * rows, 0.0);
            gemmWeight(pool, true, T, rows, cols, 1.0f, x.data(), cols, w, 0.0f, y.data(), rows);
            for (int i = 0; i < T; i++)
                for (int j = 0; j < rows; j++) {
                    double s = 0;
                    for (int p = 0; p < cols; p++) s += (double)x[(size_t)i * cols + p] * wref[(size_t)j * cols + p];
                    yd[(size_t)i * rows + j] = s;
                }
            worstEnc = std::fmax(worstEnc, relDiff(y, yd));
        }
        // input gradient: dx (T, cols) += dy (T, rows) W, on the whole matrix and on a view of rows
        for (int view = 0; view < 2; view++) {
            int r0 = view ? 40 : 0, nr = view ? 120 : rows;
            WeightMatrix wv = w.rowsView(r0, nr);
            std::vector<float> dy((size_t)T * nr), dx((size_t)T * cols);
            for (auto& v : dy) v = u(rng);
            for (auto& v : dx) v = u(rng);
            std::vector<double> dxd(dx.begin(), dx.end());
            gemmWeight(pool, false, T, cols, nr, 1.0f, dy.data(), nr, wv, 1.0f, dx.data(), cols);
            for (int i = 0; i < T; i++)
                for (int c = 0; c < cols; c++) {
                    double s = 0;
                    for (int p = 0; p < nr; p++) s += (double)dy[(size_t)i * nr + p] * wref[(size_t)(r0 + p) * cols + c];
                    dxd[(size_t)i * cols + c] += s;
                }
            worstEnc = std::fmax(worstEnc, relDiff(dx, dxd));
        }
        // a row range starting and ending inside blocks, as column splits and embeddings decode
        {
            const int c0 = 16, n = cols - 24;
            std::vector<float> out(n);
            decodeRow(w, 3, c0, n, out.data());
            double md = 0;
            for (int c = c0; c < c0 + n; c++) md = std::fmax(md, std::fabs(out[c - c0] - wref[(size_t)3 * cols + c]));
            worstEnc = std::fmax(worstEnc, md);
        }
        std::snprintf(line, sizeof line, "%s: weight products %-5s (y = x W^T, dx += dy W, offset rows): max_rel_diff %.3e\n", label, e.name, worstEnc);
        text += line;
        worst = std::fmax(worst, worstEnc);
    }
    return worst;
}

// The bf16 weight products (F16 and BF16 weights, activations rounded to bf16) against double
// loops twice: on the bf16-rounded operands, where only the fp32 accumulation differs (this is
// what the returned worst holds), and on the fp32 operands, which shows the rounding itself.
// An odd width (509) and an odd row view (119) pad the last k pair; 70 rows and 200 or 40 columns
// take edge tiles and both thread splits (columns, and rows when columns are few).
static double checkBf16Products(ThreadPool* pool, const char* label, std::string& text) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1, 1);
    const int rows = 200, cols = 509, T = 70;
    double worst = 0;
    char line[260];
    for (uint32_t type : {GGML_F16, GGML_BF16}) {
        size_t rowBytes = tensorBytes(type, cols);
        std::vector<uint8_t> data(rowBytes * rows);
        std::vector<double> wExact((size_t)rows * cols), wRounded((size_t)rows * cols);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                float v = u(rng);
                uint16_t h;
                if (type == GGML_F16) {
                    h = toHalfBits(v);
                    v = halfToFloat(h);
                } else {
                    v = roundToBf16(v);
                    uint32_t bits;
                    std::memcpy(&bits, &v, 4);
                    h = (uint16_t)(bits >> 16);
                }
                std::memcpy(data.data() + r * rowBytes + c * 2, &h, 2);
                wExact[(size_t)r * cols + c] = v;
                wRounded[(size_t)r * cols + c] = roundToBf16(v);
            }
        WeightMatrix w{data.data(), type, rows, cols, rowBytes};
        w.bf16 = true;
        double worstRounded = 0, worstExact = 0;
        auto compare = [&](const std::vector<float>& got, const std::vector<double>& refRounded, const std::vector<double>& refExact) {
            worstRounded = std::fmax(worstRounded, relDiff(got, refRounded));
            worstExact = std::fmax(worstExact, relDiff(got, refExact));
        };
        // y (T, n) = x (T, cols) W[r0 .. r0 + n)^T: all rows (split by columns), 40 rows (split by rows)
        for (int n : {rows, 40}) {
            const int r0 = rows - n;
            std::vector<float> x((size_t)T * cols), y((size_t)T * n);
            for (auto& v : x) v = u(rng);
            std::vector<double> yr((size_t)T * n), ye((size_t)T * n);
            gemmWeight(pool, true, T, n, cols, 1.0f, x.data(), cols, w.rowsView(r0, n), 0.0f, y.data(), n);
            for (int i = 0; i < T; i++)
                for (int j = 0; j < n; j++) {
                    double sr = 0, se = 0;
                    for (int p = 0; p < cols; p++) {
                        float xv = x[(size_t)i * cols + p];
                        sr += (double)roundToBf16(xv) * wRounded[(size_t)(r0 + j) * cols + p];
                        se += (double)xv * wExact[(size_t)(r0 + j) * cols + p];
                    }
                    yr[(size_t)i * n + j] = sr;
                    ye[(size_t)i * n + j] = se;
                }
            compare(y, yr, ye);
        }
        // dx (T, cols) = 0.5 dx + dy (T, 119) W[40 .. 159)
        {
            const int r0 = 40, nr = 119;
            std::vector<float> dy((size_t)T * nr), dx((size_t)T * cols);
            for (auto& v : dy) v = u(rng);
            for (auto& v : dx) v = u(rng);
            std::vector<double> dr((size_t)T * cols), de((size_t)T * cols);
            for (size_t i = 0; i < dx.size(); i++) dr[i] = de[i] = 0.5 * dx[i];
            gemmWeight(pool, false, T, cols, nr, 1.0f, dy.data(), nr, w.rowsView(r0, nr), 0.5f, dx.data(), cols);
            for (int i = 0; i < T; i++)
                for (int c = 0; c < cols; c++)
                    for (int p = 0; p < nr; p++) {
                        float g = dy[(size_t)i * nr + p];
                        dr[(size_t)i * cols + c] += (double)roundToBf16(g) * wRounded[(size_t)(r0 + p) * cols + c];
                        de[(size_t)i * cols + c] += (double)g * wExact[(size_t)(r0 + p) * cols + c];
                    }
            compare(dx, dr, de);
        }
        std::snprintf(line, sizeof line, "%s: weight products %-5s (y = x W^T, dx += dy W, offset rows): max_rel_diff %.3e vs bf16-rounded operands, %.3e vs fp32 operands\n",
                      label, type == GGML_F16 ? "F16" : "BF16", worstRounded, worstExact);
        text += line;
        worst = std::fmax(worst, worstRounded);
    }
    return worst;
}

extern "C" double ditto_selftest_gemm(char* report, size_t reportSize) {
    std::string text;
    ThreadPool pool(2);
    double worst = 0;
    std::string skipped;
    // small blocks: several k, m and n blocks per product, A prepacked in several blocks
    const GemmBlocking smallBlocks{64, 24, 64};
    for (GemmIsa isa : {GemmIsa::Avx512, GemmIsa::Avx2, GemmIsa::Portable}) {
        if (!cpuHasIsa(isa)) {
            skipped += std::string(skipped.empty() ? "" : ", ") + isaName(isa);
            continue;
        }
        const GemmBlocking& b = gemmBlocking(isa);
        std::string label = std::string(isaName(isa)) + " (kc " + std::to_string(b.kc) + ", mc " + std::to_string(b.mc) + ", nc " +
                            std::to_string(b.nc) + "), 2 threads";
        setThreadIsa(isa);  // the products started here, and their workers, use this kernel
        worst = std::fmax(worst, checkProducts(&pool, label.c_str(), text));
        setThreadBlocking(&smallBlocks);
        label = std::string(isaName(isa)) + " (kc 64, mc 24, nc 64), 2 threads";
        worst = std::fmax(worst, checkProducts(&pool, label.c_str(), text));
        setThreadBlocking(nullptr);
        clearThreadIsa();
    }
    if (cpuHasBf16()) {
        for (const GemmBlocking* blocks : {(const GemmBlocking*)nullptr, &smallBlocks}) {
            setThreadBlocking(blocks);
            const GemmBlocking& b = activeBlocking(GemmIsa::Avx512);
            std::string label = "avx512bf16 (kc " + std::to_string(b.kc * 2 / 32 * 32) + ", mc " + std::to_string(b.mc) + ", nc " + std::to_string(b.nc) +
                                "), 2 threads";
            worst = std::fmax(worst, checkBf16Products(&pool, label.c_str(), text));
            setThreadBlocking(nullptr);
        }
    } else {
        skipped += std::string(skipped.empty() ? "" : ", ") + "avx512bf16";
    }
    text += std::string("kernels skipped (this CPU lacks them): ") + (skipped.empty() ? "none" : skipped) + "\n";
    text += std::string("training uses: ") + gemmKernelName() + "\n";
    if (report && reportSize) std::snprintf(report, reportSize, "%s", text.c_str());
    return worst;
}
