// gemm() against a double-precision host loop over the same bf16 inputs, through both backends:
// the own WMMA kernel (both tile configurations) and cuBLASLt (the host stand-in in the emulated
// build; the real library natively, skipped when it is not installed).
//
// Tolerances (relative, floor 1e-3 of the largest reference value) from the measured errors:
// float output carries only fp32 accumulation error (measured <= 1.1e-4 at K <= 200), so 5e-4
// catches any wrong element, lost k-chunk or misplaced bias; bf16 output adds one rounding (half
// an ulp, <= 2^-8 = 3.9e-3 relative; measured 3.89e-3), so 8e-3. C columns past N (ld padding)
// must stay untouched, and beta == 0 runs on a C filled with NaN, which must not leak through.
// With bf16 C the cuBLASLt path adds the bias rounded to bf16 (the library's documented bias
// type), so its reference does too; the own kernel adds the fp32 bias.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "../kernels/Gemm.cuh"
#include "KernelTest.h"

using namespace ditto::cuda;
using ditto::test::expectClose;
using ditto::test::failCurrentTest;

namespace {

struct Case {
    bool ta, tb;
    int M, N, K;
    int padA = 0, padB = 0, padC = 0;
    float alpha = 1, beta = 0;
    bool bias = false;
};

enum class Path { Auto, Wmma64, Wmma128 };

constexpr double kTolFloat = 5e-4, kTolBf16 = 8e-3;

std::string describe(const char* backend, const Case& c, bool bf16Out) {
    char s[200];
    std::snprintf(s, sizeof s, "%s %c%c %dx%dx%d ld+%d/%d/%d a=%g b=%g%s %s", backend, c.ta ? 'T' : 'N', c.tb ? 'T' : 'N', c.M,
                  c.N, c.K, c.padA, c.padB, c.padC, c.alpha, c.beta, c.bias ? " bias" : "", bf16Out ? "bf16" : "f32");
    return s;
}

template <typename T>
T* toDevice(const std::vector<T>& h) {
    T* d = nullptr;
    cudaMalloc(&d, h.size() * sizeof(T) + 16);
    cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice);
    return d;
}

float outToFloat(float v) { return v; }
float outToFloat(bf16 v) { return toFloat(v); }
void setOut(float& o, float v) { o = v; }
void setOut(bf16& o, float v) { o = toBf16(v); }

