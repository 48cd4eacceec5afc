// The decoder's operations, each a forward/backward pair (llm.c style: outputs first, shapes in
// comments, N = tokens, C = model width). Templates over float (the engine) and double (the
// gradient-check reference), so the checked code is the code that trains. Per-element math is
// in the small inline functions at the top and in VecMath (exp, SwiGLU) so a CUDA twin can share it.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "AlignedVector.h"
#include "Gemm.h"
#include "ThreadPool.h"
#include "VecMath.h"

namespace ditto {

// ---- per-element math -------------------------------------------------------------------------

// Counter-based hash: a dropout decision is a pure function of (key, index), so the backward
// pass and a resumed run regenerate exactly the masks of the forward pass without storing them.
inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

struct Dropout {
    float p = 0;       // drop probability; 0 = identity
    uint64_t key = 0;  // distinct per (step, layer, target)
    // multiplier for element idx: 0 or 1/(1-p)
    template <typename T> T factor(uint64_t idx) const {
        double u = (double)(mix64(key ^ mix64(idx + 0x9e3779b97f4a7c15ULL)) >> 11) * (1.0 / 9007199254740992.0);
        return u < p ? T(0) : T(1.0 / (1.0 - p));
    }
};

// Frozen weights: plain arrays in the double reference, file-encoded WeightMatrix in the engine.
template <typename T> struct WeightOf { using type = const T*; };
template <> struct WeightOf<float> { using type = WeightMatrix; };

// op(W) = W^T (W is [N x K]) when transW, else W ([K x N]); C (M,N) = alpha A (M,K) op(W) + beta C
inline void gemmW(ThreadPool* pool, bool transW, int M, int N, int K, double alpha, const double* A, int lda, const double* W, double beta, double* C, int ldc) {
    gemm(pool, false, transW, M, N, K, alpha, A, lda, W, transW ? K : N, beta, C, ldc);
}
inline void gemmW(ThreadPool* pool, bool transW, int M, int N, int K, float alpha, const float* A, int lda, const WeightMatrix& W, float beta, float* C, int ldc) {
    gemmWeight(pool, transW, M, N, K, alpha, A, lda, W, beta, C, ldc);
}
// out (cols) = W[row]
inline void weightRow(const double* W, int64_t row, int cols, double* out) { std::memcpy(out, W + row * cols, cols * sizeof(double)); }
inline void weightRow(const WeightMatrix& W, int64_t row, int cols, float* out) { decodeRow(W, (int)row, 0, cols, out); }
// rows [r0, r0+n) of W, whose rows have cols values
inline const double* weightRows(const double* W, int64_t r0, int, int cols) { return W + r0 * cols; }
inline WeightMatrix weightRows(const WeightMatrix& W, int64_t r0, int n, int) { return W.rowsView((int)r0, n); }

// Runs a row loop over the pool in contiguous chunks (serial when pool is null).
template <typename F> void forRows(ThreadPool* pool, int64_t n, F&& fn) {
    int parts = pool ? std::min<int64_t>(pool->size() * 4, std::max<int64_t>(1, n)) : 1;
    if (parts <= 1) { fn(0, n); return; }
    pool->parallelFor(parts, [&](int part, int) { fn(n * part / parts, n * (part + 1) / parts); });
}

// ---- embedding ----------------------------------------------------------------------------------

// out (N,C) = table[tokens] ; table (V,C)
template <typename T> void embeddingForward(ThreadPool* pool, T* out, const int32_t* tokens, const typename WeightOf<T>::type& table, int64_t N, int C) {
    forRows(pool, N, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; i++) weightRow(table, tokens[i], C, out + i * C);
    });
}
// dtable (V,C) += scatter of dout (N,C); serial because tokens repeat
template <typename T> void embeddingBackward(T* dtable, const T* dout, const int32_t* tokens, int64_t N, int C) {
    for (int64_t i = 0; i < N; i++)
        for (int c = 0; c < C; c++) dtable[(int64_t)tokens[i] * C + c] += dout[i * C + c];
}

// ---- RMSNorm ------------------------------------------------------------------------------------

