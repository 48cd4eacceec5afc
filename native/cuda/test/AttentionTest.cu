// Attention forward and backward against a double-precision loop written from the math (scores,
// causal within runs, softmax, GQA), on the same bf16-rounded inputs. Runs are laid out as the
// CPU engine's Engine::prepare builds them: batch rows of packed segments, padding as its own run.
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "KernelTest.h"
#include "compat/Cuda.h"
#include "kernels/Attention.cuh"

namespace {

using ditto::test::expectClose;
using ditto::test::failCurrentTest;

struct AttnCase {
    int H, Hkv, D;
    std::vector<std::vector<int>> rows;  // run lengths of each batch row (equal row sums)
};

template <typename T> struct DeviceArray {
    T* p = nullptr;
    size_t n = 0;
    explicit DeviceArray(size_t count) : n(count) {
        if (cudaMalloc((void**)&p, count * sizeof(T)) != cudaSuccess) failCurrentTest("cudaMalloc");
    }
    explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) {
        cudaMemcpy(p, host.data(), n * sizeof(T), cudaMemcpyHostToDevice);
    }
    DeviceArray(const DeviceArray&) = delete;
    ~DeviceArray() { cudaFree(p); }
    std::vector<T> get() const {
        std::vector<T> h(n);
        cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost);
        return h;
    }
};

struct Inputs {
    int N;
    std::vector<int32_t> runStart, runEnd;
    std::vector<bf16> q, k, v, dout;
    std::vector<double> qd, kd, vd, doutd;  // the same values, widened
};

void fillBf16(std::mt19937& rng, size_t n, float amp, std::vector<bf16>& b, std::vector<double>& d) {
    std::uniform_real_distribution<float> u(-amp, amp);
    b.resize(n);
    d.resize(n);
    for (size_t i = 0; i < n; i++) {
        b[i] = toBf16(u(rng));
        d[i] = toFloat(b[i]);
    }
}

Inputs makeInputs(const AttnCase& c, unsigned seed) {
    Inputs in;
    in.N = 0;
    for (const auto& row : c.rows)
        for (int len : row) {
            for (int t = 0; t < len; t++) {
                in.runStart.push_back(in.N);
                in.runEnd.push_back(in.N + len);
            }
            in.N += len;
        }
    std::mt19937 rng(seed);
    size_t nq = (size_t)in.N * c.H * c.D, nk = (size_t)in.N * c.Hkv * c.D;
    // q and k wide enough that the softmax is far from uniform (score std ~1.3)
    fillBf16(rng, nq, 2.0f, in.q, in.qd);
    fillBf16(rng, nk, 2.0f, in.k, in.kd);
    fillBf16(rng, nk, 1.0f, in.v, in.vd);
    fillBf16(rng, nq, 1.0f, in.dout, in.doutd);
    return in;
}

// dq, dk, dv exact; rdq, rdk, rdv with the kernel's roundings (a tight check that a dropped or
// extra key cannot hide in the bf16 tolerance).
struct Reference { std::vector<float> out, lse, dq, dk, dv, rdq, rdk, rdv; };

Reference reference(const AttnCase& c, const Inputs& in) {
    const int N = in.N, H = c.H, D = c.D, group = c.H / c.Hkv;
    const size_t qs = (size_t)H * D, ks = (size_t)c.Hkv * D;
    const double scale = 1.0 / std::sqrt((double)D);
    Reference r;
    r.out.assign((size_t)N * qs, 0.0f);
    r.lse.assign((size_t)H * N, 0.0f);
    std::vector<double> dq((size_t)N * qs, 0.0), dk((size_t)N * ks, 0.0), dv((size_t)N * ks, 0.0);
    std::vector<double> rdq(dq), rdk(dk), rdv(dv);
    std::vector<double> p(N), s(N), dp(N), o(D);
    for (int h = 0; h < H; h++) {
        const int g = h / group;
        for (int i = 0; i < N; i++) {
            const double* qi = &in.qd[i * qs + h * D];
            const double* doi = &in.doutd[i * qs + h * D];
            int j0 = in.runStart[i];
            double m = -INFINITY;
            for (int j = j0; j <= i; j++) {
                double dot = 0;
                for (int d = 0; d < D; d++) dot += qi[d] * in.kd[j * ks + g * D + d];
                p[j] = s[j] = dot * scale;
                m = std::fmax(m, p[j]);
            }
            double sum = 0;
            for (int j = j0; j <= i; j++) sum += (p[j] = std::exp(p[j] - m));
            std::fill(o.begin(), o.end(), 0.0);
            for (int j = j0; j <= i; j++) {
                p[j] /= sum;
                for (int d = 0; d < D; d++) o[d] += p[j] * in.vd[j * ks + g * D + d];
            }
            for (int d = 0; d < D; d++) r.out[i * qs + h * D + d] = (float)o[d];
            r.lse[(size_t)h * N + i] = (float)(m + std::log(sum));
            double delta = 0, deltaR = 0;
            for (int d = 0; d < D; d++) deltaR += doi[d] * toFloat(toBf16((float)o[d]));
            double lseF = r.lse[(size_t)h * N + i];
            for (int j = j0; j <= i; j++) {
                dp[j] = 0;
                for (int d = 0; d < D; d++) dp[j] += doi[d] * in.vd[j * ks + g * D + d];
                delta += p[j] * dp[j];
            }
            for (int j = j0; j <= i; j++) {
                double ds = p[j] * (dp[j] - delta) * scale;
                // the kernel's rounding points: P from the stored lse, bf16 P and dS as product
                // inputs, Delta from the bf16 O
                double pk = std::exp(s[j] - lseF);
                double pR = toFloat(toBf16((float)pk));
                double dsR = toFloat(toBf16((float)(pk * (dp[j] - deltaR)))) * scale;
                for (int d = 0; d < D; d++) {
                    dq[i * qs + h * D + d] += ds * in.kd[j * ks + g * D + d];
                    dk[j * ks + g * D + d] += ds * qi[d];
                    dv[j * ks + g * D + d] += p[j] * doi[d];
                    rdq[i * qs + h * D + d] += dsR * in.kd[j * ks + g * D + d];
                    rdk[j * ks + g * D + d] += dsR * qi[d];
                    rdv[j * ks + g * D + d] += pR * doi[d];
                }
            }
        }
    }
    auto narrow = [](const std::vector<double>& x) { return std::vector<float>(x.begin(), x.end()); };
    r.dq = narrow(dq); r.dk = narrow(dk); r.dv = narrow(dv);
    r.rdq = narrow(rdq); r.rdk = narrow(rdk); r.rdv = narrow(rdv);
    return r;
}