// Runs one case; returns the measured max relative error (or +inf after a failure).
template <typename Tout>
double runCase(GemmEngine& engine, const char* backend, Path path, const Case& c, uint32_t seed) {
    // cuBLASLt's epilogue reads the bias in C's type: with bf16 C it adds the bias rounded to bf16
    const bool biasInBf16 = std::string(engine.backend()) == "cublaslt" && std::is_same<Tout, bf16>::value;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
    const int aRows = c.ta ? c.K : c.M, aCols = c.ta ? c.M : c.K, lda = aCols + c.padA;
    const int bRows = c.tb ? c.N : c.K, bCols = c.tb ? c.K : c.N, ldb = bCols + c.padB;
    const int ldc = c.N + c.padC;
    std::vector<bf16> A((size_t)std::max(aRows, 1) * lda), B((size_t)std::max(bRows, 1) * ldb);
    for (auto& x : A) x = toBf16(uni(rng));
    for (auto& x : B) x = toBf16(uni(rng));
    std::vector<Tout> C((size_t)c.M * ldc);
    const float sentinel = 1232.0f;  // exact in bf16
    for (int m = 0; m < c.M; m++)
        for (int n = 0; n < ldc; n++)
            setOut(C[(size_t)m * ldc + n], n >= c.N ? sentinel : c.beta == 0 ? NAN : uni(rng));
    std::vector<float> bias(c.N);
    for (auto& x : bias) x = uni(rng);

    // reference over the values the GPU sees (bf16 inputs, C as stored)
    std::vector<float> want((size_t)c.M * c.N);
    for (int m = 0; m < c.M; m++)
        for (int n = 0; n < c.N; n++) {
            double s = 0;
            for (int k = 0; k < c.K; k++) {
                double a = toFloat(c.ta ? A[(size_t)k * lda + m] : A[(size_t)m * lda + k]);
                double b = toFloat(c.tb ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n]);
                s += a * b;
            }
            double v = (double)c.alpha * s;
            if (c.beta != 0) v += (double)c.beta * outToFloat(C[(size_t)m * ldc + n]);
            if (c.bias) v += biasInBf16 ? toFloat(toBf16(bias[n])) : bias[n];
            want[(size_t)m * c.N + n] = (float)v;
        }

    bf16* dA = toDevice(A);
    bf16* dB = toDevice(B);
    Tout* dC = toDevice(C);
    float* dBias = toDevice(bias);
    const float* biasArg = c.bias ? dBias : nullptr;
    std::string thrown;
    try {
        if (path == Path::Auto)
            gemm<Tout>(engine, 0, c.ta, c.tb, c.M, c.N, c.K, c.alpha, dA, lda, dB, ldb, c.beta, dC, ldc, biasArg);
        else if (path == Path::Wmma64)
            gemm_detail::launchWmma<64, 64, 32, 32, Tout>(0, c.ta, c.tb, c.M, c.N, c.K, c.alpha, dA, lda, dB, ldb, c.beta, dC, ldc, biasArg);
        else
            gemm_detail::launchWmma<128, 128, 64, 32, Tout>(0, c.ta, c.tb, c.M, c.N, c.K, c.alpha, dA, lda, dB, ldb, c.beta, dC, ldc, biasArg);
    } catch (const std::exception& e) {
        thrown = e.what();
    }
    cudaError_t err = cudaDeviceSynchronize();
    std::vector<Tout> got(C.size());
    cudaMemcpy(got.data(), dC, got.size() * sizeof(Tout), cudaMemcpyDeviceToHost);
    cudaFree(dA);
    cudaFree(dB);
    cudaFree(dC);
    cudaFree(dBias);
    const bool bf16Out = std::is_same<Tout, bf16>::value;
    std::string what = describe(backend, c, bf16Out);
    if (!thrown.empty() || err != cudaSuccess) {
        failCurrentTest((what + ": " + (thrown.empty() ? cudaGetErrorString(err) : thrown)).c_str());
        return INFINITY;
    }
    std::vector<float> gotC((size_t)c.M * c.N);
    int padTouched = 0;
    for (int m = 0; m < c.M; m++)
        for (int n = 0; n < ldc; n++) {
            float v = outToFloat(got[(size_t)m * ldc + n]);
            if (n < c.N) gotC[(size_t)m * c.N + n] = v;
            else if (v != sentinel) padTouched++;
        }
    if (padTouched) failCurrentTest((what + ": wrote " + std::to_string(padTouched) + " elements past N").c_str());
    return expectClose(what.c_str(), gotC, want, bf16Out ? kTolBf16 : kTolFloat);
}

// The shapes every backend must get right.
std::vector<Case> cases() {
    std::vector<Case> v;
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        v.push_back({ta, tb, 1, 1, 1});
        v.push_back({ta, tb, 17, 33, 65, 3, 5, 7, 0.5f, 0.0f});       // K % 16 != 0, odd lds: no cp.async
        v.push_back({ta, tb, 130, 257, 96, 0, 0, 0, 1.0f, 0.0f});     // edge tiles in M and N
        v.push_back({ta, tb, 70, 72, 40, 8, 8, 3, -1.5f, 1.0f, true}); // aligned lds, beta 1, bias
        v.push_back({ta, tb, 45, 36, 37, 3, 3, 0});                    // cp.async rows ending in a ragged chunk
        v.push_back({ta, tb, 40, 50, 200, 1, 3, 0});                   // 7 k-tiles of plain loads: stages reused
    }
    return v;
}

template <typename Tout>
void runAll(GemmEngine& engine, const char* backend, Path path, double& worst) {
    uint32_t seed = 1;
    for (const Case& c : cases()) worst = std::fmax(worst, runCase<Tout>(engine, backend, path, c, seed++));
}

}  // namespace