// out (N,C) = x * rstd * w ; rstd (N) = 1/sqrt(mean(x^2) + eps) ; w (C)
template <typename T> void rmsnormForward(ThreadPool* pool, T* out, T* rstd, const T* x, const T* w, int64_t N, int C, double eps) {
    forRows(pool, N, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; i++) {
            const T* xi = x + i * C;
            double ss = 0;
            for (int c = 0; c < C; c++) ss += (double)xi[c] * xi[c];
            T r = (T)(1.0 / std::sqrt(ss / C + eps));
            rstd[i] = r;
            T* o = out + i * C;
            for (int c = 0; c < C; c++) o[c] = xi[c] * r * w[c];
        }
    });
}
// dx (N,C) += d/dx ; dw (C) += d/dw when not null (serial over rows then)
template <typename T> void rmsnormBackward(ThreadPool* pool, T* dx, T* dw, const T* dout, const T* x, const T* w, const T* rstd, int64_t N, int C) {
    auto rows = [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; i++) {
            const T* xi = x + i * C; const T* g = dout + i * C;
            T r = rstd[i];
            double dot = 0;
            for (int c = 0; c < C; c++) dot += (double)g[c] * w[c] * xi[c];
            T k = (T)(dot * r * r * r / C);
            T* d = dx + i * C;
            for (int c = 0; c < C; c++) d[c] += r * w[c] * g[c] - xi[c] * k;
            if (dw)
                for (int c = 0; c < C; c++) dw[c] += g[c] * xi[c] * r;
        }
    };
    if (dw) rows(0, N); else forRows(pool, N, rows);
}

// ---- RoPE ---------------------------------------------------------------------------------------

enum class RopeMode { Norm, Neox };  // Norm rotates pairs (2i, 2i+1); Neox pairs (i, i + nRot/2)

struct RopeParams {
    RopeMode mode = RopeMode::Norm;
    int nRot = 0;
    double base = 10000, freqScale = 1;
    const float* freqFactors = nullptr;  // (nRot/2) divisors of the frequencies (llama 3), or null
};

// x (N, H, D) rotated in place by position pos[i]; sign -1 applies the inverse (the backward).
template <typename T> void ropeApply(ThreadPool* pool, T* x, const int32_t* pos, int64_t N, int H, int D, const RopeParams& rp, int sign) {
    int half = rp.nRot / 2;
    forRows(pool, N, [&](int64_t i0, int64_t i1) {
        std::vector<T> cs(half), sn(half);
        for (int64_t i = i0; i < i1; i++) {
            for (int k = 0; k < half; k++) {
                double theta = pos[i] * rp.freqScale * std::pow(rp.base, -2.0 * k / rp.nRot);
                if (rp.freqFactors) theta /= rp.freqFactors[k];
                cs[k] = (T)std::cos(theta);
                sn[k] = (T)(sign * std::sin(theta));
            }
            for (int h = 0; h < H; h++) {
                T* v = x + (i * H + h) * D;
                for (int k = 0; k < half; k++) {
                    int a = rp.mode == RopeMode::Norm ? 2 * k : k;
                    int b = rp.mode == RopeMode::Norm ? 2 * k + 1 : k + half;
                    T x0 = v[a], x1 = v[b];
                    v[a] = x0 * cs[k] - x1 * sn[k];
                    v[b] = x0 * sn[k] + x1 * cs[k];
                }
            }
        }
    });
}
template <typename T> void ropeForward(ThreadPool* pool, T* x, const int32_t* pos, int64_t N, int H, int D, const RopeParams& rp) { ropeApply(pool, x, pos, N, H, D, rp, 1); }
// a rotation's transpose is its inverse, so the gradient rotates back
template <typename T> void ropeBackward(ThreadPool* pool, T* dx, const int32_t* pos, int64_t N, int H, int D, const RopeParams& rp) { ropeApply(pool, dx, pos, N, H, D, rp, -1); }

// ---- grouped-query causal attention within runs -------------------------------------------------

// A run is a span of consecutive tokens that attend to each other causally (one packed segment).
struct Run { int64_t start; int len; };

