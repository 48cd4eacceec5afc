// The frozen base model: hyperparameters from GGUF metadata and float32 weights dequantized once
// at load (the file stays memory-mapped only while loading).
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
    std::vector<float> attnNorm, wq, wk, wv, bq, bk, bv, qNorm, kNorm, wo, ffnNorm, wGate, wUp, wDown;
};

struct Model {
    HParams hp;
    std::vector<float> tokenEmbd, outputNorm, output, ropeFreqs;
    std::vector<LayerWeights> layers;
    const float* head() const { return hp.tiedOutput ? tokenEmbd.data() : output.data(); }
};

// Throws std::runtime_error naming an unsupported architecture, tensor type or missing tensor.
std::unique_ptr<Model> loadModel(const std::string& path);

}  // namespace ditto
