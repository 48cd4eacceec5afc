// Standalone check and speed probe of the float gemm against the double loops.
#include "../src/Gemm.h"
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>
using namespace ditto;
int main() {
    ThreadPool pool(2);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    // shapes that take each path: small serial, thin (LoRA-like, B read in place; transposed-A
    // swap), columns split with A packed once for both threads
    int shapes[][3] = {{37, 53, 300}, {512, 16, 200}, {16, 300, 512}, {300, 16, 512}, {100, 300, 600}, {130, 700, 300}};
    for (auto& shp : shapes) for (int ta = 0; ta < 2; ta++) for (int tb = 0; tb < 2; tb++) {
        int M = shp[0], N = shp[1], K = shp[2];
        std::vector<float> A(M * K), B(K * N), C(M * N);
        for (auto& x : A) x = u(rng);
        for (auto& x : B) x = u(rng);
        for (auto& x : C) x = u(rng);
        std::vector<double> Ad(A.begin(), A.end()), Bd(B.begin(), B.end()), Cd(C.begin(), C.end());
        int lda = ta ? M : K, ldb = tb ? K : N;
        gemm(&pool, ta, tb, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, 1.0f, C.data(), N);
        gemm(nullptr, ta, tb, M, N, K, 0.5, Ad.data(), lda, Bd.data(), ldb, 1.0, Cd.data(), N);
        double md = 0; for (int i = 0; i < M * N; i++) md = std::fmax(md, std::fabs(C[i] - Cd[i]));
        printf("%dx%dx%d ta=%d tb=%d maxdiff %.3g\n", M, N, K, ta, tb, md);
    }
    int M = 512, N = 4864, K = 896;
    std::vector<float> A((size_t)M * K, 0.5f), B((size_t)N * K, 0.25f), C((size_t)M * N);
    for (int tb = 0; tb < 2; tb++) {
        for (int rep = 0; rep < 3; rep++) {
            auto t0 = std::chrono::steady_clock::now();
            gemm(&pool, false, tb, M, N, K, 1.0f, A.data(), K, B.data(), tb ? K : N, 0.0f, C.data(), N);
            double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            printf("%s tb=%d %dx%dx%d: %.1f GFLOP/s\n", gemmKernelName(), tb, M, N, K, 2.0 * M * N * K / s / 1e9);
        }
    }
}
