#include "Engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "GemmBf16.h"

namespace ditto {

static const char* const targetNames[NumTargets] = {"q", "k", "v", "o", "gate", "up", "down"};
// Vocabulary rows per chunk of the output head. Not a power of two: logits rows 8192 floats apart
// all fall in one L1 cache set, which cost the head product ~15% (native/test/weight_gemm_bench).
static constexpr int vocabChunk = 8064;

// Everything one layer's forward produces that its backward reads. One per cached layer, plus one
// shared by the layers that are recomputed.
struct Engine::LayerActs {
    AlignedVector<float> xn1, rstd1, qraw, qrstd, kraw, krstd, q, k, v, lse, att, x1, xn2, rstd2, g, u, act;
    AlignedVector<float> h[NumTargets], xd[NumTargets];
};

// Transients of the forward and all of the backward, shared by every layer.
struct Engine::Scratch {
    AlignedVector<float> o, down;
    AlignedVector<float> dxn, dq, dk, dv, dqraw, dkraw, datt, dg, du, dact, dh, dxl;
    AttnScratch<float> attn;
    AlignedVector<float> xs;  // the layer inputs, (nLayer + 1) x N x C
    CrossEntropyScratch<float> ce;
};

static std::string outOfMemory(double bytes) {
    char gb[32];
    std::snprintf(gb, sizeof gb, "%.2f", bytes / 1e9);
    return std::string("out of memory: the training engine could not allocate ") + gb +
           " GB for a batch buffer; lower --batch-size, --seq-len or --activation-memory (or close other programs)";
}

// Grows a buffer; out of memory names the size and the fix (the buffer keeps its old contents, so
// the engine stays usable with a smaller batch).
static void fill(AlignedVector<float>& v, size_t n) {
    if (v.size() >= n) return;
    try {
        AlignedVector<float> grown(n, 0.0f);
        v.swap(grown);
    } catch (const std::bad_alloc&) {
        throw std::runtime_error(outOfMemory((double)n * sizeof(float)));
    } catch (const std::length_error&) {
        throw std::runtime_error(outOfMemory((double)n * sizeof(float)));
    }
}

Engine::Engine(const EngineOptions& o) : opts(o) {
    if (o.rank <= 0) throw std::runtime_error("LoRA rank must be a positive integer, got " + std::to_string(o.rank));
    if (o.dropout < 0 || o.dropout >= 1) throw std::runtime_error("LoRA dropout must be in [0, 1), got " + std::to_string(o.dropout));
    if ((o.targets & 0x7f) == 0) throw std::runtime_error("LoRA needs at least one target among q, k, v, o, gate, up, down");
    if (o.bf16) {
        std::string why = bf16Unavailable();
        if (!why.empty()) throw std::runtime_error(why);
    }
    model = loadModel(o.modelPath);
    bf16Products = o.bf16 && markBf16Products(*model);
    int threads = o.threads > 0 ? o.threads : (int)std::max(1u, std::thread::hardware_concurrency());
    pool = std::make_unique<ThreadPool>(threads);
    const HParams& hp = model->hp;
    loraScale = o.alpha / (float)o.rank;
    int64_t off = 0;
    pairIndex.assign((size_t)hp.nLayer * NumTargets, -1);
    for (int l = 0; l < hp.nLayer; l++)
        for (int t = 0; t < NumTargets; t++) {
            if (!(o.targets & (1u << t))) continue;
            int in = 0, out = 0;
            switch (t) {
                case TQ: in = hp.nEmbd; out = hp.qDim(); break;
                case TK: case TV: in = hp.nEmbd; out = hp.kvDim(); break;
                case TO: in = hp.qDim(); out = hp.nEmbd; break;
                case TGate: case TUp: in = hp.nEmbd; out = hp.nFf; break;
                case TDown: in = hp.nFf; out = hp.nEmbd; break;
            }
            LoraPairInfo p{l, t, in, out, off, off + (int64_t)o.rank * in};
            off = p.offB + (int64_t)out * o.rank;
            pairIndex[(size_t)l * NumTargets + t] = (int)pairInfo.size();
            pairInfo.push_back(p);
        }
    weights.assign(off, 0.0f);
    grads.assign(off, 0.0f);
    adamM.assign(off, 0.0f);
    adamV.assign(off, 0.0f);
    // A ~ U(-1/sqrt(nIn), 1/sqrt(nIn)) (kaiming-uniform with a = sqrt(5), as PEFT), B = 0 so the
    // adapter starts as the identity; each pair's stream depends only on (seed, layer, target).
    for (const LoraPairInfo& p : pairInfo) {
        float bound = 1.0f / std::sqrt((float)p.nIn);
        uint64_t key = mix64(o.seed ^ mix64(0xA11CE + (uint64_t)p.layer * NumTargets + p.target));
        float* a = weights.data() + p.offA;
        for (int64_t i = 0; i < (int64_t)o.rank * p.nIn; i++) {
            double u = (double)(mix64(key + (uint64_t)i) >> 11) * (1.0 / 9007199254740992.0);
            a[i] = (float)((2 * u - 1) * bound);
        }
    }
    scratch = std::make_shared<Scratch>();
    shared = std::make_shared<LayerActs>();
}

// floats per token of one layer's cached activations (must match ensureLayerActs)
int64_t Engine::layerActsFloatsPerToken() const {
    const HParams& hp = model->hp;
    int64_t C = hp.nEmbd, Q = hp.qDim(), KV = hp.kvDim(), F = hp.nFf;
    int64_t n = 3 * C + 2 + 2 * Q + 2 * KV + hp.nHead + 3 * F;  // xn1 x1 xn2, rstd1 rstd2, q att, k v, lse, g u act
    if (hp.arch == Arch::Qwen3) n += Q + KV + hp.nHead + hp.nHeadKv;
    for (int t = 0; t < NumTargets; t++) {
        if (!(opts.targets & (1u << t))) continue;
        n += opts.rank;
        if (opts.dropout > 0) n += t == TO ? Q : t == TDown ? F : C;
    }
    return n;
}

void Engine::ensureLayerActs(LayerActs& a, int64_t N) {
    const HParams& hp = model->hp;
    size_t C = hp.nEmbd, Q = hp.qDim(), KV = hp.kvDim(), F = hp.nFf;
    fill(a.xn1, N * C); fill(a.rstd1, N); fill(a.q, N * Q); fill(a.k, N * KV); fill(a.v, N * KV);
    if (hp.arch == Arch::Qwen3) {
        fill(a.qraw, N * Q); fill(a.kraw, N * KV); fill(a.qrstd, N * hp.nHead); fill(a.krstd, N * hp.nHeadKv);
    }
    fill(a.lse, N * hp.nHead); fill(a.att, N * Q); fill(a.x1, N * C); fill(a.xn2, N * C); fill(a.rstd2, N);
    fill(a.g, N * F); fill(a.u, N * F); fill(a.act, N * F);
    for (int t = 0; t < NumTargets; t++) {
        if (!(opts.targets & (1u << t))) continue;
        fill(a.h[t], N * opts.rank);
        if (opts.dropout > 0) fill(a.xd[t], N * (t == TO ? Q : t == TDown ? F : C));
    }
}

void Engine::ensureScratch(int64_t N) {
    const HParams& hp = model->hp;
    Scratch& s = *scratch;
    size_t C = hp.nEmbd, Q = hp.qDim(), KV = hp.kvDim(), F = hp.nFf;
    size_t maxIn = std::max(C, std::max(Q, F));
    fill(s.o, N * C); fill(s.down, N * C);
    if (hp.arch == Arch::Qwen3) { fill(s.dqraw, N * Q); fill(s.dkraw, N * KV); }
    fill(s.dxn, N * C); fill(s.dq, N * Q); fill(s.dk, N * KV); fill(s.dv, N * KV); fill(s.datt, N * Q);
    fill(s.dg, N * F); fill(s.du, N * F); fill(s.dact, N * F); fill(s.dh, N * opts.rank); fill(s.dxl, N * maxIn);
    ensureLayerActs(*shared, N);
}

Engine::Batch Engine::prepare(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments, bool needTargets) {
    return BatchLayout::build(model->hp.nVocab, batch, seqLen, tokens, targets, segments, needTargets, false);
}

Linear<float> Engine::linear(int layer, int t, bool training) {
    const HParams& hp = model->hp;
    const LayerWeights& w = model->layers[layer];
    Linear<float> L;
    switch (t) {
        case TQ: L.w = w.wq; L.bias = w.bq.empty() ? nullptr : w.bq.data(); L.in = hp.nEmbd; L.out = hp.qDim(); break;
        case TK: L.w = w.wk; L.bias = w.bk.empty() ? nullptr : w.bk.data(); L.in = hp.nEmbd; L.out = hp.kvDim(); break;
        case TV: L.w = w.wv; L.bias = w.bv.empty() ? nullptr : w.bv.data(); L.in = hp.nEmbd; L.out = hp.kvDim(); break;
        case TO: L.w = w.wo; L.in = hp.qDim(); L.out = hp.nEmbd; break;
        case TGate: L.w = w.wGate; L.in = hp.nEmbd; L.out = hp.nFf; break;
        case TUp: L.w = w.wUp; L.in = hp.nEmbd; L.out = hp.nFf; break;
        case TDown: L.w = w.wDown; L.in = hp.nFf; L.out = hp.nEmbd; break;
    }
    int pi = pairIndex[(size_t)layer * NumTargets + t];
    if (pi >= 0) {
        const LoraPairInfo& p = pairInfo[pi];
        L.a = weights.data() + p.offA;
        L.b = weights.data() + p.offB;
        L.da = grads.data() + p.offA;
        L.db = grads.data() + p.offB;
        L.rank = opts.rank;
        L.scale = loraScale;
        if (training && opts.dropout > 0) {
            L.dropout.p = opts.dropout;
            L.dropout.key = mix64(opts.seed ^ mix64(rng * 0x100000001b3ULL + (uint64_t)layer * NumTargets + t + 1));
        }
    }
    return L;
}

// out (N,C) = layer(x (N,C)); fills acts for the backward
void Engine::layerForward(int l, const float* x, float* out, const Batch& b, bool training, LayerActs& a) {
    const HParams& hp = model->hp;
    const LayerWeights& w = model->layers[l];
    Scratch& sc = *scratch;
    ThreadPool* p = pool.get();
    int64_t N = b.N;
    int C = hp.nEmbd, H = hp.nHead, Hkv = hp.nHeadKv, D = hp.headDim;
    bool qkNorm = hp.arch == Arch::Qwen3;
    rmsnormForward(p, a.xn1.data(), a.rstd1.data(), x, w.attnNorm.data(), N, C, hp.normEps);
    linearForward(p, qkNorm ? a.qraw.data() : a.q.data(), a.h[TQ].data(), a.xd[TQ].data(), a.xn1.data(), linear(l, TQ, training), N);
    linearForward(p, qkNorm ? a.kraw.data() : a.k.data(), a.h[TK].data(), a.xd[TK].data(), a.xn1.data(), linear(l, TK, training), N);
    linearForward(p, a.v.data(), a.h[TV].data(), a.xd[TV].data(), a.xn1.data(), linear(l, TV, training), N);
    if (qkNorm) {  // Qwen3: RMSNorm over each head's vector before RoPE
        rmsnormForward(p, a.q.data(), a.qrstd.data(), a.qraw.data(), w.qNorm.data(), N * H, D, hp.normEps);
        rmsnormForward(p, a.k.data(), a.krstd.data(), a.kraw.data(), w.kNorm.data(), N * Hkv, D, hp.normEps);
    }
    ropeForward(p, a.q.data(), b.pos.data(), N, H, D, hp.rope);
    ropeForward(p, a.k.data(), b.pos.data(), N, Hkv, D, hp.rope);
    attentionForward(p, a.att.data(), a.lse.data(), a.q.data(), a.k.data(), a.v.data(), N, b.runs, AttnShape{H, Hkv, D}, sc.attn);
    linearForward(p, sc.o.data(), a.h[TO].data(), a.xd[TO].data(), a.att.data(), linear(l, TO, training), N);
    forRows(p, N * C, [&](int64_t i0, int64_t i1) { for (int64_t i = i0; i < i1; i++) a.x1[i] = x[i] + sc.o[i]; });
    rmsnormForward(p, a.xn2.data(), a.rstd2.data(), a.x1.data(), w.ffnNorm.data(), N, C, hp.normEps);
    linearForward(p, a.g.data(), a.h[TGate].data(), a.xd[TGate].data(), a.xn2.data(), linear(l, TGate, training), N);
    linearForward(p, a.u.data(), a.h[TUp].data(), a.xd[TUp].data(), a.xn2.data(), linear(l, TUp, training), N);
    swigluForward(p, a.act.data(), a.g.data(), a.u.data(), N * hp.nFf);
    linearForward(p, sc.down.data(), a.h[TDown].data(), a.xd[TDown].data(), a.act.data(), linear(l, TDown, training), N);
    forRows(p, N * C, [&](int64_t i0, int64_t i1) { for (int64_t i = i0; i < i1; i++) out[i] = a.x1[i] + sc.down[i]; });
}

// dx (N,C): in, the gradient at the layer's output; out, at its input x. Needs layerForward(l, x) just before.
void Engine::layerBackward(int l, float* dx, const float* x, const Batch& b, LayerActs& a) {
    const HParams& hp = model->hp;
    const LayerWeights& w = model->layers[l];
    Scratch& sc = *scratch;
    ThreadPool* p = pool.get();
    int64_t N = b.N;
    int C = hp.nEmbd, H = hp.nHead, Hkv = hp.nHeadKv, D = hp.headDim, F = hp.nFf;
    bool qkNorm = hp.arch == Arch::Qwen3;
    auto zero = [&](AlignedVector<float>& v, int64_t n) { std::memset(v.data(), 0, n * sizeof(float)); };
    (void)sc;
    // MLP: out = x1 + down(swiglu(gate(xn2), up(xn2)))
    linearBackward(p, sc.dact.data(), 0.0f, dx, a.act.data(), a.xd[TDown].data(), a.h[TDown].data(), linear(l, TDown, true), N, sc.dh.data(), sc.dxl.data());
    swigluBackward(p, sc.dg.data(), sc.du.data(), sc.dact.data(), a.g.data(), a.u.data(), N * F);
    linearBackward(p, sc.dxn.data(), 0.0f, sc.dg.data(), a.xn2.data(), a.xd[TGate].data(), a.h[TGate].data(), linear(l, TGate, true), N, sc.dh.data(), sc.dxl.data());
    linearBackward(p, sc.dxn.data(), 1.0f, sc.du.data(), a.xn2.data(), a.xd[TUp].data(), a.h[TUp].data(), linear(l, TUp, true), N, sc.dh.data(), sc.dxl.data());
    rmsnormBackward<float>(p, dx, nullptr, sc.dxn.data(), a.x1.data(), w.ffnNorm.data(), a.rstd2.data(), N, C);  // dx is now d x1
    // attention: x1 = x + o(attn(rope(q), rope(k), v))
    linearBackward(p, sc.datt.data(), 0.0f, dx, a.att.data(), a.xd[TO].data(), a.h[TO].data(), linear(l, TO, true), N, sc.dh.data(), sc.dxl.data());
    attentionBackward(p, sc.dq.data(), sc.dk.data(), sc.dv.data(), sc.datt.data(), a.q.data(), a.k.data(), a.v.data(), a.lse.data(), N, b.runs,
                      AttnShape{H, Hkv, D}, sc.attn);
    ropeBackward(p, sc.dq.data(), b.pos.data(), N, H, D, hp.rope);
    ropeBackward(p, sc.dk.data(), b.pos.data(), N, Hkv, D, hp.rope);
    float* dqIn = sc.dq.data();
    float* dkIn = sc.dk.data();
    if (qkNorm) {
        zero(sc.dqraw, N * hp.qDim());
        zero(sc.dkraw, N * hp.kvDim());
        rmsnormBackward<float>(p, sc.dqraw.data(), nullptr, sc.dq.data(), a.qraw.data(), w.qNorm.data(), a.qrstd.data(), N * H, D);
        rmsnormBackward<float>(p, sc.dkraw.data(), nullptr, sc.dk.data(), a.kraw.data(), w.kNorm.data(), a.krstd.data(), N * Hkv, D);
        dqIn = sc.dqraw.data();
        dkIn = sc.dkraw.data();
    }
    linearBackward(p, sc.dxn.data(), 0.0f, dqIn, a.xn1.data(), a.xd[TQ].data(), a.h[TQ].data(), linear(l, TQ, true), N, sc.dh.data(), sc.dxl.data());
    linearBackward(p, sc.dxn.data(), 1.0f, dkIn, a.xn1.data(), a.xd[TK].data(), a.h[TK].data(), linear(l, TK, true), N, sc.dh.data(), sc.dxl.data());
    linearBackward(p, sc.dxn.data(), 1.0f, sc.dv.data(), a.xn1.data(), a.xd[TV].data(), a.h[TV].data(), linear(l, TV, true), N, sc.dh.data(), sc.dxl.data());
    rmsnormBackward<float>(p, dx, nullptr, sc.dxn.data(), x, w.attnNorm.data(), a.rstd1.data(), N, C);
}

LossResult Engine::run(const Batch& b, const int32_t* targets, bool training) {
    const HParams& hp = model->hp;
    ensureScratch(b.N);
    Scratch& sc = *scratch;
    ThreadPool* p = pool.get();
    int64_t N = b.N;
    int C = hp.nEmbd, nL = hp.nLayer;
    // Layers whose activations fit the budget keep them from the forward (the last ones, first
    // needed by the backward); the rest keep only their input and are recomputed in the backward.
    int keep = 0;
    if (training) {
        double perLayer = (double)layerActsFloatsPerToken() * N * sizeof(float);
        keep = (int)std::min<double>(nL, std::floor((double)opts.activationBudgetBytes / perLayer));
        if ((int)cached.size() < keep) cached.resize(keep);
        for (int i = 0; i < keep; i++) {
            if (!cached[i]) cached[i] = std::make_shared<LayerActs>();
            ensureLayerActs(*cached[i], N);
        }
    }
    auto actsFor = [&](int l) -> LayerActs& { return l >= nL - keep ? *cached[l - (nL - keep)] : *shared; };
    // layer inputs are kept only when training; evaluation ping-pongs between two slots
    fill(sc.xs, (size_t)(training ? nL + 1 : 2) * N * C);
    auto slot = [&](int l) { return sc.xs.data() + (size_t)(training ? l : l % 2) * N * C; };
    embeddingForward<float>(p, slot(0), b.tokens.data(), model->tokenEmbd, N, C);
    for (int l = 0; l < nL; l++) layerForward(l, slot(l), slot(l + 1), b, training, actsFor(l));
    // final norm + head + loss on the positions that have a target only
    std::vector<int64_t> rows;
    std::vector<int32_t> tgt;
    for (int64_t i = 0; i < N; i++)
        if (targets[i] >= 0) { rows.push_back(i); tgt.push_back(targets[i]); }
    int64_t Nt = (int64_t)rows.size();
    LossResult r;
    r.tokens = Nt;
    if (Nt == 0) return r;
    AlignedVector<float> xg((size_t)Nt * C), xng((size_t)Nt * C), rstd(Nt), loss(Nt);
    const float* xL = slot(nL);
    for (int64_t i = 0; i < Nt; i++) std::memcpy(xg.data() + i * C, xL + rows[i] * C, C * sizeof(float));
    rmsnormForward(p, xng.data(), rstd.data(), xg.data(), model->outputNorm.data(), Nt, C, hp.normEps);
    AlignedVector<float> dxng(training ? (size_t)Nt * C : 0);
    r.lossSum = crossEntropyForwardBackward<float>(p, training ? dxng.data() : (float*)nullptr, loss.data(), xng.data(), model->head(), tgt.data(), Nt, C,
                                            hp.nVocab, vocabChunk, sc.ce);
    if (!training) return r;
    AlignedVector<float> dxg((size_t)Nt * C, 0.0f);
    rmsnormBackward<float>(p, dxg.data(), nullptr, dxng.data(), xg.data(), model->outputNorm.data(), rstd.data(), Nt, C);
    AlignedVector<float> dx((size_t)N * C, 0.0f);
    for (int64_t i = 0; i < Nt; i++) std::memcpy(dx.data() + rows[i] * C, dxg.data() + i * C, C * sizeof(float));
    AlignedVector<float> scratchOut((size_t)N * C);
    for (int l = nL - 1; l >= 0; l--) {
        LayerActs& a = actsFor(l);
        if (l < nL - keep) layerForward(l, slot(l), scratchOut.data(), b, true, a);  // recompute this layer's activations
        layerBackward(l, dx.data(), slot(l), b, a);
    }
    return r;
}

LossResult Engine::accumulate(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments) {
    Batch b = prepare(batch, seqLen, tokens, targets, segments, true);
    LossResult r = run(b, targets, true);
    rng++;
    return r;
}

LossResult Engine::evaluate(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments) {
    Batch b = prepare(batch, seqLen, tokens, targets, segments, true);
    return run(b, targets, false);
}

double Engine::optimizerStep(const AdamWSettings& s) {
    if (!(s.gradScale > 0)) throw std::runtime_error("optimizerStep: gradScale must be > 0 (the number of target tokens accumulated), got " + std::to_string(s.gradScale));
    int64_t n = (int64_t)weights.size();
    double inv = 1.0 / s.gradScale;
    // Fixed blocks, their partial sums added in block order: the norm (and so every update) is
    // the same bits whatever the thread count, and both threads share the work.
    constexpr int64_t block = 1 << 15;
    int blocks = (int)((n + block - 1) / block);
    std::vector<double> partial(blocks, 0.0);
    auto blockRange = [&](int bl, int64_t& i0, int64_t& i1) { i0 = (int64_t)bl * block; i1 = std::min(n, i0 + block); };
    auto forBlocks = [&](auto&& fn) {
        if (blocks > 1) pool->parallelFor(blocks, [&](int bl, int) { fn(bl); });
        else if (blocks == 1) fn(0);
    };
    forBlocks([&](int bl) {
        int64_t i0, i1;
        blockRange(bl, i0, i1);
        double sq = 0;
        for (int64_t i = i0; i < i1; i++) { double g = grads[i] * inv; sq += g * g; }
        partial[bl] = sq;
    });
    double sq = 0;
    for (double v : partial) sq += v;
    double norm = std::sqrt(sq);
    if (!std::isfinite(norm)) throw std::runtime_error("gradient norm is not finite (" + std::to_string(norm) + "); lower the learning rate or check the data");
    double clipScale = (s.clip > 0 && norm > s.clip) ? s.clip / (norm + 1e-6) : 1.0;
    step++;
    double bc1 = 1 - std::pow((double)s.beta1, (double)step), bc2 = 1 - std::pow((double)s.beta2, (double)step);
    float gmul = (float)(inv * clipScale);
    float decay = 1.0f - s.lr * s.weightDecay;  // decoupled: shrink first, then the Adam step (as torch.optim.AdamW)
    float stepSize = (float)(s.lr / bc1);
    float bc2sqrt = (float)std::sqrt(bc2);
    forBlocks([&](int bl) {
        int64_t i0, i1;
        blockRange(bl, i0, i1);
        for (int64_t i = i0; i < i1; i++) {
            float g = grads[i] * gmul;
            adamM[i] = s.beta1 * adamM[i] + (1 - s.beta1) * g;
            adamV[i] = s.beta2 * adamV[i] + (1 - s.beta2) * g * g;
            weights[i] = weights[i] * decay - stepSize * adamM[i] / (std::sqrt(adamV[i]) / bc2sqrt + s.eps);
            grads[i] = 0;
        }
    });
    return norm;
}

void Engine::logits(int n, const int32_t* tokens, float* out) {
    std::vector<int32_t> seg(n, 0), tgt(n, -1);
    Batch b = prepare(1, n, tokens, tgt.data(), seg.data(), false);
    const HParams& hp = model->hp;
    ensureScratch(b.N);
    Scratch& sc = *scratch;
    ThreadPool* p = pool.get();
    int C = hp.nEmbd;
    fill(sc.xs, (size_t)2 * n * C);
    float* x0 = sc.xs.data();
    float* x1 = sc.xs.data() + (size_t)n * C;
    embeddingForward<float>(p, x0, b.tokens.data(), model->tokenEmbd, n, C);
    for (int l = 0; l < hp.nLayer; l++) {
        layerForward(l, x0, x1, b, false, *shared);
        std::swap(x0, x1);
    }
    AlignedVector<float> xn((size_t)n * C), rstd(n);
    rmsnormForward(p, xn.data(), rstd.data(), x0, model->outputNorm.data(), n, C, hp.normEps);
    gemmWeight(p, true, n, hp.nVocab, C, 1.0f, xn.data(), C, model->head(), 0.0f, out, hp.nVocab);
}

}  // namespace ditto
