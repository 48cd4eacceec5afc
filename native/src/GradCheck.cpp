// Gradient checks: every op's backward against central finite differences, all in double so the
// comparison is tight (the ops are the same templates the engine runs in float).
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "../include/ditto_engine.h"
#include "Ops.h"

using namespace ditto;
using Vec = std::vector<double>;

namespace {

struct Checker {
    std::string report;
    double worst = 0;
    std::mt19937_64 rng{42};

    Vec random(size_t n, double scale = 1.0) {
        std::uniform_real_distribution<double> u(-scale, scale);
        Vec v(n);
        for (auto& x : v) x = u(rng);
        return v;
    }

    // loss() = sum(out * R) for fixed random R; grads[i] is the analytic gradient of params[i].
    void check(const std::string& name, std::vector<Vec*> params, const std::vector<Vec>& grads, const std::function<double()>& loss) {
        double maxDiff = 0, maxGrad = 0;
        const double eps = 1e-5;
        for (size_t p = 0; p < params.size(); p++) {
            Vec& v = *params[p];
            for (size_t i = 0; i < v.size(); i++) {
                double keep = v[i];
                v[i] = keep + eps; double lp = loss();
                v[i] = keep - eps; double lm = loss();
                v[i] = keep;
                double numeric = (lp - lm) / (2 * eps);
                maxDiff = std::max(maxDiff, std::fabs(numeric - grads[p][i]));
                maxGrad = std::max(maxGrad, std::fabs(numeric));
            }
        }
        double rel = maxDiff / std::max(maxGrad, 1e-12);
        worst = std::max(worst, rel);
        char line[160];
        std::snprintf(line, sizeof(line), "%-22s max_rel_err %.3e (max |grad| %.3e)\n", name.c_str(), rel, maxGrad);
        report += line;
    }
};

double dot(const Vec& a, const Vec& b) { double s = 0; for (size_t i = 0; i < a.size(); i++) s += a[i] * b[i]; return s; }

}  // namespace

