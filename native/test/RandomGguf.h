// Writes random-weight GGUF models of any llama/qwen2/qwen3 shape, for the device check (the GPU
// machines have no Node.js, so the project's TypeScript fixture writer is not available there).
// Only what the training engine reads is written: architecture metadata and tensors (no tokenizer).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace ditto::check {

struct ModelShape {
    std::string arch = "qwen2";  // llama, qwen2, qwen3
    int nLayer = 2, nEmbd = 64, nHead = 4, nHeadKv = 2, headDim = 16, nFf = 128, nVocab = 1024;
    bool tied = false;
};

enum class WeightType { F32, BF16, Q8_0 };

class RandomGgufWriter {
public:
    RandomGgufWriter(const ModelShape& s, WeightType type, uint64_t seed) : s(s), type(type), rng(seed | 1) {}

    void write(const std::string& path) {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        if (!f) throw std::runtime_error("cannot write " + path);
        std::string head;
        put32(head, 0x46554747u);  // "GGUF"
        put32(head, 3);
        std::vector<Tensor> tensors = layout();
        put64(head, tensors.size());
        std::string kv;
        int nKv = 0;
        const std::string p = s.arch + ".";
        auto u32 = [&](const std::string& k, uint32_t v) { putStr(kv, k); put32(kv, 4); put32(kv, v); nKv++; };
        auto f32 = [&](const std::string& k, float v) { putStr(kv, k); put32(kv, 6); uint32_t b; std::memcpy(&b, &v, 4); put32(kv, b); nKv++; };
        putStr(kv, "general.architecture"); put32(kv, 8); putStr(kv, s.arch); nKv++;
        u32(p + "block_count", s.nLayer);
        u32(p + "embedding_length", s.nEmbd);
        u32(p + "attention.head_count", s.nHead);
        u32(p + "attention.head_count_kv", s.nHeadKv);
        u32(p + "attention.key_length", s.headDim);
        u32(p + "attention.value_length", s.headDim);
        u32(p + "rope.dimension_count", s.headDim);
        u32(p + "feed_forward_length", s.nFf);
        u32(p + "context_length", 32768);
        f32(p + "attention.layer_norm_rms_epsilon", 1e-6f);
        f32(p + "rope.freq_base", 1000000.0f);
        put64(head, nKv);
        head += kv;
        uint64_t offset = 0;
        for (Tensor& t : tensors) {
            putStr(head, t.name);
            put32(head, t.ne1 > 1 ? 2 : 1);
            put64(head, t.ne0);
            if (t.ne1 > 1) put64(head, t.ne1);
            put32(head, t.ggmlType);
            put64(head, offset);
            offset += pad(t.bytes());
        }
        head.resize(pad(head.size()), '\0');
        std::fwrite(head.data(), 1, head.size(), f);
        std::vector<uint8_t> buf;
        for (const Tensor& t : tensors) {
            fill(t, buf);
            buf.resize(pad(buf.size()), 0);
            if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) { std::fclose(f); throw std::runtime_error("short write to " + path + " (disk full?)"); }
        }
        if (std::fclose(f) != 0) throw std::runtime_error("cannot finish " + path);
    }