std::vector<float> widen(const std::vector<bf16>& b) {
    std::vector<float> f(b.size());
    for (size_t i = 0; i < b.size(); i++) f[i] = toFloat(b[i]);
    return f;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// ||got - want|| / ||want||: the error of the tensor as a whole, which bf16 rounding keeps small
// even where single near-zero elements are far off in relative terms.
double expectNormClose(const char* what, const std::vector<float>& got, const std::vector<float>& want, double tol) {
    double num = 0, den = 0;
    for (size_t i = 0; i < want.size(); i++) {
        double d = (double)got[i] - want[i];
        num += d * d;
        den += (double)want[i] * want[i];
    }
    double e = std::sqrt(num / den);
    bool ok = got.size() == want.size() && den > 0 && e <= tol;
    std::printf("  %s: rel l2 err %.3g (tol %.3g)%s\n", what, e, tol, ok ? "" : "  FAIL");
    if (!ok) failCurrentTest(what);
    return e;
}

// Tolerances from the measured error (see the report of runCase's numbers): exact math vs bf16
// products (P, dS, O rounded), element-wise with a floor at a fraction of the tensor's largest
// value, and as a whole; the kernel's own rounding points leave only fp32 sums and exp.
struct Tolerances {
    double out = 5e-2, lse = 2e-5, grad = 0.15, floor = 0.05;
    double outL2 = 5e-3, gradL2 = 6e-3, rounded = 2e-2, roundedFloor = 0.05;
};

using ditto::cuda::AttnTiling;

void runCase(const AttnCase& c, unsigned seed, AttnTiling tiling = AttnTiling::Auto, Tolerances tol = {}) {
    Inputs in = makeInputs(c, seed);
    Reference ref = reference(c, in);
    const int N = in.N;
    const size_t nq = (size_t)N * c.H * c.D, nk = (size_t)N * c.Hkv * c.D;
    DeviceArray<bf16> q(in.q), k(in.k), v(in.v), dout(in.dout), out(nq);
    DeviceArray<int32_t> rs(in.runStart), re(in.runEnd);
    DeviceArray<float> lse((size_t)c.H * N);
    ditto::cuda::attentionForwardTiled(tiling, 0, out.p, lse.p, q.p, k.p, v.p, rs.p, re.p, N, c.H, c.Hkv, c.D);
    if (cudaDeviceSynchronize() != cudaSuccess) failCurrentTest("forward launch");
    auto maxAbs = [](const std::vector<float>& x) {
        double m = 0;
        for (float f : x) m = std::fmax(m, std::fabs(f));
        return m;
    };
    std::vector<float> outGot = widen(out.get());
    expectClose("out", outGot, ref.out, tol.out, tol.floor * maxAbs(ref.out));
    expectNormClose("out", outGot, ref.out, tol.outL2);
    expectClose("lse", lse.get(), ref.lse, tol.lse);

    // The backward reads the reference's out and lse (rounded as the engine stores them), so its
    // error is its own.
    std::vector<bf16> outRef(nq);
    for (size_t i = 0; i < nq; i++) outRef[i] = toBf16(ref.out[i]);
    DeviceArray<bf16> o(outRef);
    DeviceArray<float> lseIn(ref.lse), dq(nq), dk(nk), dv(nk);
    DeviceArray<unsigned char> scratch(ditto::cuda::attentionBackwardScratchBytes(N, c.H, c.Hkv, c.D));
    auto backward = [&] {
        ditto::cuda::attentionBackwardTiled(tiling, 0, dq.p, dk.p, dv.p, dout.p, o.p, q.p, k.p, v.p, lseIn.p, rs.p, re.p, N, c.H,
                                            c.Hkv, c.D, scratch.p);
        if (cudaDeviceSynchronize() != cudaSuccess) failCurrentTest("backward launch");
    };
    backward();
    std::vector<float> dq1 = dq.get(), dk1 = dk.get(), dv1 = dv.get();
    expectClose("dq", dq1, ref.dq, tol.grad, tol.floor * maxAbs(ref.dq));
    expectClose("dk", dk1, ref.dk, tol.grad, tol.floor * maxAbs(ref.dk));
    expectClose("dv", dv1, ref.dv, tol.grad, tol.floor * maxAbs(ref.dv));
    expectNormClose("dq", dq1, ref.dq, tol.gradL2);
    expectNormClose("dk", dk1, ref.dk, tol.gradL2);
    expectNormClose("dv", dv1, ref.dv, tol.gradL2);
    expectClose("dq vs rounded math", dq1, ref.rdq, tol.rounded, tol.roundedFloor * maxAbs(ref.rdq));
    expectClose("dk vs rounded math", dk1, ref.rdk, tol.rounded, tol.roundedFloor * maxAbs(ref.rdk));
    expectClose("dv vs rounded math", dv1, ref.rdv, tol.rounded, tol.roundedFloor * maxAbs(ref.rdv));
    // a second run must give the same bits: no atomics, a fixed summation order
    cudaMemset(dq.p, 0xff, nq * sizeof(float));
    cudaMemset(dk.p, 0xff, nk * sizeof(float));
    cudaMemset(dv.p, 0xff, nk * sizeof(float));
    backward();
    if (!sameBits(dq1, dq.get()) || !sameBits(dk1, dk.get()) || !sameBits(dv1, dv.get()))
        failCurrentTest("two backward runs differ");
    else
        std::printf("  backward rerun: bit-identical dq, dk, dv\n");
}

}  // namespace