extern "C" double ditto_selftest_gradcheck(char* reportOut, size_t reportSize) {
    Checker ck;
    // embedding: dtable
    {
        int N = 5, C = 4, V = 6;
        std::vector<int32_t> tok = {1, 3, 1, 5, 0};
        Vec table = ck.random(V * C), R = ck.random(N * C), out(N * C), dtable(V * C, 0.0);
        auto loss = [&] { embeddingForward<double>(nullptr, out.data(), tok.data(), table.data(), N, C); return dot(out, R); };
        embeddingBackward(dtable.data(), R.data(), tok.data(), N, C);
        ck.check("embedding", {&table}, {dtable}, loss);
    }
    // RMSNorm: dx, dw
    {
        int N = 4, C = 8;
        Vec x = ck.random(N * C), w = ck.random(C), R = ck.random(N * C), out(N * C), rstd(N), dx(N * C, 0.0), dw(C, 0.0);
        auto loss = [&] { rmsnormForward<double>(nullptr, out.data(), rstd.data(), x.data(), w.data(), N, C, 1e-5); return dot(out, R); };
        loss();
        rmsnormBackward<double>(nullptr, dx.data(), dw.data(), R.data(), x.data(), w.data(), rstd.data(), N, C);
        ck.check("rmsnorm", {&x, &w}, {dx, dw}, loss);
    }
    // RoPE, both layouts, with a partial rotation (nRot < D) and frequency factors
    for (RopeMode mode : {RopeMode::Norm, RopeMode::Neox}) {
        int N = 3, H = 2, D = 8;
        std::vector<int32_t> pos = {0, 5, 17};
        std::vector<float> ff = {1.0f, 2.0f, 4.0f};
        RopeParams rp;
        rp.mode = mode; rp.nRot = 6; rp.base = 100; rp.freqScale = 0.5; rp.freqFactors = ff.data();
        Vec x = ck.random(N * H * D), R = ck.random(N * H * D), out;
        auto loss = [&] { out = x; ropeForward<double>(nullptr, out.data(), pos.data(), N, H, D, rp); return dot(out, R); };
        Vec dx = R;
        ropeBackward<double>(nullptr, dx.data(), pos.data(), N, H, D, rp);
        ck.check(mode == RopeMode::Norm ? "rope_norm" : "rope_neox", {&x}, {dx}, loss);
    }
    // grouped-query causal attention over two packed runs
    {
        int N = 7, H = 4, Hkv = 2, D = 3;
        std::vector<Run> runs = {{0, 4}, {4, 3}};
        AttnShape a{H, Hkv, D};
        AttnScratch<double> sc;
        Vec q = ck.random(N * H * D), k = ck.random(N * Hkv * D), v = ck.random(N * Hkv * D), R = ck.random(N * H * D);
        Vec out(N * H * D), lse(H * N), dq(N * H * D), dk(N * Hkv * D), dv(N * Hkv * D);
        auto loss = [&] { attentionForward<double>(nullptr, out.data(), lse.data(), q.data(), k.data(), v.data(), N, runs, a, sc); return dot(out, R); };
        loss();
        attentionBackward<double>(nullptr, dq.data(), dk.data(), dv.data(), R.data(), q.data(), k.data(), v.data(), lse.data(), N, runs, a, sc);
        ck.check("attention_gqa_packed", {&q, &k, &v}, {dq, dk, dv}, loss);
    }
    // SwiGLU
    {
        int n = 12;
        Vec g = ck.random(n, 3), u = ck.random(n), R = ck.random(n), out(n), dg(n), du(n);
        auto loss = [&] { swigluForward<double>(nullptr, out.data(), g.data(), u.data(), n); return dot(out, R); };
        swigluBackward<double>(nullptr, dg.data(), du.data(), R.data(), g.data(), u.data(), n);
        ck.check("swiglu", {&g, &u}, {dg, du}, loss);
    }
    // linear + bias + LoRA, without and with dropout
    for (float p : {0.0f, 0.3f}) {
        int N = 5, I = 6, O = 4, r = 2;
        Vec w = ck.random(O * I), bias = ck.random(O), A = ck.random(r * I), B = ck.random(O * r), x = ck.random(N * I), R = ck.random(N * O);
        Vec y(N * O), h(N * r), xd(N * I), dA(r * I, 0.0), dB(O * r, 0.0), dx(N * I, 0.0), dh(N * r), dxl(N * I);
        Linear<double> L;
        L.w = w.data(); L.bias = bias.data(); L.in = I; L.out = O;
        L.a = A.data(); L.b = B.data(); L.da = dA.data(); L.db = dB.data(); L.rank = r; L.scale = 1.5;
        L.dropout.p = p; L.dropout.key = 7;
        auto loss = [&] { linearForward<double>(nullptr, y.data(), h.data(), xd.data(), x.data(), L, N); return dot(y, R); };
        loss();
        linearBackward<double>(nullptr, dx.data(), 1.0, R.data(), x.data(), xd.data(), h.data(), L, N, dh.data(), dxl.data());
        ck.check(p > 0 ? "linear_lora_dropout" : "linear_lora", {&x, &A, &B}, {dx, dA, dB}, loss);
    }
    // output head + cross-entropy in vocabulary chunks (chunk does not divide V)
    {
        int Nt = 3, C = 5, V = 11, chunk = 4;
        std::vector<int32_t> tgt = {2, 10, 5};
        Vec xn = ck.random(Nt * C, 2), E = ck.random(V * C), dxn(Nt * C), lossRows(Nt);
        CrossEntropyScratch<double> sc;
        auto loss = [&] { return crossEntropyForwardBackward<double>(nullptr, nullptr, lossRows.data(), xn.data(), E.data(), tgt.data(), Nt, C, V, chunk, sc); };
        crossEntropyForwardBackward<double>(nullptr, dxn.data(), lossRows.data(), xn.data(), E.data(), tgt.data(), Nt, C, V, chunk, sc);
        ck.check("cross_entropy_chunked", {&xn}, {dxn}, loss);
    }
    if (reportOut && reportSize) std::snprintf(reportOut, reportSize, "%s", ck.report.c_str());
    return ck.worst;
}
