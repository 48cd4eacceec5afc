// AdamW.cuh against a copy of native/src/Engine.cpp optimizerStep's loop, several steps on fresh
// gradients with clipping on some steps: the norm to double rounding (the sum order differs,
// measured <= 1e-15 relative, tolerance 1e-13) and weights, moments and zeroed gradients bit for
// bit (the kernel rounds every product as the CPU does). sumOfSquares must give the same bits on
// every run.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "../kernels/AdamW.cuh"
#include "KernelTest.h"

using namespace ditto::cuda;
using ditto::test::expectClose;
using ditto::test::failCurrentTest;

namespace {

constexpr double kTolNorm = 1e-13;

// The fields of the engine's AdamWSettings (native/src/Engine.h).
struct Settings { float lr, beta1, beta2, eps, weightDecay, clip, gradScale; };

// Engine::optimizerStep on host vectors (the part after the norm, verbatim in its arithmetic).
void hostStep(std::vector<float>& weights, std::vector<float>& grads, std::vector<float>& adamM, std::vector<float>& adamV, const Settings& s,
              double norm, int64_t step) {
    int64_t n = (int64_t)weights.size();
    double inv = 1.0 / s.gradScale;
    double clipScale = (s.clip > 0 && norm > s.clip) ? s.clip / (norm + 1e-6) : 1.0;
    double bc1 = 1 - std::pow((double)s.beta1, (double)step), bc2 = 1 - std::pow((double)s.beta2, (double)step);
    float gmul = (float)(inv * clipScale);
    float decay = 1.0f - s.lr * s.weightDecay;
    float stepSize = (float)(s.lr / bc1);
    float bc2sqrt = (float)std::sqrt(bc2);
    for (int64_t i = 0; i < n; i++) {
        float g = grads[i] * gmul;
        adamM[i] = s.beta1 * adamM[i] + (1 - s.beta1) * g;
        adamV[i] = s.beta2 * adamV[i] + (1 - s.beta2) * g * g;
        weights[i] = weights[i] * decay - stepSize * adamM[i] / (std::sqrt(adamV[i]) / bc2sqrt + s.eps);
        grads[i] = 0;
    }
}
double hostNorm(const std::vector<float>& grads, float gradScale) {
    double inv = 1.0 / gradScale, sq = 0;
    for (float g0 : grads) { double g = g0 * inv; sq += g * g; }
    return std::sqrt(sq);
}

template <typename T> std::vector<T> download(const T* d, size_t n) {
    cudaDeviceSynchronize();
    std::vector<T> h(n);
    cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost);
    return h;
}

// pad 1 misaligns every buffer (scalar path)
void adamwCase(int64_t n, int pad, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
    Settings s{2e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.0f, 3.0f};
    std::vector<float> w(n), g(n), m(n, 0.0f), v(n, 0.0f);
    for (auto& x : w) x = 0.1f * uni(rng);
    float *base = nullptr, *scratch = nullptr;
    cudaMalloc((void**)&base, (4 * (n + 8) + 8) * sizeof(float));
    cudaMalloc((void**)&scratch, sumOfSquaresScratchBytes());
    double* dnorm = nullptr;
    cudaMalloc((void**)&dnorm, sizeof(double));
    float *dw = base + pad, *dg = dw + n + 8, *dm = dg + n + 8, *dv = dm + n + 8;
    cudaMemcpy(dw, w.data(), n * sizeof(float), cudaMemcpyHostToDevice);
    cudaMemcpy(dm, m.data(), n * sizeof(float), cudaMemcpyHostToDevice);
    cudaMemcpy(dv, v.data(), n * sizeof(float), cudaMemcpyHostToDevice);
    for (int64_t step = 1; step <= 4; step++) {
        for (auto& x : g) x = (float)step * uni(rng);
        s.clip = step % 2 == 0 ? 1.0f : 0.0f;  // even steps clip (the norm here is far above 1)
        cudaMemcpy(dg, g.data(), n * sizeof(float), cudaMemcpyHostToDevice);
        double want = hostNorm(g, s.gradScale);
        sumOfSquares(nullptr, dnorm, dg, n, 1.0 / s.gradScale, scratch);
        double got = std::sqrt(download(dnorm, 1)[0]);
        double rel = std::fabs(got - want) / want;
        std::printf("  step %lld n=%lld pad=%d norm %.17g rel err %.3g (tol %.3g)%s\n", (long long)step, (long long)n, pad, got, rel, kTolNorm,
                    rel <= kTolNorm ? "" : "  FAIL");
        if (!(rel <= kTolNorm)) failCurrentTest("gradient norm");
        hostStep(w, g, m, v, s, got, step);  // the device's norm on both sides: the update is compared alone
        adamwUpdate(nullptr, dw, dg, dm, dv, n, adamwDevice(s, got, step));
        char what[80];
        std::snprintf(what, sizeof what, "step %lld weights", (long long)step);
        expectClose(what, download(dw, n), w, 0.0);
        std::snprintf(what, sizeof what, "step %lld m", (long long)step);
        expectClose(what, download(dm, n), m, 0.0);
        std::snprintf(what, sizeof what, "step %lld v", (long long)step);
        expectClose(what, download(dv, n), v, 0.0);
        std::vector<float> gz = download(dg, n);
        for (float x : gz)
            if (x != 0.0f) { failCurrentTest("gradients not zeroed"); break; }
    }
    cudaFree(base);
    cudaFree(scratch);
    cudaFree(dnorm);
}

KERNEL_TEST(adamw) {
    adamwCase(4 * 2500 + 3, 0, 71);
    adamwCase(1237, 1, 72);
}

KERNEL_TEST(sum_of_squares_deterministic) {
    std::mt19937 rng(81);
    std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
    for (int pad : {0, 1}) {
        int64_t n = 300007;
        std::vector<float> g(n);
        for (auto& x : g) x = uni(rng) * (uni(rng) > 0.9f ? 1e3f : 1e-3f);  // wide magnitudes: order matters
        float* dg = nullptr;
        void* scratch = nullptr;
        double* out = nullptr;
        cudaMalloc((void**)&dg, (n + 1) * sizeof(float));
        cudaMalloc(&scratch, sumOfSquaresScratchBytes());
        cudaMalloc((void**)&out, 2 * sizeof(double));
        cudaMemcpy(dg + pad, g.data(), n * sizeof(float), cudaMemcpyHostToDevice);
        sumOfSquares(nullptr, out, dg + pad, n, 0.37, scratch);
        sumOfSquares(nullptr, out + 1, dg + pad, n, 0.37, scratch);
        std::vector<double> r = download(out, 2);
        long double want = 0;  // the serial double sum is itself off by ~1e-12 here
        for (float x : g) { long double d = (long double)((double)x * 0.37); want += d * d; }
        bool same = std::memcmp(&r[0], &r[1], sizeof(double)) == 0;
        double rel = (double)(std::fabs((long double)r[0] - want) / want);
        std::printf("  pad=%d: %.17g and %.17g %s; rel err to a long double sum %.3g (tol %.3g)\n", pad, r[0], r[1], same ? "identical" : "DIFFER", rel,
                    kTolNorm);
        if (!same) failCurrentTest("sumOfSquares differs between two runs");
        if (!(rel <= kTolNorm)) failCurrentTest("sumOfSquares value");
        cudaFree(dg);
        cudaFree(scratch);
        cudaFree(out);
    }
}

}  // namespace
