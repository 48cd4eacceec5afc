// The training engine: a frozen Model, LoRA pairs in one contiguous buffer (with gradients and
// AdamW moments in three more of the same layout), and the forward/backward over packed batches.
// Memory is flat in depth: the forward keeps only each layer's input; the backward recomputes a
// layer's activations from it just before back-propagating through that layer.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "AlignedVector.h"
#include "BatchLayout.h"
#include "Model.h"
#include "ThreadPool.h"

namespace ditto {

enum Target { TQ = 0, TK, TV, TO, TGate, TUp, TDown, NumTargets };

struct LoraPairInfo { int layer, target, nIn, nOut; int64_t offA, offB; };

struct EngineOptions {
    std::string modelPath;
    int rank = 8;
    float alpha = 16;
    float dropout = 0;
    uint32_t targets = 0;  // bit t = Target t
    int threads = 0;
    uint64_t seed = 0;
    // Activations of this many bytes are kept from the forward for the backward; layers beyond
    // it are recomputed from their input, so memory stays bounded whatever the depth. 0 = always recompute.
    size_t activationBudgetBytes = 0;
    // products with frozen F16/BF16 weights in bf16 (GemmBf16.h); the rest stays fp32
    bool bf16 = false;
};

struct AdamWSettings { float lr, beta1, beta2, eps, weightDecay, clip, gradScale; };

struct LossResult { double lossSum = 0; int64_t tokens = 0; };

class Engine {
public:
    explicit Engine(const EngineOptions& options);
    const HParams& hparams() const { return model->hp; }
    const std::vector<LoraPairInfo>& pairs() const { return pairInfo; }
    // the kernel of the weight products: "avx512bf16" when precision bf16 found F16/BF16 weights
    const char* weightKernel() const { return bf16Products ? "avx512bf16" : gemmKernelName(); }

    LossResult accumulate(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments);
    LossResult evaluate(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments);
    double optimizerStep(const AdamWSettings& s);
    void logits(int n, const int32_t* tokens, float* out);

    AlignedVector<float> weights, grads, adamM, adamV;
    int64_t step = 0;
    uint64_t rng = 0;  // counts accumulate calls: the dropout masks are a function of (seed, rng)

private:
    struct LayerActs;  // one layer's activations, sized for the current batch
    struct Scratch;    // transients and backward buffers shared by all layers
    using Batch = BatchLayout;
    Batch prepare(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments, bool needTargets);
    Linear<float> linear(int layer, int target, bool training);
    void layerForward(int layer, const float* x, float* out, const Batch& b, bool training, LayerActs& a);
    void layerBackward(int layer, float* dx, const float* x, const Batch& b, LayerActs& a);
    LossResult run(const Batch& b, const int32_t* targets, bool training);
    int64_t layerActsFloatsPerToken() const;
    void ensureLayerActs(LayerActs& a, int64_t N);
    void ensureScratch(int64_t N);

    EngineOptions opts;
    std::unique_ptr<Model> model;
    std::unique_ptr<ThreadPool> pool;
    std::vector<LoraPairInfo> pairInfo;
    std::vector<int> pairIndex;  // [layer * NumTargets + target] -> index in pairInfo or -1
    float loraScale = 0;
    bool bf16Products = false;
    std::shared_ptr<Scratch> scratch;
    std::shared_ptr<LayerActs> shared;
    std::vector<std::shared_ptr<LayerActs>> cached;  // the last cached.size() layers' activations
};

}  // namespace ditto