private:
    struct Tensor {
        std::string name;
        int64_t ne0 = 0, ne1 = 1;  // ggml order: ne0 = row length
        uint32_t ggmlType = 0;
        enum Kind { Norm, Bias, Matrix } kind = Matrix;
        size_t bytes() const {
            if (ggmlType == 0) return (size_t)(ne0 * ne1) * 4;
            if (ggmlType == 30) return (size_t)(ne0 * ne1) * 2;
            return (size_t)(ne0 / 32 * ne1) * 34;
        }
    };

    std::vector<Tensor> layout() const {
        std::vector<Tensor> t;
        uint32_t mt = type == WeightType::F32 ? 0 : type == WeightType::BF16 ? 30 : 8;
        auto add = [&](const std::string& n, int64_t ne0, int64_t ne1, Tensor::Kind k) {
            t.push_back({n, ne0, ne1, k == Tensor::Matrix ? mt : 0u, k});
        };
        int Q = s.nHead * s.headDim, KV = s.nHeadKv * s.headDim;
        add("token_embd.weight", s.nEmbd, s.nVocab, Tensor::Matrix);
        for (int l = 0; l < s.nLayer; l++) {
            std::string b = "blk." + std::to_string(l) + ".";
            add(b + "attn_norm.weight", s.nEmbd, 1, Tensor::Norm);
            add(b + "attn_q.weight", s.nEmbd, Q, Tensor::Matrix);
            add(b + "attn_k.weight", s.nEmbd, KV, Tensor::Matrix);
            add(b + "attn_v.weight", s.nEmbd, KV, Tensor::Matrix);
            if (s.arch == "qwen2") {
                add(b + "attn_q.bias", Q, 1, Tensor::Bias);
                add(b + "attn_k.bias", KV, 1, Tensor::Bias);
                add(b + "attn_v.bias", KV, 1, Tensor::Bias);
            }
            if (s.arch == "qwen3") {
                add(b + "attn_q_norm.weight", s.headDim, 1, Tensor::Norm);
                add(b + "attn_k_norm.weight", s.headDim, 1, Tensor::Norm);
            }
            add(b + "attn_output.weight", Q, s.nEmbd, Tensor::Matrix);
            add(b + "ffn_norm.weight", s.nEmbd, 1, Tensor::Norm);
            add(b + "ffn_gate.weight", s.nEmbd, s.nFf, Tensor::Matrix);
            add(b + "ffn_up.weight", s.nEmbd, s.nFf, Tensor::Matrix);
            add(b + "ffn_down.weight", s.nFf, s.nEmbd, Tensor::Matrix);
        }
        add("output_norm.weight", s.nEmbd, 1, Tensor::Norm);
        if (!s.tied) add("output.weight", s.nEmbd, s.nVocab, Tensor::Matrix);
        return t;
    }

    // Values: norms near 1, biases and matrices uniform with a 1/sqrt(fan-in) scale, so activations
    // stay O(1) through any depth. Large tensors repeat a 1 MiB random block (benchmark models of
    // 7B shapes are written in seconds; the arithmetic does not depend on the values).
    void fill(const Tensor& t, std::vector<uint8_t>& out) {
        int64_t n = t.ne0 * t.ne1;
        float scale = t.kind == Tensor::Norm ? 0.1f : 1.0f / std::sqrt((float)t.ne0);
        float base = t.kind == Tensor::Norm ? 1.0f : 0.0f;
        const int64_t period = 1 << 18;
        std::vector<float> block((size_t)std::min(n, period));
        for (float& v : block) v = base + scale * (2.0f * uniform() - 1.0f);
        out.assign(t.bytes(), 0);
        if (t.ggmlType == 0) {
            for (int64_t i = 0; i < n; i++) std::memcpy(&out[i * 4], &block[i % period], 4);
        } else if (t.ggmlType == 30) {
            for (int64_t i = 0; i < n; i++) {
                uint32_t b;
                std::memcpy(&b, &block[i % period], 4);
                uint16_t h = (uint16_t)((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
                std::memcpy(&out[i * 2], &h, 2);
            }
        } else {  // Q8_0: per block of 32, d = max|x| / 127 as f16, then round(x / d)
            for (int64_t blk = 0; blk < n / 32; blk++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = std::fmax(amax, std::fabs(block[(blk * 32 + j) % period]));
                float d = amax / 127.0f;
                uint16_t h = toHalf(d);
                uint8_t* o = &out[blk * 34];
                std::memcpy(o, &h, 2);
                float id = d > 0 ? 1.0f / d : 0.0f;
                for (int j = 0; j < 32; j++) o[2 + j] = (uint8_t)(int8_t)std::lround(block[(blk * 32 + j) % period] * id);
            }
        }
    }

    static uint16_t toHalf(float f) {
        uint32_t x;
        std::memcpy(&x, &f, 4);
        uint32_t sign = (x >> 16) & 0x8000u;
        int32_t e = (int32_t)((x >> 23) & 0xff) - 127 + 15;
        uint32_t m = x & 0x7fffffu;
        if (e <= 0) return (uint16_t)sign;  // tiny scales flush to zero
        if (e >= 31) return (uint16_t)(sign | 0x7c00u);
        uint32_t h = sign | ((uint32_t)e << 10) | (m >> 13);
        if ((m & 0x1fffu) > 0x1000u || ((m & 0x1fffu) == 0x1000u && (h & 1u))) h++;
        return (uint16_t)h;
    }

    float uniform() {
        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
        return (float)((rng >> 40) * (1.0 / 16777216.0));
    }
    static size_t pad(size_t n) { return (n + 31) / 32 * 32; }
    static void put32(std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
    static void put64(std::string& s, uint64_t v) { s.append(reinterpret_cast<const char*>(&v), 8); }
    static void putStr(std::string& s, const std::string& v) { put64(s, v.size()); s += v; }

    ModelShape s;
    WeightType type;
    uint64_t rng;
};

}  // namespace ditto::check
