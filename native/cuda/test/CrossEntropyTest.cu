// The chunked cross-entropy pieces (CrossEntropy.cuh) driven as the engine drives them, chunk by
// chunk over a vocabulary whose last chunk is partial, against a full softmax over all logits in
// double. The engine's product dxn += p E_c is done here on the host in double from the kernel's
// bf16 p; everything else runs on the device.
//
// Tolerances from the measured errors. loss: fp32 throughout; relative with a floor of 0.1 nats
// (a confident target's loss of 1e-3 carries the fp32 sum's 1e-7 absolute), measured <= 3.5e-6,
// so 1e-5. dxn: every non-target term carries p rounded to bf16 (2^-8 relative each, adding up
// over the vocabulary to ~1e-4 absolute), relative with a floor of 1e-2 of the largest value,
// measured <= 1.4e-2, so 4e-2 (a lost rescale or a wrong chunk offset is off by O(1)).
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "../kernels/CrossEntropy.cuh"
#include "KernelTest.h"

using namespace ditto::cuda;
using ditto::test::expectClose;
using ditto::test::failCurrentTest;

namespace {

constexpr double kTolLoss = 1e-5, kLossFloor = 0.1, kTolGrad = 4e-2, kGradFloor = 1e-2;

template <typename T> T* upload(const std::vector<T>& h) {
    T* d = nullptr;
    cudaMalloc((void**)&d, h.size() * sizeof(T) + 16);
    cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice);
    return d;
}
template <typename T> std::vector<T> download(const T* d, size_t n) {
    cudaDeviceSynchronize();
    std::vector<T> h(n);
    cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost);
    return h;
}

// Nt rows, width C, vocabulary V in chunks of `chunk`; targets spread over all chunks, the last
// partial one included. withGrad false runs the loss-only path (p and dxn null).
void ceCase(int Nt, int C, int V, int chunk, bool withGrad, float boost, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
    std::vector<bf16> E((size_t)V * C);
    for (auto& e : E) e = toBf16(uni(rng));
    std::vector<float> logits((size_t)Nt * V);
    for (auto& l : logits) l = 4.0f * uni(rng);
    std::vector<int32_t> targets(Nt);
    for (int i = 0; i < Nt; i++) targets[i] = i % 3 == 0 ? V - 1 - i : (int32_t)(rng() % V);  // some in the last chunk
    for (int i = 0; i < Nt; i++) logits[(size_t)i * V + targets[i]] += boost;  // how confident the "model" is

    // reference: full softmax in double
    std::vector<float> wantLoss(Nt), wantDx((size_t)Nt * C);
    for (int i = 0; i < Nt; i++) {
        const float* row = &logits[(size_t)i * V];
        double m = row[0];
        for (int v = 1; v < V; v++) m = std::max(m, (double)row[v]);
        double s = 0;
        for (int v = 0; v < V; v++) s += std::exp(row[v] - m);
        wantLoss[i] = (float)(m + std::log(s) - row[targets[i]]);
        for (int c = 0; c < C; c++) {
            double acc = 0;
            for (int v = 0; v < V; v++) acc += std::exp(row[v] - m) / s * toFloat(E[(size_t)v * C + c]);
            wantDx[(size_t)i * C + c] = (float)(acc - toFloat(E[(size_t)targets[i] * C + c]));
        }
    }

    std::vector<float> m0(Nt, -INFINITY), z(Nt, 0.0f), dx0((size_t)Nt * C, 0.0f);
    float *dm = upload(m0), *ds = upload(z), *dtl = upload(z), *dres = upload(z), *ddx = upload(dx0);
    int32_t* dtgt = upload(targets);
    float* dlog = nullptr;
    bf16* dp = nullptr;
    cudaMalloc((void**)&dlog, (size_t)Nt * chunk * sizeof(float));
    cudaMalloc((void**)&dp, (size_t)Nt * chunk * sizeof(bf16));
    for (int v0 = 0; v0 < V; v0 += chunk) {
        int vc = std::min(chunk, V - v0);
        std::vector<float> lc((size_t)Nt * vc);  // the chunk's logits, (Nt, vc) contiguous as gemm writes them
        for (int i = 0; i < Nt; i++)
            for (int j = 0; j < vc; j++) lc[(size_t)i * vc + j] = logits[(size_t)i * V + v0 + j];
        cudaMemcpy(dlog, lc.data(), lc.size() * sizeof(float), cudaMemcpyHostToDevice);
        ceChunkUpdate(nullptr, withGrad ? dp : nullptr, dlog, dm, ds, dtl, dres, dtgt, v0, Nt, vc);
        if (!withGrad) continue;
        ceRescaleRows(nullptr, ddx, dres, Nt, C);
        // the engine's second product, dxn += p E_c, here on the host
        std::vector<bf16> p = download(dp, (size_t)Nt * vc);
        std::vector<float> dx = download(ddx, (size_t)Nt * C);
        for (int i = 0; i < Nt; i++)
            for (int c = 0; c < C; c++) {
                double acc = dx[(size_t)i * C + c];
                for (int j = 0; j < vc; j++) acc += (double)toFloat(p[(size_t)i * vc + j]) * toFloat(E[(size_t)(v0 + j) * C + c]);
                dx[(size_t)i * C + c] = (float)acc;
            }
        cudaMemcpy(ddx, dx.data(), dx.size() * sizeof(float), cudaMemcpyHostToDevice);
    }
    std::vector<bf16> trows((size_t)Nt * C);
    for (int i = 0; i < Nt; i++)
        for (int c = 0; c < C; c++) trows[(size_t)i * C + c] = E[(size_t)targets[i] * C + c];
    bf16* dtr = upload(trows);
    float* dloss = upload(z);
    ceFinish(nullptr, dloss, withGrad ? ddx : nullptr, dm, ds, dtl, Nt, C, withGrad ? dtr : nullptr);
    char what[100];
    std::snprintf(what, sizeof what, "loss Nt=%d C=%d V=%d chunk=%d boost=%g%s", Nt, C, V, chunk, boost, withGrad ? "" : " (loss only)");
    expectClose(what, download(dloss, Nt), wantLoss, kTolLoss, kLossFloor);
    if (withGrad) {
        std::snprintf(what, sizeof what, "dxn Nt=%d C=%d V=%d chunk=%d boost=%g", Nt, C, V, chunk, boost);
        std::vector<float> got = download(ddx, (size_t)Nt * C);
        double maxRef = 0;
        for (float x : wantDx) maxRef = std::max(maxRef, (double)std::fabs(x));
        expectClose(what, got, wantDx, kTolGrad, kGradFloor * maxRef);
    }
    for (void* p : {(void*)dm, (void*)ds, (void*)dtl, (void*)dres, (void*)ddx, (void*)dtgt, (void*)dlog, (void*)dp, (void*)dtr, (void*)dloss}) cudaFree(p);
}

KERNEL_TEST(cross_entropy) {
    ceCase(7, 64, 2500, 1024, true, 3, 61);    // chunks 1024, 1024, 452 (vector, vector, scalar paths)
    ceCase(7, 64, 2500, 1024, true, 16, 62);   // confident targets: softmax p_t > 0.99
    ceCase(5, 96, 1000, 1000, true, 8, 63);    // a single chunk
    ceCase(4, 40, 777, 256, true, 3, 64);      // C not a multiple of 8: scalar rescale and finish
    ceCase(6, 64, 2500, 1024, false, 3, 65);   // loss only
}

}  // namespace
