#include "Model.h"

#include <stdexcept>

#include "Dequantize.h"
#include "GemmBf16.h"
#include "GgufFile.h"

namespace ditto {

// Dequantizes a tensor after checking its shape is (ne0, ne1) in ggml order: ne0 = input width.
static std::vector<float> loadTensor(const GgufFile& f, const std::string& name, int64_t ne0, int64_t ne1 = 1) {
    const GgufTensor& t = f.requireTensor(name);
    int64_t e0 = t.ne.size() > 0 ? t.ne[0] : 1, e1 = t.ne.size() > 1 ? t.ne[1] : 1;
    if (e0 != ne0 || e1 != ne1)
        throw std::runtime_error("model " + f.path() + ": tensor " + name + " has shape [" + std::to_string(e0) + ", " +
                                 std::to_string(e1) + "], expected [" + std::to_string(ne0) + ", " + std::to_string(ne1) +
                                 "] from the metadata");
    std::vector<float> out((size_t)(ne0 * ne1));
    dequantize(t.type, t.data, ne0 * ne1, out.data(), name);
    return out;
}

// A matrix W [ne1 x ne0] (ne0 = input width): a view into the mapped file, decoded inside the
// products, so the base takes its file size in memory. Every type the engine decodes is read in
// place; rows must hold whole blocks, as ggml itself requires.
static WeightMatrix loadMatrix(const GgufFile& f, const std::string& name, int64_t ne0, int64_t ne1) {
    const GgufTensor& t = f.requireTensor(name);
    int64_t e0 = t.ne.size() > 0 ? t.ne[0] : 1, e1 = t.ne.size() > 1 ? t.ne[1] : 1;
    if (e0 != ne0 || e1 != ne1)
        throw std::runtime_error("model " + f.path() + ": tensor " + name + " has shape [" + std::to_string(e0) + ", " +
                                 std::to_string(e1) + "], expected [" + std::to_string(ne0) + ", " + std::to_string(ne1) +
                                 "] from the metadata");
    int block = ggmlBlockValues(t.type);
    if (block == 0)
        throw std::runtime_error("model " + f.path() + ": tensor " + name + " has ggml type " + ggmlTypeName(t.type) +
                                 ", which the training engine cannot read; supported: " + kDecodedTypes +
                                 " (use a GGUF of the model in one of these, or re-quantize it with llama-quantize)");
    if (ne0 % block != 0)
        throw std::runtime_error("model " + f.path() + ": tensor " + name + " (" + ggmlTypeName(t.type) + ") has rows of " +
                                 std::to_string(ne0) + " values, not a multiple of its block size " + std::to_string(block) +
                                 "; the file is damaged, re-download or re-convert it");
    WeightMatrix w;
    w.rows = (int)ne1;
    w.cols = (int)ne0;
    w.type = t.type;
    w.data = t.data;
    w.rowBytes = tensorBytes(t.type, ne0);
    return w;
}

// A shape hyperparameter read from the file: damaged metadata (0, negative, absurd) is named here
// rather than dividing by zero or sizing a buffer from it.
static int shapeValue(const GgufFile& f, const std::string& key, int64_t v, int64_t max = 1 << 24) {
    if (v <= 0 || v > max)
        throw std::runtime_error("model " + f.path() + ": metadata " + key + " is " + std::to_string(v) + ", expected 1 to " +
                                 std::to_string(max) + "; the file is damaged, re-download or re-convert it");
    return (int)v;
}

static std::vector<float> loadOptional(const GgufFile& f, const std::string& name, int64_t ne0) {
    return f.tensor(name) ? loadTensor(f, name, ne0) : std::vector<float>();
}

std::unique_ptr<Model> loadModel(const std::string& path) {
    auto m = std::make_unique<Model>();
    m->file = std::make_shared<GgufFile>(path);
    const GgufFile& f = *m->file;
    HParams& hp = m->hp;
    hp.archName = f.getString("general.architecture");
    if (hp.archName == "llama") hp.arch = Arch::Llama;
    else if (hp.archName == "qwen2") hp.arch = Arch::Qwen2;
    else if (hp.archName == "qwen3") hp.arch = Arch::Qwen3;
    else
        throw std::runtime_error("model " + path + " has architecture \"" + hp.archName +
                                 "\", which the training engine does not support; supported: llama, qwen2, qwen3");
    const std::string p = hp.archName + ".";
    hp.nLayer = shapeValue(f, p + "block_count", f.getInt(p + "block_count"), 1 << 12);
    hp.nEmbd = shapeValue(f, p + "embedding_length", f.getInt(p + "embedding_length"));
    hp.nHead = shapeValue(f, p + "attention.head_count", f.getInt(p + "attention.head_count"));
    hp.nHeadKv = shapeValue(f, p + "attention.head_count_kv", f.getInt(p + "attention.head_count_kv", hp.nHead));
    hp.headDim = shapeValue(f, p + "attention.key_length", f.getInt(p + "attention.key_length", hp.nEmbd / hp.nHead));
    if ((int64_t)hp.nHead * hp.headDim > (1 << 24))
        throw std::runtime_error("model " + path + ": head_count " + std::to_string(hp.nHead) + " and key_length " + std::to_string(hp.headDim) +
                                 " make query rows too wide; the file is damaged, re-download or re-convert it");
    if (f.getInt(p + "attention.value_length", hp.headDim) != hp.headDim)
        throw std::runtime_error("model " + path + ": attention.value_length differs from key_length, which the engine does not support");
    if (hp.nHeadKv <= 0 || hp.nHead % hp.nHeadKv != 0)
        throw std::runtime_error("model " + path + ": head_count " + std::to_string(hp.nHead) + " is not a multiple of head_count_kv " +
                                 std::to_string(hp.nHeadKv));
    hp.nFf = shapeValue(f, p + "feed_forward_length", f.getInt(p + "feed_forward_length"));
    hp.normEps = f.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5);
    hp.rope.mode = hp.arch == Arch::Llama ? RopeMode::Norm : RopeMode::Neox;  // as llama.cpp lays these archs out
    hp.rope.base = f.getFloat(p + "rope.freq_base", 10000.0);
    hp.rope.nRot = (int)f.getInt(p + "rope.dimension_count", hp.headDim);
    if (hp.rope.nRot <= 0 || hp.rope.nRot > hp.headDim || hp.rope.nRot % 2)
        throw std::runtime_error("model " + path + ": rope.dimension_count " + std::to_string(hp.rope.nRot) + " does not fit head dim " +
                                 std::to_string(hp.headDim));
    std::string scaling = "none";
    if (const GgufValue* v = f.find(p + "rope.scaling.type"); v && v->kind == GgufValue::String) scaling = v->s;
    double factor = f.getFloat(p + "rope.scaling.factor", f.getFloat(p + "rope.scale_linear", 1.0));
    if (scaling == "linear" || (scaling == "none" && factor != 1.0 && f.find(p + "rope.scale_linear"))) {
        hp.rope.freqScale = factor > 0 ? 1.0 / factor : 1.0;
    } else if (scaling != "none") {
        throw std::runtime_error("model " + path + " uses RoPE scaling \"" + scaling +
                                 "\", which the training engine does not implement; supported: none, linear");
    }
    const GgufTensor& embd = f.requireTensor("token_embd.weight");
    hp.nVocab = shapeValue(f, "token_embd.weight (vocabulary rows)", embd.ne.size() > 1 ? embd.ne[1] : 0);
    hp.tiedOutput = f.tensor("output.weight") == nullptr;