KERNEL_TEST(gemm_wmma) {
    GemmEngine engine(GemmEngine::Backend::Wmma);
    if (std::string(engine.backend()) != "wmma") failCurrentTest("Backend::Wmma did not select the own kernel");
    double worstF = 0, worstB = 0;
    runAll<float>(engine, "wmma64", Path::Wmma64, worstF);
    runAll<bf16>(engine, "wmma64", Path::Wmma64, worstB);
    // the 128x128 tiles (8 warps), and gemm()'s own choice
    for (const Case& c : {Case{false, false, 130, 257, 96, 0, 0, 0, 1.0f, 1.0f, true}, Case{true, true, 200, 140, 72, 8, 8, 0},
                          Case{false, true, 129, 129, 33, 1, 1, 1, 2.0f, 0.0f, true}, Case{true, false, 64, 300, 48}}) {
        worstF = std::fmax(worstF, runCase<float>(engine, "wmma128", Path::Wmma128, c, 99));
        worstB = std::fmax(worstB, runCase<bf16>(engine, "wmma128", Path::Wmma128, c, 98));
    }
    worstF = std::fmax(worstF, runCase<float>(engine, "wmma", Path::Auto, Case{true, false, 90, 50, 0, 0, 0, 0, 1.0f, 1.0f, true}, 7));
    std::printf("  measured max rel err: float out %.3g, bf16 out %.3g\n", worstF, worstB);
}

KERNEL_TEST(gemm_wmma_from_env) {
    // DITTO_GEMM=wmma forces the own kernel even where cuBLASLt is available.
#ifdef DITTO_CUDA_EMU
    lt::useEmulated(true);
    if (std::string(GemmEngine::autoBackend()) != "cublaslt") failCurrentTest("autoBackend() missed the cuBLASLt stand-in");
#endif
    setenv("DITTO_GEMM", "wmma", 1);
    GemmEngine engine;
    std::string probed = GemmEngine::autoBackend();
    unsetenv("DITTO_GEMM");
#ifdef DITTO_CUDA_EMU
    lt::useEmulated(false);
#endif
    if (probed != "wmma") failCurrentTest("autoBackend() ignored DITTO_GEMM=wmma");
    if (std::string(engine.backend()) != "wmma") failCurrentTest("DITTO_GEMM=wmma did not select the own kernel");
    runCase<float>(engine, "wmma(env)", Path::Auto, Case{false, true, 33, 20, 17}, 3);
}

KERNEL_TEST(gemm_cublaslt) {
#ifdef DITTO_CUDA_EMU
    lt::useEmulated(true);
#endif
    GemmEngine* engine = nullptr;
    try {
        engine = new GemmEngine(GemmEngine::Backend::CublasLt);
    } catch (const std::exception& e) {
#ifdef DITTO_CUDA_EMU
        failCurrentTest(e.what());
        lt::useEmulated(false);
#else
        std::printf("  skipped: %s\n", e.what());  // no cuBLASLt on this machine: the own kernel serves
#endif
        return;
    }
#ifdef DITTO_CUDA_EMU
    lt::useEmulated(false);
#endif
    std::printf("  library: %s\n", engine->backendNote().c_str());
    if (std::string(engine->backend()) != "cublaslt") failCurrentTest("Backend::CublasLt did not select cuBLASLt");
    double worstF = 0, worstB = 0;
    runAll<float>(*engine, "cublaslt", Path::Auto, worstF);
    runAll<bf16>(*engine, "cublaslt", Path::Auto, worstB);
    // the plan cache: a repeated shape reuses its plan, a new one adds one
    size_t plans = engine->cachedPlans();
    runCase<float>(*engine, "cublaslt", Path::Auto, Case{false, false, 17, 33, 65, 3, 5, 7, 0.5f, 0.0f}, 2);
    if (engine->cachedPlans() != plans) failCurrentTest("a repeated shape created a new cuBLASLt plan");
    runCase<float>(*engine, "cublaslt", Path::Auto, Case{false, false, 18, 33, 65, 3, 5, 7, 0.5f, 0.0f}, 2);
    if (engine->cachedPlans() != plans + 1) failCurrentTest("a new shape did not create a cuBLASLt plan");
    std::printf("  measured max rel err: float out %.3g, bf16 out %.3g; %zu plans cached\n", worstF, worstB, engine->cachedPlans());
    delete engine;
}