struct AttnShape { int H, Hkv, D; };

// s, dp: per-worker score blocks; dkh, dvh: per-query-head key/value gradients (N, H*D), summed
// over each KV group in a fixed order so results do not depend on the thread count.
template <typename T> struct AttnScratch { std::vector<AlignedVector<T>> s, dp; AlignedVector<T> dkh, dvh; };

// Causal attention only needs, for query rows [i0, i1), key columns [0, i1): work in row blocks
// so the upper triangle is never computed. Small blocks in the double reference so the gradient
// check crosses block edges.
template <typename T> constexpr int attnRowBlock() { return sizeof(T) == 8 ? 3 : 64; }

// The forward's tasks: one per (run, query head, row block), so many cores stay busy even when a
// model has only 2 KV heads; the largest blocks (the last rows of long runs) come first.
struct AttnTask { int run, h, i0; };
inline std::vector<AttnTask> attnTasks(const std::vector<Run>& runs, int H, int RB) {
    std::vector<AttnTask> t;
    for (int r = 0; r < (int)runs.size(); r++)
        for (int h = 0; h < H; h++)
            for (int i0 = 0; i0 < runs[r].len; i0 += RB) t.push_back({r, h, i0});
    std::stable_sort(t.begin(), t.end(), [](const AttnTask& a, const AttnTask& b) { return a.i0 > b.i0; });
    return t;
}

// out (N, H*D) = softmax(q k^T / sqrt(D), causal within run) v ; lse (H, N) saved for backward.
// q (N, H*D), k and v (N, Hkv*D); query head h reads kv head h / (H/Hkv).
template <typename T> void attentionForward(ThreadPool* pool, T* out, T* lse, const T* q, const T* k, const T* v, int64_t N,
                                            const std::vector<Run>& runs, AttnShape a, AttnScratch<T>& scratch) {
    int group = a.H / a.Hkv, qs = a.H * a.D, ks = a.Hkv * a.D;
    T scale = (T)(1.0 / std::sqrt((double)a.D));
    int workers = pool ? pool->size() : 1;
    scratch.s.resize(workers);
    const int RB = attnRowBlock<T>();
    std::vector<AttnTask> tasks = attnTasks(runs, a.H, RB);
    auto task = [&](int t, int worker) {
        const Run& run = runs[tasks[t].run];
        int h = tasks[t].h, g = h / group, L = run.len, i0 = tasks[t].i0;
        AlignedVector<T>& S = scratch.s[worker];
        if (S.size() < (size_t)RB * L) S.resize((size_t)RB * L);
        const T* kg = k + run.start * ks + g * a.D;
        const T* vg = v + run.start * ks + g * a.D;
        int i1 = std::min(L, i0 + RB), rows = i1 - i0;
        const T* qh = q + (run.start + i0) * qs + h * a.D;
        gemm(pool, false, true, rows, i1, a.D, scale, qh, qs, kg, ks, T(0), S.data(), i1);  // (rows, i1)
        for (int r = 0; r < rows; r++) {
            int i = i0 + r;
            T* row = S.data() + (size_t)r * i1;
            T m = maxOf(row, i + 1);
            double sum = expShiftSum(row, i + 1, m);
            T inv = (T)(1.0 / sum);
            for (int j = 0; j <= i; j++) row[j] *= inv;
            for (int j = i + 1; j < i1; j++) row[j] = 0;
            lse[(int64_t)h * N + run.start + i] = m + (T)std::log(sum);
        }
        gemm(pool, false, false, rows, a.D, i1, T(1), S.data(), i1, vg, ks, T(0), out + (run.start + i0) * qs + h * a.D, qs);
    };
    int n = (int)tasks.size();
    if (pool) pool->parallelFor(n, task); else for (int t = 0; t < n; t++) task(t, 0);
}