    int C = hp.nEmbd, F = hp.nFf, Q = hp.qDim(), KV = hp.kvDim(), D = hp.headDim;
    m->tokenEmbd = loadMatrix(f, "token_embd.weight", C, hp.nVocab);
    m->outputNorm = loadTensor(f, "output_norm.weight", C);
    if (!hp.tiedOutput) m->output = loadMatrix(f, "output.weight", C, hp.nVocab);
    if (f.tensor("rope_freqs.weight")) {
        m->ropeFreqs = loadTensor(f, "rope_freqs.weight", hp.rope.nRot / 2);
        hp.rope.freqFactors = m->ropeFreqs.data();
    }
    m->layers.resize(hp.nLayer);
    for (int l = 0; l < hp.nLayer; l++) {
        std::string b = "blk." + std::to_string(l) + ".";
        LayerWeights& w = m->layers[l];
        w.attnNorm = loadTensor(f, b + "attn_norm.weight", C);
        w.wq = loadMatrix(f, b + "attn_q.weight", C, Q);
        w.wk = loadMatrix(f, b + "attn_k.weight", C, KV);
        w.wv = loadMatrix(f, b + "attn_v.weight", C, KV);
        w.bq = loadOptional(f, b + "attn_q.bias", Q);
        w.bk = loadOptional(f, b + "attn_k.bias", KV);
        w.bv = loadOptional(f, b + "attn_v.bias", KV);
        if (hp.arch == Arch::Qwen3) {
            w.qNorm = loadTensor(f, b + "attn_q_norm.weight", D);
            w.kNorm = loadTensor(f, b + "attn_k_norm.weight", D);
        }
        w.wo = loadMatrix(f, b + "attn_output.weight", Q, C);
        w.ffnNorm = loadTensor(f, b + "ffn_norm.weight", C);
        w.wGate = loadMatrix(f, b + "ffn_gate.weight", C, F);
        w.wUp = loadMatrix(f, b + "ffn_up.weight", C, F);
        w.wDown = loadMatrix(f, b + "ffn_down.weight", F, C);
    }
    return m;
}

bool markBf16Products(Model& model) {
    bool any = false;
    auto mark = [&](WeightMatrix& w) {
        w.bf16 = bf16WeightType(w.type);
        any = any || w.bf16;
    };
    mark(model.tokenEmbd);
    mark(model.output);
    for (LayerWeights& L : model.layers)
        for (WeightMatrix* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.wGate, &L.wUp, &L.wDown}) mark(*w);
    return any;
}

}  // namespace ditto
