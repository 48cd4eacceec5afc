// The frozen base model: hyperparameters from GGUF metadata, matrices as views into the
// memory-mapped file, norms and biases as float32 copies.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "Ops.h"

namespace ditto {

enum class Arch { Llama, Qwen2, Qwen3 };

struct HParams {
    Arch arch = Arch::Llama;
    std::string archName;
    int nLayer = 0, nEmbd = 0, nHead = 0, nHeadKv = 0, headDim = 0, nFf = 0, nVocab = 0;
    double normEps = 1e-5;
    RopeParams rope;
    bool tiedOutput = false;
    int qDim() const { return nHead * headDim; }
    int kvDim() const { return nHeadKv * headDim; }
};

struct LayerWeights {
    std::vector<float> attnNorm, bq, bk, bv, qNorm, kNorm, ffnNorm;
    WeightMatrix wq, wk, wv, wo, wGate, wUp, wDown;
};

class GgufFile;

// Matrices in every type the engine reads (kDecodedTypes: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0,
// Q5_1, Q4_K, Q5_K, Q6_K) stay in the memory-mapped file and are decoded inside the products (block
// types by 32-value groups, each with its own scale), so the base takes its file size in memory.
// Vectors (norms, biases) are always F32 copies.
struct Model {
    HParams hp;
    std::shared_ptr<GgufFile> file;
    WeightMatrix tokenEmbd, output;
    std::vector<float> outputNorm, ropeFreqs;
    std::vector<LayerWeights> layers;
    const WeightMatrix& head() const { return hp.tiedOutput ? tokenEmbd : output; }
};

// Throws std::runtime_error naming an unsupported architecture, tensor type or missing tensor.
std::unique_ptr<Model> loadModel(const std::string& path);

// precision bf16: marks the F16/BF16 matrices (projections and head; the tied head's embedding
// lookups decode rows and are unaffected) for bf16 products; returns whether there was any.
bool markBf16Products(Model& model);

}  // namespace ditto