// dq (N, H*D), dk and dv (N, Hkv*D) are overwritten; softmax is rebuilt from lse (flash-style).
// One task per (run, query head); each writes its own dk/dv share, summed per KV group after.
template <typename T> void attentionBackward(ThreadPool* pool, T* dq, T* dk, T* dv, const T* dout, const T* q, const T* k, const T* v,
                                             const T* lse, int64_t N, const std::vector<Run>& runs, AttnShape a, AttnScratch<T>& scratch) {
    int group = a.H / a.Hkv, qs = a.H * a.D, ks = a.Hkv * a.D;
    T scale = (T)(1.0 / std::sqrt((double)a.D));
    int workers = pool ? pool->size() : 1;
    scratch.s.resize(workers);
    scratch.dp.resize(workers);
    if (scratch.dkh.size() < (size_t)N * qs) scratch.dkh.resize((size_t)N * qs);
    if (scratch.dvh.size() < (size_t)N * qs) scratch.dvh.resize((size_t)N * qs);
    int tasks = (int)runs.size() * a.H;
    const int RB = attnRowBlock<T>();
    auto task = [&](int t, int worker) {
        const Run& run = runs[t / a.H];
        int h = t % a.H, g = h / group, L = run.len;
        AlignedVector<T>& P = scratch.s[worker];
        AlignedVector<T>& dP = scratch.dp[worker];
        if (P.size() < (size_t)RB * L) P.resize((size_t)RB * L);
        if (dP.size() < (size_t)RB * L) dP.resize((size_t)RB * L);
        const T* kg = k + run.start * ks + g * a.D;
        const T* vg = v + run.start * ks + g * a.D;
        T* dkh = scratch.dkh.data() + run.start * qs + h * a.D;  // this head's share, (L, D) with row stride qs
        T* dvh = scratch.dvh.data() + run.start * qs + h * a.D;
        for (int i = 0; i < L; i++) {
            std::memset(dkh + (size_t)i * qs, 0, a.D * sizeof(T));
            std::memset(dvh + (size_t)i * qs, 0, a.D * sizeof(T));
        }
        for (int i0 = 0; i0 < L; i0 += RB) {
            int i1 = std::min(L, i0 + RB), rows = i1 - i0;
            const T* qh = q + (run.start + i0) * qs + h * a.D;
            const T* doh = dout + (run.start + i0) * qs + h * a.D;
            gemm(pool, false, true, rows, i1, a.D, scale, qh, qs, kg, ks, T(0), P.data(), i1);
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                T* row = P.data() + (size_t)r * i1;
                T l = lse[(int64_t)h * N + run.start + i];
                expShiftSum(row, i + 1, l);  // P = exp(S - lse)
                for (int j = i + 1; j < i1; j++) row[j] = 0;
            }
            gemm(pool, false, true, rows, i1, a.D, T(1), doh, qs, vg, ks, T(0), dP.data(), i1);   // dP = dO v^T
            gemm(pool, true, false, i1, a.D, rows, T(1), P.data(), i1, doh, qs, T(1), dvh, qs);   // dv += P^T dO
            for (int r = 0; r < rows; r++) {  // dS = P * (dP - sum_j P dP), into dP
                int i = i0 + r;
                T* p = P.data() + (size_t)r * i1;
                T* d = dP.data() + (size_t)r * i1;
                double dot = 0;
                for (int j = 0; j <= i; j++) dot += (double)p[j] * d[j];
                for (int j = 0; j <= i; j++) d[j] = p[j] * (d[j] - (T)dot);
                for (int j = i + 1; j < i1; j++) d[j] = 0;
            }
            gemm(pool, false, false, rows, a.D, i1, scale, dP.data(), i1, kg, ks, T(0), dq + (run.start + i0) * qs + h * a.D, qs);  // dq = dS k
            gemm(pool, true, false, i1, a.D, rows, scale, dP.data(), i1, qh, qs, T(1), dkh, qs);                                 // dk += dS^T q
        }
    };
    if (pool) pool->parallelFor(tasks, task); else for (int t = 0; t < tasks; t++) task(t, 0);
    // dk, dv of KV head g = sum over its query heads, in head order
    forRows(pool, N, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; i++)
            for (int g = 0; g < a.Hkv; g++) {
                T* dkr = dk + i * ks + g * a.D;
                T* dvr = dv + i * ks + g * a.D;
                const T* sk = scratch.dkh.data() + i * qs + (size_t)g * group * a.D;
                const T* sv = scratch.dvh.data() + i * qs + (size_t)g * group * a.D;
                for (int d = 0; d < a.D; d++) { dkr[d] = sk[d]; dvr[d] = sv[d]; }
                for (int m = 1; m < group; m++)
                    for (int d = 0; d < a.D; d++) { dkr[d] += sk[m * a.D + d]; dvr[d] += sv[m * a.D + d]; }
            }
    });
}

