#include "engine/CudaEngine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "GgufFile.h"
#include "LoraLayout.h"
#include "kernels/AdamW.cuh"
#include "kernels/Attention.cuh"
#include "kernels/CrossEntropy.cuh"
#include "kernels/Elementwise.cuh"

namespace ditto::cuda {

namespace {

// Logits of one vocabulary chunk are (target rows x chunk) floats: keep them near 256 MB.
int vocabChunkFor(int64_t rows, int nVocab) {
    int64_t chunk = (int64_t)(256ll << 20) / 4 / std::max<int64_t>(1, rows);
    chunk = std::max<int64_t>(1024, std::min<int64_t>(chunk, 65536));
    chunk = chunk / 128 * 128;
    return (int)std::min<int64_t>(chunk, nVocab);
}

// Waits for the stream; a kernel that failed to launch (bad configuration, too much shared
// memory) is reported by cudaGetLastError, one that failed while running by the synchronize.
void finish(cudaStream_t stream, const char* what) {
    check(cudaGetLastError(), what);
    check(cudaStreamSynchronize(stream), what);
}

bool isDecodedAtLoad(uint32_t type) { return type == GGML_F32 || type == GGML_F16 || type == GGML_BF16; }

RopeDevice ropeDevice(const HParams& hp, const float* factors) {
    RopeDevice r;
    r.mode = hp.rope.mode == RopeMode::Neox ? 1 : 0;
    r.nRot = hp.rope.nRot;
    r.base = hp.rope.base;
    r.freqScale = hp.rope.freqScale;
    r.freqFactors = factors;
    return r;
}

}  // namespace

CudaEngine::CudaEngine(const Model& model, const EngineOptions& o) : hp(model.hp), opts(o) {
    if (o.rank <= 0) throw std::runtime_error("LoRA rank must be a positive integer, got " + std::to_string(o.rank));
    if (o.dropout < 0 || o.dropout >= 1) throw std::runtime_error("LoRA dropout must be in [0, 1), got " + std::to_string(o.dropout));
    if ((o.targets & 0x7f) == 0) throw std::runtime_error("LoRA needs at least one target among q, k, v, o, gate, up, down");
    check(cudaStreamCreate(&stream), "cudaStreamCreate");
    check(cudaStreamCreate(&side), "cudaStreamCreate");
    for (int s = 0; s < 2; s++) {
        check(cudaEventCreate(&slotReady[s]), "cudaEventCreate");
        check(cudaEventCreate(&slotFree[s]), "cudaEventCreate");
    }
    gemmEngine = std::make_unique<GemmEngine>();

    auto uploadBytes = [&](const void* src, size_t bytes, const char* what) -> void* {
        owned.emplace_back();
        void* p = owned.back().ensure(bytes, what);
        check(cudaMemcpy(p, src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy (weights)");
        return p;
    };
    auto uploadVector = [&](const std::vector<float>& v, const char* what) -> const float* {
        return v.empty() ? nullptr : static_cast<const float*>(uploadBytes(v.data(), v.size() * sizeof(float), what));
    };
    // F32/F16/BF16 become bf16 once; quantized matrices stay in their file encoding.
    auto uploadMatrix = [&](const WeightMatrix& w, const char* what) -> DeviceWeight {
        size_t bytes = w.rowBytes * (size_t)w.rows;
        DeviceWeight raw{static_cast<const uint8_t*>(uploadBytes(w.data, bytes, what)), w.type, w.rows, w.cols, w.rowBytes};
        if (!isDecodedAtLoad(w.type)) return raw;
        if (w.type == GGML_BF16) return raw;
        DeviceBuffer converted;
        bf16* out = static_cast<bf16*>(converted.ensure((size_t)w.rows * w.cols * sizeof(bf16), what));
        dequantRows(stream, out, raw, 0, w.rows);
        check(cudaStreamSynchronize(stream), "converting weights to bf16");
        owned.pop_back();  // the raw copy
        owned.push_back(std::move(converted));
        return DeviceWeight{reinterpret_cast<const uint8_t*>(out), (uint32_t)GGML_BF16, w.rows, w.cols, (size_t)w.cols * sizeof(bf16)};
    };

    tokenEmbd = uploadMatrix(model.tokenEmbd, "token embeddings");
    if (!hp.tiedOutput) output = uploadMatrix(model.output, "output head");
    outputNorm = uploadVector(model.outputNorm, "output norm");
    if (hp.rope.freqFactors) {
        std::vector<float> f(hp.rope.freqFactors, hp.rope.freqFactors + hp.rope.nRot / 2);
        ropeFactors = uploadVector(f, "rope factors");
    }
    hp.rope.freqFactors = nullptr;  // the host pointer belongs to the loader's model
    // Slot layout (also a decoded layer's fused block): the seven matrices in target order.
    int64_t slotElems = 0;
    auto matrices = [](const LayerWeights& src) {
        return std::array<const WeightMatrix*, NumTargets>{&src.wq, &src.wk, &src.wv, &src.wo, &src.wGate, &src.wUp, &src.wDown};
    };
    for (int t = 0; t < NumTargets; t++) {
        slotOffset[t] = slotElems;
        if (hp.nLayer > 0) slotElems += (int64_t)matrices(model.layers[0])[t]->rows * matrices(model.layers[0])[t]->cols;
    }
    slotOffset[NumTargets] = slotElems;
    layers.resize(hp.nLayer);
    for (int l = 0; l < hp.nLayer; l++) {
        const LayerWeights& src = model.layers[l];
        Layer& L = layers[l];
        auto ws = matrices(src);
        L.quantized = std::any_of(ws.begin(), ws.end(), [](const WeightMatrix* w) { return !isDecodedAtLoad(w->type); });
        if (L.quantized) {
            for (int t = 0; t < NumTargets; t++) L.w[t] = uploadMatrix(*ws[t], "layer weights");
        } else {
            owned.emplace_back();
            bf16* block = static_cast<bf16*>(owned.back().ensure((size_t)slotElems * sizeof(bf16), "layer weights"));
            for (int t = 0; t < NumTargets; t++) {
                const WeightMatrix& w = *ws[t];
                if ((int64_t)w.rows * w.cols != slotOffset[t + 1] - slotOffset[t])
                    throw std::runtime_error("layer " + std::to_string(l) + ": a weight's shape differs from layer 0's");
                bf16* dst = block + slotOffset[t];
                if (w.type == GGML_BF16 && w.rowBytes == (size_t)w.cols * sizeof(bf16)) {
                    check(cudaMemcpy(dst, w.data, w.rowBytes * (size_t)w.rows, cudaMemcpyHostToDevice), "cudaMemcpy (weights)");
                } else {
                    DeviceBuffer raw;
                    size_t bytes = w.rowBytes * (size_t)w.rows;
                    void* p = raw.ensure(bytes, "layer weights");
                    check(cudaMemcpy(p, w.data, bytes, cudaMemcpyHostToDevice), "cudaMemcpy (weights)");
                    dequantRows(stream, dst, DeviceWeight{static_cast<const uint8_t*>(p), w.type, w.rows, w.cols, w.rowBytes}, 0, w.rows);
                    check(cudaStreamSynchronize(stream), "converting weights to bf16");
                }
                L.w[t] = DeviceWeight{reinterpret_cast<const uint8_t*>(dst), (uint32_t)GGML_BF16, w.rows, w.cols, (size_t)w.cols * sizeof(bf16)};
            }
            L.fused = block;
        }
        L.attnNorm = uploadVector(src.attnNorm, "norms");
        L.ffnNorm = uploadVector(src.ffnNorm, "norms");
        L.qNorm = uploadVector(src.qNorm, "norms");
        L.kNorm = uploadVector(src.kNorm, "norms");
        if (!src.bq.empty() || !src.bk.empty() || !src.bv.empty()) {  // zeros stand in for an absent one
            int Q = hp.qDim(), KV = hp.kvDim();
            std::vector<float> bias((size_t)Q + 2 * KV, 0.0f);
            const std::vector<float>* parts[3] = {&src.bq, &src.bk, &src.bv};
            int at[3] = {0, Q, Q + KV}, width[3] = {Q, KV, KV};
            for (int i = 0; i < 3; i++) {
                if (parts[i]->empty()) continue;
                if ((int)parts[i]->size() != width[i]) throw std::runtime_error("layer " + std::to_string(l) + ": a q/k/v bias has the wrong length");
                std::copy(parts[i]->begin(), parts[i]->end(), bias.begin() + at[i]);
            }
            L.qkvBias = uploadVector(bias, "biases");
        }
    }
    bool anyQuantized = std::any_of(layers.begin(), layers.end(), [](const Layer& L) { return L.quantized; });
    if (anyQuantized)
        for (DeviceBuffer& s : slots) s.ensure((size_t)slotElems * sizeof(bf16), "a layer's dequantized weights");

    loraScale = o.alpha / (float)o.rank;
    pairInfo = loraLayout(hp, o.targets, o.rank, pairIndex, nParamsTotal);
    for (std::vector<float>& h : host) h.assign((size_t)nParamsTotal, 0.0f);
    initLoraWeights(host[Weights].data(), pairInfo, o.rank, o.seed);
    size_t bytes = (size_t)nParamsTotal * sizeof(float);
    loraW.ensure(bytes, "LoRA weights");
    loraG.ensure(bytes, "LoRA gradients");
    loraM.ensure(bytes, "AdamW state");
    loraV.ensure(bytes, "AdamW state");
    loraWb.ensure((size_t)nParamsTotal * sizeof(bf16), "LoRA weights (bf16)");
    for (int i = 0; i < 4; i++) hostDirty[i] = true;  // the host holds the initial state
    syncHostToDevice();
    check(cudaStreamSynchronize(stream), "engine initialisation");
}

CudaEngine::~CudaEngine() {
    if (stream) cudaStreamSynchronize(stream);
    if (side) cudaStreamSynchronize(side);
    for (int s = 0; s < 2; s++) {
        if (slotReady[s]) cudaEventDestroy(slotReady[s]);
        if (slotFree[s]) cudaEventDestroy(slotFree[s]);
    }
    if (stream) cudaStreamDestroy(stream);
    if (side) cudaStreamDestroy(side);
}

DeviceDescription CudaEngine::device() const {
    DeviceDescription d;
    int dev = 0;
    cudaGetDevice(&dev);
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, dev) == cudaSuccess) {
        d.name = prop.name;
        d.ccMajor = prop.major;
        d.ccMinor = prop.minor;
        d.memoryBytes = (int64_t)prop.totalGlobalMem;
    }
#ifdef DITTO_CUDA_EMU
    d.kind = "cuda-emulated";
#else
    d.kind = "cuda";
#endif
    d.gemmBackend = gemmEngine->backend();
    return d;
}

// ---- host state <-> device ----------------------------------------------------------------------

float* CudaEngine::hostBuffer(Buffer which) {
    if (!hostDirty[which]) {
        DeviceBuffer* src[4] = {&loraW, &loraG, &loraM, &loraV};
        check(cudaStreamSynchronize(stream), "reading LoRA state");
        check(cudaMemcpy(host[which].data(), src[which]->as<float>(), host[which].size() * sizeof(float), cudaMemcpyDeviceToHost),
              "cudaMemcpy (LoRA state to host)");
        hostDirty[which] = true;  // the caller may write: the host copy is the current one until the next compute call
    }
    return host[which].data();
}

void CudaEngine::syncHostToDevice() {
    DeviceBuffer* dst[4] = {&loraW, &loraG, &loraM, &loraV};
    for (int i = 0; i < 4; i++) {
        if (!hostDirty[i]) continue;
        check(cudaMemcpyAsync(dst[i]->as<float>(), host[i].data(), host[i].size() * sizeof(float), cudaMemcpyHostToDevice, stream),
              "cudaMemcpy (LoRA state to device)");
        hostDirty[i] = false;
        if (i == Weights) loraBf16Stale = true;
    }
    if (loraBf16Stale) {
        convert<bf16, float>(stream, loraWb.as<bf16>(), loraW.as<float>(), nParamsTotal);
        loraBf16Stale = false;
    }
    check(cudaStreamSynchronize(stream), "uploading LoRA state");  // the host copies may change after we return
}

// ---- weights of a layer -------------------------------------------------------------------------

// Target t's bf16 matrix; targets t, t+1, ... follow it contiguously (the fused products' operand).
const bf16* CudaEngine::weight(int l, int t) {
    const Layer& L = layers[l];
    if (!L.quantized) return L.fused + slotOffset[t];
    int s = l & 1;
    if (slotLayer[s] != l) throw std::logic_error("CUDA engine: layer " + std::to_string(l) + " used before its weights were dequantized");
    return slots[s].as<bf16>() + slotOffset[t];
}

// Makes layer l's quantized weights ready on the main stream and starts dequantizing `next` on
// the side stream, into the other slot, once the main stream is done with that slot.
void CudaEngine::materialize(int l, int next) {
    auto fill = [&](int layer) {
        int s = layer & 1;
        if (slotLayer[s] == layer) return;
        check(cudaStreamWaitEvent(side, slotFree[s], 0), "cudaStreamWaitEvent");
        for (int t = 0; t < NumTargets; t++) {  // bf16 matrices of a mixed layer are copied: the fused products need them contiguous
            const DeviceWeight& w = layers[layer].w[t];
            dequantRows(side, slots[s].as<bf16>() + slotOffset[t], w, 0, w.rows);
        }
        check(cudaEventRecord(slotReady[s], side), "cudaEventRecord");
        slotLayer[s] = layer;
    };
    if (!layers[l].quantized) return;
    fill(l);
    check(cudaStreamWaitEvent(stream, slotReady[l & 1], 0), "cudaStreamWaitEvent");
    if (next >= 0 && next < hp.nLayer && layers[next].quantized) fill(next);
}

void CudaEngine::releaseSlot(int l) {
    if (layers[l].quantized) check(cudaEventRecord(slotFree[l & 1], stream), "cudaEventRecord");
}

const bf16* CudaEngine::headChunk(int v0, int vc) {
    const DeviceWeight& E = hp.tiedOutput ? tokenEmbd : output;
    if (E.type == GGML_BF16) return reinterpret_cast<const bf16*>(E.data + (size_t)v0 * E.rowBytes);
    bf16* out = static_cast<bf16*>(ceHead.ensure((size_t)vc * hp.nEmbd * sizeof(bf16), "output head chunk"));
    dequantRows(stream, out, E, v0, vc);
    return out;
}

// ---- batch --------------------------------------------------------------------------------------

CudaEngine::Batch CudaEngine::prepare(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments, bool needTargets) {
    // The kernels index tokens with int32 and read each token's run bounds.
    if ((int64_t)batch * seqLen > std::numeric_limits<int32_t>::max())
        throw std::runtime_error("a micro-batch of " + std::to_string((int64_t)batch * seqLen) + " tokens is too large; lower the batch size");
    return BatchLayout::build(hp.nVocab, batch, seqLen, tokens, targets, segments, needTargets, true);
}

void CudaEngine::upload(const Batch& b) {
    size_t bytes = (size_t)b.N * sizeof(int32_t);
    const std::vector<int32_t>* src[4] = {&b.tokens, &b.pos, &b.runStart, &b.runEnd};
    DeviceBuffer* dst[4] = {&dTokens, &dPos, &dRunStart, &dRunEnd};
    for (int i = 0; i < 4; i++) {
        dst[i]->ensure(bytes, "batch");
        check(cudaMemcpyAsync(dst[i]->as<int32_t>(), src[i]->data(), bytes, cudaMemcpyHostToDevice, stream), "cudaMemcpy (batch)");
    }
}

// ---- buffers ------------------------------------------------------------------------------------

int64_t CudaEngine::actsBytesPerToken() const {
    int64_t C = hp.nEmbd, Q = hp.qDim(), KV = hp.kvDim(), F = hp.nFf, r = opts.rank;
    int64_t half = 2 * C + 2 * Q + 2 * KV + 3 * F;  // xn1 xn2, q att, k v, g u act
    int64_t full = 2 + hp.nHead + C;                 // rstd1 rstd2, lse, x1
    if (hp.arch == Arch::Qwen3) { half += Q + KV; full += hp.nHead + hp.nHeadKv; }
    for (int t = 0; t < NumTargets; t++) {
        if (!(opts.targets & (1u << t))) continue;
        half += r;
        if (opts.dropout > 0) half += t == TO ? Q : t == TDown ? F : C;
    }
    return half * (int64_t)sizeof(bf16) + full * (int64_t)sizeof(float);
}

void CudaEngine::ensureActs(Acts& a, int64_t N) {
    size_t C = hp.nEmbd, Q = hp.qDim(), KV = hp.kvDim(), F = hp.nFf, H = hp.nHead, B = sizeof(bf16), W = sizeof(float);
    const char* what = "activations";
    a.xn1.ensure(N * C * B, what); a.rstd1.ensure(N * W, what);
    a.q.ensure(N * Q * B, what); a.k.ensure(N * KV * B, what); a.v.ensure(N * KV * B, what);
    if (hp.arch == Arch::Qwen3) {
        a.qraw.ensure(N * Q * B, what); a.kraw.ensure(N * KV * B, what);
        a.qrstd.ensure(N * H * W, what); a.krstd.ensure(N * hp.nHeadKv * W, what);
    }
    a.lse.ensure(N * H * W, what); a.att.ensure(N * Q * B, what); a.x1.ensure(N * C * W, what);
    a.xn2.ensure(N * C * B, what); a.rstd2.ensure(N * W, what);
    a.gu.ensure(N * 2 * F * B, what); a.act.ensure(N * F * B, what);
    for (int t = 0; t < NumTargets; t++) {
        if (!(opts.targets & (1u << t))) continue;
        a.h[t].ensure(N * opts.rank * B, what);
        if (opts.dropout > 0) a.xd[t].ensure(N * (t == TO ? Q : t == TDown ? F : C) * B, what);
    }
}

void CudaEngine::ensureScratch(int64_t N) {
    size_t C = hp.nEmbd, Q = hp.qDim(), KV = hp.kvDim(), F = hp.nFf, B = sizeof(bf16), W = sizeof(float);
    size_t widest = std::max(std::max(C, Q), F), widestOut = std::max(std::max(C, Q + 2 * KV), 2 * F);
    const char* what = "scratch";
    tqkv.ensure(N * (Q + 2 * KV) * W, what);
    if (hp.arch == Arch::Qwen3) { tq.ensure(N * Q * W, what); tk.ensure(N * KV * W, what); }
    o.ensure(N * C * W, what); down.ensure(N * C * W, what);
    dxn.ensure(N * C * W, what); dq.ensure(N * Q * W, what); dk.ensure(N * KV * W, what); dv.ensure(N * KV * W, what);
    if (hp.arch == Arch::Qwen3) { dqraw.ensure(N * Q * W, what); dkraw.ensure(N * KV * W, what); }
    datt.ensure(N * Q * W, what); dattb.ensure(N * Q * B, what);
    dact.ensure(N * F * W, what);
    dyb.ensure(N * widestOut * B, what); dh.ensure(N * opts.rank * B, what); dxl.ensure(N * widest * W, what);
    attnScratch.ensure(std::max<size_t>(16, attentionBackwardScratchBytes(N, hp.nHead, hp.nHeadKv, hp.headDim)), what);
    outScratch.ensure(N * C * W, what);
    dxAll.ensure(N * C * W, what);
    ensureActs(shared, N);
}

// ---- linear projections with LoRA ---------------------------------------------------------------

CudaEngine::LinearRef CudaEngine::linear(int l, int t, bool training) {
    LinearRef L;
    L.in = layers[l].w[t].cols;
    L.out = layers[l].w[t].rows;
    L.pair = pairIndex[(size_t)l * NumTargets + t];
    if (L.pair >= 0 && training && opts.dropout > 0) {
        L.dropout = opts.dropout;
        L.key = dropoutKey(opts.seed, rng, l, t);
    }
    return L;
}

// Targets t0 .. t0+nT-1 share the input x (N,I): one product over their stacked matrices,
// y (N, O = sum of their outputs) = x [W_t0; W_t0+1; ...]^T + bias, then each target's LoRA into
// its columns. The LoRA paths are the unfused ones (own dropout mask of x, own h).
template <typename Tout>
void CudaEngine::linearForward(Tout* y, Acts& a, int l, int t0, int nT, const bf16* x, const float* bias, int64_t N, bool training) {
    int in = layers[l].w[t0].cols, O = 0;
    for (int t = t0; t < t0 + nT; t++) O += layers[l].w[t].rows;
    gemm<Tout>(*gemmEngine, stream, false, true, (int)N, O, in, 1.0f, x, in, weight(l, t0), in, 0.0f, y, O, bias);
    for (int t = t0, col = 0; t < t0 + nT; t++) {
        LinearRef L = linear(l, t, training);
        loraForward<Tout>(y + col, O, a, t, x, L, N);
        col += L.out;
    }
}

// y (N, L.out; rows ldy apart) += scale (dropout(x) A^T) B^T; saves h and dropout(x) in a
template <typename Tout> void CudaEngine::loraForward(Tout* y, int ldy, Acts& a, int t, const bf16* x, const LinearRef& L, int64_t N) {
    if (L.pair < 0) return;
    GemmEngine& ge = *gemmEngine;
    const LoraPairInfo& p = pairInfo[L.pair];
    const bf16* xin = x;
    if (L.dropout > 0) {
        dropoutForward(stream, a.xd[t].as<bf16>(), x, N * L.in, L.dropout, L.key);
        xin = a.xd[t].as<bf16>();
    }
    const bf16* A = loraWb.as<bf16>() + p.offA;
    const bf16* B = loraWb.as<bf16>() + p.offB;
    bf16* h = a.h[t].as<bf16>();
    int r = opts.rank;
    gemm<bf16>(ge, stream, false, true, (int)N, r, L.in, 1.0f, xin, L.in, A, L.in, 0.0f, h, r);
    gemm<Tout>(ge, stream, false, true, (int)N, L.out, r, loraScale, h, r, B, r, 1.0f, y, ldy);
}

// The backward of linearForward: dx (N,I) = dxBeta dx + dy [W_t0; ...] (one product, the stacked
// matrices' input gradient) + each target's LoRA path; da, db +=. dy (N,O) bf16, the targets'
// output gradients side by side; x the forward's input.
void CudaEngine::linearBackward(float* dx, float dxBeta, const bf16* dy, Acts& a, int l, int t0, int nT, const bf16* x, int64_t N) {
    int in = layers[l].w[t0].cols, O = 0;
    for (int t = t0; t < t0 + nT; t++) O += layers[l].w[t].rows;
    gemm<float>(*gemmEngine, stream, false, false, (int)N, in, O, 1.0f, dy, O, weight(l, t0), in, dxBeta, dx, in);
    for (int t = t0, col = 0; t < t0 + nT; t++) {
        LinearRef L = linear(l, t, true);
        loraBackward(dx, dy + col, O, a, t, x, L, N);
        col += L.out;
    }
}

// dx += target t's LoRA input gradient; da, db +=; dy (N, L.out; rows ldy apart)
void CudaEngine::loraBackward(float* dx, const bf16* dy, int ldy, Acts& a, int t, const bf16* x, const LinearRef& L, int64_t N) {
    if (L.pair < 0) return;
    GemmEngine& ge = *gemmEngine;
    const LoraPairInfo& p = pairInfo[L.pair];
    int r = opts.rank;
    const bf16* xin = L.dropout > 0 ? a.xd[t].as<bf16>() : x;
    const bf16* A = loraWb.as<bf16>() + p.offA;
    const bf16* B = loraWb.as<bf16>() + p.offB;
    float* dA = loraG.as<float>() + p.offA;
    float* dB = loraG.as<float>() + p.offB;
    bf16* dH = dh.as<bf16>();
    gemm<float>(ge, stream, true, false, L.out, r, (int)N, loraScale, dy, ldy, a.h[t].as<bf16>(), r, 1.0f, dB, r);  // db += s dy^T h
    gemm<bf16>(ge, stream, false, false, (int)N, r, L.out, loraScale, dy, ldy, B, r, 0.0f, dH, r);                   // dh = s dy B
    gemm<float>(ge, stream, true, false, r, L.in, (int)N, 1.0f, dH, r, xin, L.in, 1.0f, dA, L.in);                  // da += dh^T x
    if (L.dropout > 0) {
        gemm<float>(ge, stream, false, false, (int)N, L.in, r, 1.0f, dH, r, A, L.in, 0.0f, dxl.as<float>(), L.in);
        dropoutBackwardAdd(stream, dx, dxl.as<float>(), N * L.in, L.dropout, L.key);
    } else {
        gemm<float>(ge, stream, false, false, (int)N, L.in, r, 1.0f, dH, r, A, L.in, 1.0f, dx, L.in);
    }
}

// ---- one decoder layer --------------------------------------------------------------------------

// out (N,C) = layer(x (N,C)); fills a for the backward
void CudaEngine::layerForward(int l, const float* x, float* out, const Batch& b, bool training, Acts& a) {
    const Layer& w = layers[l];
    int64_t N = b.N;
    int C = hp.nEmbd, H = hp.nHead, Hkv = hp.nHeadKv, D = hp.headDim, Q = hp.qDim(), KV = hp.kvDim(), F = hp.nFf;
    float eps = (float)hp.normEps;
    bool qkNorm = hp.arch == Arch::Qwen3;
    RopeDevice rp = ropeDevice(hp, ropeFactors);
    const int32_t* pos = dPos.as<int32_t>();
    rmsnormForward<bf16, float>(stream, a.xn1.as<bf16>(), a.rstd1.as<float>(), x, w.attnNorm, N, C, eps);
    // q|k|v in one product (fp32, rows QKV apart), then split into the bf16 operands of attention
    int QKV = Q + 2 * KV;
    float* qkv = tqkv.as<float>();
    linearForward<float>(qkv, a, l, TQ, 3, a.xn1.as<bf16>(), w.qkvBias, N, training);
    if (qkNorm) {  // Qwen3: RMSNorm over each head's vector before RoPE; the raw projections are kept in bf16
        convertRows<bf16, float>(stream, a.qraw.as<bf16>(), Q, qkv, QKV, N, Q);
        convertRows<bf16, float>(stream, a.kraw.as<bf16>(), KV, qkv + Q, QKV, N, KV);
        rmsnormForward<float, bf16>(stream, tq.as<float>(), a.qrstd.as<float>(), a.qraw.as<bf16>(), w.qNorm, N * H, D, eps);
        rmsnormForward<float, bf16>(stream, tk.as<float>(), a.krstd.as<float>(), a.kraw.as<bf16>(), w.kNorm, N * Hkv, D, eps);
        ropeForward<float>(stream, tq.as<float>(), pos, N, H, D, rp);
        ropeForward<float>(stream, tk.as<float>(), pos, N, Hkv, D, rp);
        convert<bf16, float>(stream, a.q.as<bf16>(), tq.as<float>(), N * Q);
        convert<bf16, float>(stream, a.k.as<bf16>(), tk.as<float>(), N * KV);
    } else {  // q's and k's heads are adjacent in a row: one rotation in place
        ropeForward<float>(stream, qkv, pos, N, H + Hkv, D, rp, QKV);
        convertRows<bf16, float>(stream, a.q.as<bf16>(), Q, qkv, QKV, N, Q);
        convertRows<bf16, float>(stream, a.k.as<bf16>(), KV, qkv + Q, QKV, N, KV);
    }
    convertRows<bf16, float>(stream, a.v.as<bf16>(), KV, qkv + Q + KV, QKV, N, KV);
    attentionForward(stream, a.att.as<bf16>(), a.lse.as<float>(), a.q.as<bf16>(), a.k.as<bf16>(), a.v.as<bf16>(), dRunStart.as<int32_t>(),
                     dRunEnd.as<int32_t>(), N, H, Hkv, D);
    linearForward<float>(o.as<float>(), a, l, TO, 1, a.att.as<bf16>(), nullptr, N, training);
    addInto<float>(stream, a.x1.as<float>(), x, o.as<float>(), N * C);
    rmsnormForward<bf16, float>(stream, a.xn2.as<bf16>(), a.rstd2.as<float>(), a.x1.as<float>(), w.ffnNorm, N, C, eps);
    bf16* gu = a.gu.as<bf16>();  // gate|up in one product, rows 2F apart
    linearForward<bf16>(gu, a, l, TGate, 2, a.xn2.as<bf16>(), nullptr, N, training);
    swigluForward(stream, a.act.as<bf16>(), gu, gu + F, N, F, 2 * (int64_t)F);
    linearForward<float>(down.as<float>(), a, l, TDown, 1, a.act.as<bf16>(), nullptr, N, training);
    addInto<float>(stream, out, a.x1.as<float>(), down.as<float>(), N * C);
}

// dx (N,C): in, the gradient at the layer's output; out, at its input x. Needs layerForward(l, x) first.
void CudaEngine::layerBackward(int l, float* dx, const float* x, const Batch& b, Acts& a) {
    const Layer& w = layers[l];
    int64_t N = b.N;
    int C = hp.nEmbd, H = hp.nHead, Hkv = hp.nHeadKv, D = hp.headDim, Q = hp.qDim(), KV = hp.kvDim(), F = hp.nFf;
    bool qkNorm = hp.arch == Arch::Qwen3;
    RopeDevice rp = ropeDevice(hp, ropeFactors);
    const int32_t* pos = dPos.as<int32_t>();
    bf16* dyB = dyb.as<bf16>();
    // MLP: out = x1 + down(swiglu(gate(xn2), up(xn2)))
    convert<bf16, float>(stream, dyB, dx, N * C);
    linearBackward(dact.as<float>(), 0.0f, dyB, a, l, TDown, 1, a.act.as<bf16>(), N);
    const bf16* gu = a.gu.as<bf16>();  // d gate|up straight into the fused product's bf16 input gradient
    swigluBackward<bf16>(stream, dyB, dyB + F, dact.as<float>(), gu, gu + F, N, F, 2 * (int64_t)F);
    linearBackward(dxn.as<float>(), 0.0f, dyB, a, l, TGate, 2, a.xn2.as<bf16>(), N);
    rmsnormBackward<float>(stream, dx, dxn.as<float>(), a.x1.as<float>(), w.ffnNorm, a.rstd2.as<float>(), N, C);  // dx is now d x1
    // attention: x1 = x + o(attn(rope(q), rope(k), v))
    convert<bf16, float>(stream, dyB, dx, N * C);
    linearBackward(datt.as<float>(), 0.0f, dyB, a, l, TO, 1, a.att.as<bf16>(), N);
    convert<bf16, float>(stream, dattb.as<bf16>(), datt.as<float>(), N * Q);
    attentionBackward(stream, dq.as<float>(), dk.as<float>(), dv.as<float>(), dattb.as<bf16>(), a.att.as<bf16>(), a.q.as<bf16>(), a.k.as<bf16>(),
                      a.v.as<bf16>(), a.lse.as<float>(), dRunStart.as<int32_t>(), dRunEnd.as<int32_t>(), N, H, Hkv, D, attnScratch.as<void>());
    ropeBackward<float>(stream, dq.as<float>(), pos, N, H, D, rp);
    ropeBackward<float>(stream, dk.as<float>(), pos, N, Hkv, D, rp);
    float* dqIn = dq.as<float>();
    float* dkIn = dk.as<float>();
    if (qkNorm) {
        zero(stream, dqraw.as<void>(), (size_t)N * Q * sizeof(float));
        zero(stream, dkraw.as<void>(), (size_t)N * KV * sizeof(float));
        rmsnormBackward<bf16>(stream, dqraw.as<float>(), dq.as<float>(), a.qraw.as<bf16>(), w.qNorm, a.qrstd.as<float>(), N * H, D);
        rmsnormBackward<bf16>(stream, dkraw.as<float>(), dk.as<float>(), a.kraw.as<bf16>(), w.kNorm, a.krstd.as<float>(), N * Hkv, D);
        dqIn = dqraw.as<float>();
        dkIn = dkraw.as<float>();
    }
    int QKV = Q + 2 * KV;  // dq|dk|dv side by side: the fused q|k|v product's input gradient
    convertRows<bf16, float>(stream, dyB, QKV, dqIn, Q, N, Q);
    convertRows<bf16, float>(stream, dyB + Q, QKV, dkIn, KV, N, KV);
    convertRows<bf16, float>(stream, dyB + Q + KV, QKV, dv.as<float>(), KV, N, KV);
    linearBackward(dxn.as<float>(), 0.0f, dyB, a, l, TQ, 3, a.xn1.as<bf16>(), N);
    rmsnormBackward<float>(stream, dx, dxn.as<float>(), x, w.attnNorm, a.rstd1.as<float>(), N, C);
}

// ---- whole model --------------------------------------------------------------------------------

LossResult CudaEngine::run(const Batch& b, const int32_t* targets, bool training) {
    syncHostToDevice();
    int64_t N = b.N;
    int C = hp.nEmbd, nL = hp.nLayer;
    ensureScratch(N);
    upload(b);
    // Layers whose activations fit the budget keep them from the forward (the last ones, first
    // needed by the backward); the rest keep only their input and are recomputed in the backward.
    int keep = 0;
    if (training) {
        double perLayer = (double)actsBytesPerToken() * N;
        keep = (int)std::min<double>(nL, std::floor((double)opts.activationBudgetBytes / perLayer));
        if ((int)cached.size() < keep) cached.resize(keep);
        for (int i = 0; i < keep; i++) {
            if (!cached[i]) cached[i] = std::make_unique<Acts>();
            ensureActs(*cached[i], N);
        }
    }
    auto actsFor = [&](int l) -> Acts& { return l >= nL - keep ? *cached[l - (nL - keep)] : shared; };
    xs.ensure((size_t)(training ? nL + 1 : 2) * N * C * sizeof(float), "layer inputs");
    auto slot = [&](int l) { return xs.as<float>() + (size_t)(training ? l : l % 2) * N * C; };
    dequantGather(stream, dyb.as<bf16>(), tokenEmbd, dTokens.as<int32_t>(), (int)N);
    convert<float, bf16>(stream, slot(0), dyb.as<bf16>(), N * C);
    for (int l = 0; l < nL; l++) {
        materialize(l, l + 1);
        layerForward(l, slot(l), slot(l + 1), b, training, actsFor(l));
        releaseSlot(l);
    }
    // final norm + head + loss on the positions that have a target only
    std::vector<int64_t> rows;
    std::vector<int32_t> tgt;
    for (int64_t i = 0; i < N; i++)
        if (targets[i] >= 0) { rows.push_back(i); tgt.push_back(targets[i]); }
    int64_t Nt = (int64_t)rows.size();
    LossResult r;
    r.tokens = Nt;
    if (Nt == 0) { finish(stream, "forward"); return r; }
    size_t W = sizeof(float), B = sizeof(bf16);
    const char* what = "cross-entropy";
    int chunk = vocabChunkFor(Nt, hp.nVocab);
    int64_t* dRows = static_cast<int64_t*>(ceRows.ensure(Nt * sizeof(int64_t), what));
    int32_t* dTgt = static_cast<int32_t*>(ceTargets.ensure(Nt * sizeof(int32_t), what));
    float* xg = static_cast<float*>(ceX.ensure(Nt * C * W, what));
    bf16* xng = static_cast<bf16*>(ceXn.ensure(Nt * C * B, what));
    float* rstd = static_cast<float*>(ceRstd.ensure(Nt * W, what));
    float* lg = static_cast<float*>(ceLogits.ensure((size_t)Nt * chunk * W, what));
    bf16* P = training ? static_cast<bf16*>(ceP.ensure((size_t)Nt * chunk * B, what)) : nullptr;
    float* m = static_cast<float*>(ceM.ensure(Nt * W, what));
    float* s = static_cast<float*>(ceS.ensure(Nt * W, what));
    float* tl = static_cast<float*>(ceTl.ensure(Nt * W, what));
    float* rescale = static_cast<float*>(ceRescale.ensure(Nt * W, what));
    float* loss = static_cast<float*>(ceLoss.ensure(Nt * W, what));
    float* dxng = training ? static_cast<float*>(ceDxn.ensure(Nt * C * W, what)) : nullptr;
    check(cudaMemcpyAsync(dRows, rows.data(), Nt * sizeof(int64_t), cudaMemcpyHostToDevice, stream), "cudaMemcpy (rows)");
    check(cudaMemcpyAsync(dTgt, tgt.data(), Nt * sizeof(int32_t), cudaMemcpyHostToDevice, stream), "cudaMemcpy (targets)");
    std::vector<float> minusInf((size_t)Nt, -std::numeric_limits<float>::infinity());
    check(cudaMemcpyAsync(m, minusInf.data(), Nt * W, cudaMemcpyHostToDevice, stream), "cudaMemcpy (softmax state)");
    zero(stream, s, Nt * W);
    zero(stream, tl, Nt * W);
    gatherRows<float>(stream, xg, slot(nL), dRows, Nt, C);
    rmsnormForward<bf16, float>(stream, xng, rstd, xg, outputNorm, Nt, C, (float)hp.normEps);
    if (training) zero(stream, dxng, (size_t)Nt * C * W);
    GemmEngine& ge = *gemmEngine;
    for (int v0 = 0; v0 < hp.nVocab; v0 += chunk) {
        int vc = std::min(chunk, hp.nVocab - v0);
        const bf16* Ec = headChunk(v0, vc);
        gemm<float>(ge, stream, false, true, (int)Nt, vc, C, 1.0f, xng, C, Ec, C, 0.0f, lg, vc);
        ceChunkUpdate(stream, P, lg, m, s, tl, rescale, dTgt, v0, Nt, vc);
        if (training) {
            ceRescaleRows(stream, dxng, rescale, Nt, C);
            gemm<float>(ge, stream, false, false, (int)Nt, C, vc, 1.0f, P, vc, Ec, C, 1.0f, dxng, C);
        }
    }
    bf16* targetRows = nullptr;
    if (training) {
        targetRows = static_cast<bf16*>(ceTargetRows.ensure(Nt * C * B, what));
        dequantGather(stream, targetRows, hp.tiedOutput ? tokenEmbd : output, dTgt, (int)Nt);
    }
    ceFinish(stream, loss, dxng, m, s, tl, Nt, C, targetRows);
    std::vector<float> hostLoss((size_t)Nt);
    check(cudaMemcpyAsync(hostLoss.data(), loss, Nt * W, cudaMemcpyDeviceToHost, stream), "cudaMemcpy (loss)");
    finish(stream, "forward");
    for (float v : hostLoss) r.lossSum += v;
    if (!training) return r;
    float* dxg = static_cast<float*>(ceDx.ensure(Nt * C * W, what));
    zero(stream, dxg, Nt * C * W);
    rmsnormBackward<float>(stream, dxg, dxng, xg, outputNorm, rstd, Nt, C);
    float* dx = dxAll.as<float>();
    zero(stream, dx, (size_t)N * C * W);
    scatterRows(stream, dx, dxg, dRows, Nt, C);
    for (int l = nL - 1; l >= 0; l--) {
        Acts& a = actsFor(l);
        materialize(l, l - 1);
        if (l < nL - keep) layerForward(l, slot(l), outScratch.as<float>(), b, true, a);  // recompute this layer's activations
        layerBackward(l, dx, slot(l), b, a);
        releaseSlot(l);
    }
    finish(stream, "backward");
    return r;
}

LossResult CudaEngine::accumulate(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments) {
    Batch b = prepare(batch, seqLen, tokens, targets, segments, true);
    LossResult r = run(b, targets, true);
    rng++;
    return r;
}

LossResult CudaEngine::evaluate(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments) {
    Batch b = prepare(batch, seqLen, tokens, targets, segments, true);
    return run(b, targets, false);
}

double CudaEngine::optimizerStep(const AdamWSettings& s) {
    if (!(s.gradScale > 0)) throw std::runtime_error("optimizerStep: gradScale must be > 0 (the number of target tokens accumulated), got " + std::to_string(s.gradScale));
    syncHostToDevice();
    int64_t n = nParamsTotal;
    double inv = 1.0 / s.gradScale;
    double* sq = static_cast<double*>(normSum.ensure(sizeof(double), "gradient norm"));
    normScratch.ensure(sumOfSquaresScratchBytes(n), "gradient norm");
    sumOfSquares(stream, sq, loraG.as<float>(), n, inv, normScratch.as<void>());
    double sumSq = 0;
    check(cudaMemcpyAsync(&sumSq, sq, sizeof(double), cudaMemcpyDeviceToHost, stream), "cudaMemcpy (gradient norm)");
    finish(stream, "gradient norm");
    double norm = std::sqrt(sumSq);
    if (!std::isfinite(norm)) throw std::runtime_error("gradient norm is not finite (" + std::to_string(norm) + "); lower the learning rate or check the data");
    step++;
    AdamWDevice d = adamwDevice(s, norm, step);  // clipping, bias corrections and decay as Engine::optimizerStep
    adamwUpdate(stream, loraW.as<float>(), loraG.as<float>(), loraM.as<float>(), loraV.as<float>(), n, d);
    convert<bf16, float>(stream, loraWb.as<bf16>(), loraW.as<float>(), n);
    finish(stream, "optimizer step");
    return norm;
}

void CudaEngine::logits(int n, const int32_t* tokens, float* out) {
    std::vector<int32_t> seg(n, 0), tgt(n, -1);
    Batch b = prepare(1, n, tokens, tgt.data(), seg.data(), false);
    syncHostToDevice();
    ensureScratch(b.N);
    upload(b);
    int C = hp.nEmbd, V = hp.nVocab;
    size_t W = sizeof(float);
    xs.ensure((size_t)2 * n * C * W, "layer inputs");
    float* x0 = xs.as<float>();
    float* x1 = x0 + (size_t)n * C;
    dequantGather(stream, dyb.as<bf16>(), tokenEmbd, dTokens.as<int32_t>(), n);
    convert<float, bf16>(stream, x0, dyb.as<bf16>(), (int64_t)n * C);
    for (int l = 0; l < hp.nLayer; l++) {
        materialize(l, l + 1);
        layerForward(l, x0, x1, b, false, shared);
        releaseSlot(l);
        std::swap(x0, x1);
    }
    bf16* xn = static_cast<bf16*>(ceXn.ensure((size_t)n * C * sizeof(bf16), "logits"));
    float* rstd = static_cast<float*>(ceRstd.ensure((size_t)n * W, "logits"));
    float* dOut = static_cast<float*>(logitsOut.ensure((size_t)n * V * W, "logits"));
    rmsnormForward<bf16, float>(stream, xn, rstd, x0, outputNorm, n, C, (float)hp.normEps);
    int chunk = vocabChunkFor(n, V);
    for (int v0 = 0; v0 < V; v0 += chunk) {
        int vc = std::min(chunk, V - v0);
        gemm<float>(*gemmEngine, stream, false, true, n, vc, C, 1.0f, xn, C, headChunk(v0, vc), C, 0.0f, dOut + v0, V);
    }
    check(cudaMemcpyAsync(out, dOut, (size_t)n * V * W, cudaMemcpyDeviceToHost, stream), "cudaMemcpy (logits)");
    finish(stream, "logits");
}

}  // namespace ditto::cuda