// Two batch rows of packed runs (lengths 1, 5, 37, 70 and a padding run), two query heads per KV head.
KERNEL_TEST(attention_gqa_d16) { runCase({4, 2, 16, {{1, 5, 37, 70, 7}, {70, 37, 5, 1, 7}}}, 1); }
KERNEL_TEST(attention_gqa_d32) { runCase({4, 2, 32, {{1, 5, 37, 70, 7}, {70, 37, 5, 1, 7}}}, 2); }
// No GQA; N not a multiple of any tile.
// Seven query heads per KV head (Qwen2.5-7B's group): seven partial dK, dV summed per KV head.
KERNEL_TEST(attention_gqa_group7) { runCase({7, 1, 16, {{1, 37, 70}}}, 13); }
KERNEL_TEST(attention_mha_d32) { runCase({3, 3, 32, {{40, 1, 59}}}, 3); }
// One run across four 64-row tiles: the online softmax rescales, the backward walks many tiles.
KERNEL_TEST(attention_long_run) { runCase({2, 1, 16, {{200}}}, 4); }
// Runs ending on, one past and one short of the 64-row tile edges: a key tile that holds only
// the last key, query tiles that start a run.
KERNEL_TEST(attention_tile_edges) { runCase({2, 1, 16, {{65, 63, 1, 64, 129}}}, 8); }
KERNEL_TEST(attention_d64) { runCase({2, 1, 64, {{20, 70}}}, 5); }
KERNEL_TEST(attention_d128) { runCase({2, 1, 128, {{1, 79}}}, 6); }
KERNEL_TEST(attention_d256) { runCase({2, 2, 256, {{3, 42, 25}}}, 7); }
// The small tiles (devices with 99 or 163 KiB of shared memory per block): 1- and 2-warp blocks.
KERNEL_TEST(attention_small_tiles_gqa_d16) { runCase({4, 2, 16, {{1, 5, 37, 70, 7}, {70, 37, 5, 1, 7}}}, 9, AttnTiling::Small); }
KERNEL_TEST(attention_small_tiles_edges) { runCase({2, 1, 32, {{33, 31, 1, 32, 65}}}, 10, AttnTiling::Small); }
KERNEL_TEST(attention_small_tiles_d128) { runCase({4, 2, 128, {{1, 79}}}, 11, AttnTiling::Small); }
KERNEL_TEST(attention_small_tiles_d256) { runCase({2, 1, 256, {{3, 42, 25}}}, 12, AttnTiling::Small); }