// ---- SwiGLU -------------------------------------------------------------------------------------

// out (N,F) = silu(gate) * up
template <typename T> void swigluForward(ThreadPool* pool, T* out, const T* gate, const T* up, int64_t n) {
    forRows(pool, n, [&](int64_t i0, int64_t i1) { swigluRows(out + i0, gate + i0, up + i0, i1 - i0); });
}
// dgate, dup (N,F) overwritten
template <typename T> void swigluBackward(ThreadPool* pool, T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t n) {
    // dup = dout g s ; dgate = dout u s (1 + g (1 - s)), s = sigmoid(g)
    forRows(pool, n, [&](int64_t i0, int64_t i1) { swigluBackwardRows(dgate + i0, dup + i0, dout + i0, gate + i0, up + i0, i1 - i0); });
}

// ---- linear projection with LoRA ----------------------------------------------------------------

// y = x W^T + bias + scale * (dropout(x) A^T) B^T ; W (O,I), A (r,I), B (O,r); LoRA part optional.
template <typename T> struct Linear {
    typename WeightOf<T>::type w{};
    const T* bias = nullptr;
    int in = 0, out = 0;
    // LoRA, when a != nullptr
    const T* a = nullptr;
    const T* b = nullptr;
    T* da = nullptr;
    T* db = nullptr;
    int rank = 0;
    T scale = 0;
    Dropout dropout;
};

// y (N,O) ; xd (N,I) receives dropout(x) when dropout is on (else unused) ; h (N,r) = xd A^T
template <typename T> void linearForward(ThreadPool* pool, T* y, T* h, T* xd, const T* x, const Linear<T>& L, int64_t N) {
    gemmW(pool, true, (int)N, L.out, L.in, T(1), x, L.in, L.w, T(0), y, L.out);
    if (L.bias)
        forRows(pool, N, [&](int64_t i0, int64_t i1) {
            for (int64_t i = i0; i < i1; i++)
                for (int o = 0; o < L.out; o++) y[i * L.out + o] += L.bias[o];
        });
    if (!L.a) return;
    const T* xin = x;
    if (L.dropout.p > 0) {
        int64_t n = N * L.in;
        forRows(pool, n, [&](int64_t i0, int64_t i1) {
            for (int64_t i = i0; i < i1; i++) xd[i] = x[i] * L.dropout.template factor<T>((uint64_t)i);
        });
        xin = xd;
    }
    gemm(pool, false, true, (int)N, L.rank, L.in, T(1), xin, L.in, L.a, L.in, T(0), h, L.rank);
    gemm(pool, false, true, (int)N, L.out, L.rank, L.scale, h, L.rank, L.b, L.rank, T(1), y, L.out);
}

// dx (N,I) = dxBeta dx + d/dx (dxBeta 0: dx is written, never read, so it needs no clearing) ;
// da (r,I), db (O,r) += ; dh (N,r) and dxl (N,I) are scratch
template <typename T> void linearBackward(ThreadPool* pool, T* dx, T dxBeta, const T* dy, const T* x, const T* xd, const T* h, const Linear<T>& L,
                                          int64_t N, T* dh, T* dxl) {
    gemmW(pool, false, (int)N, L.in, L.out, T(1), dy, L.out, L.w, dxBeta, dx, L.in);
    if (!L.a) return;
    const T* xin = L.dropout.p > 0 ? xd : x;
    gemm(pool, true, false, L.out, L.rank, (int)N, L.scale, dy, L.out, h, L.rank, T(1), L.db, L.rank);   // db += s dy^T h
    gemm(pool, false, false, (int)N, L.rank, L.out, L.scale, dy, L.out, L.b, L.rank, T(0), dh, L.rank);  // dh = s dy B
    gemm(pool, true, false, L.rank, L.in, (int)N, T(1), dh, L.rank, xin, L.in, T(1), L.da, L.in);        // da += dh^T xd
    if (L.dropout.p > 0) {
        gemm(pool, false, false, (int)N, L.in, L.rank, T(1), dh, L.rank, L.a, L.in, T(0), dxl, L.in);
        int64_t n = N * L.in;
        forRows(pool, n, [&](int64_t i0, int64_t i1) {
            for (int64_t i = i0; i < i1; i++) dx[i] += dxl[i] * L.dropout.template factor<T>((uint64_t)i);
        });
    } else {
        gemm(pool, false, false, (int)N, L.in, L.rank, T(1), dh, L.rank, L.a, L.in, T(1), dx, L.in);
    }
}

// ---- output head + cross-entropy, chunked over the vocabulary ------------------------------------

template <typename T> struct CrossEntropyScratch { AlignedVector<T> logits, m, s, tl; };

// Rows are positions that have a target. For each vocabulary chunk: logits = xn E_c^T (Nt, Vc);
// an online softmax keeps the running max m and sum s, and, when dxn is wanted, the running
// softmax-weighted sum of E rows (rescaled as m grows), so dxn = acc / s - E[target] needs no
// second pass and the (Nt, V) logits never exist.
// dxn (Nt,C) overwritten (may be null: loss only); loss (Nt) per-row cross-entropy; returns sum.
template <typename T> double crossEntropyForwardBackward(ThreadPool* pool, T* dxn, T* loss, const T* xn, const typename WeightOf<T>::type& E, const int32_t* targets,
                                                         int64_t Nt, int C, int V, int chunk, CrossEntropyScratch<T>& sc) {
    if (Nt == 0) return 0;
    sc.logits.resize((size_t)Nt * chunk);
    sc.m.assign(Nt, -std::numeric_limits<T>::infinity());
    sc.s.assign(Nt, T(0));
    sc.tl.assign(Nt, T(0));
    if (dxn) std::memset(dxn, 0, (size_t)Nt * C * sizeof(T));
    for (int v0 = 0; v0 < V; v0 += chunk) {
        int vc = std::min(chunk, V - v0);
        T* lg = sc.logits.data();
        auto Ec = weightRows(E, v0, vc, C);
        gemmW(pool, true, (int)Nt, vc, C, T(1), xn, C, Ec, T(0), lg, vc);
        forRows(pool, Nt, [&](int64_t i0, int64_t i1) {
            for (int64_t i = i0; i < i1; i++) {
                T* row = lg + i * vc;
                T mc = maxOf(row, vc);
                T mNew = std::max(sc.m[i], mc);
                T rescale = std::exp(sc.m[i] - mNew);
                int t = targets[i] - v0;
                if (t >= 0 && t < vc) sc.tl[i] = row[t];
                double sum = expShiftSum(row, vc, mNew);
                sc.s[i] = sc.s[i] * rescale + (T)sum;
                sc.m[i] = mNew;
                if (dxn && rescale != T(1))
                    for (int c = 0; c < C; c++) dxn[i * C + c] *= rescale;
            }
        });
        if (dxn) gemmW(pool, false, (int)Nt, C, vc, T(1), lg, vc, Ec, T(1), dxn, C);
    }
    double total = 0;
    for (int64_t i = 0; i < Nt; i++) {
        loss[i] = sc.m[i] + std::log(sc.s[i]) - sc.tl[i];
        total += loss[i];
    }
    if (dxn)
        forRows(pool, Nt, [&](int64_t i0, int64_t i1) {
            std::vector<T> et(C);
            for (int64_t i = i0; i < i1; i++) {
                T inv = T(1) / sc.s[i];
                weightRow(E, targets[i], C, et.data());
                for (int c = 0; c < C; c++) dxn[i * C + c] = dxn[i * C + c] * inv - et[c];
            }
        });
    return total;
}

}  // namespace ditto
