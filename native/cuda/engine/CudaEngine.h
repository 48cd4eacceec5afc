// The CUDA training engine: native/src/Engine.cpp's forward and backward, op for op, on the GPU.
// Frozen weights bf16 (or their file encoding for Q8_0/K-quants, dequantized a layer at a time
// into one of two bf16 slots, the next layer prefetched on a side stream); fp32 residual stream,
// LoRA master weights, gradients and AdamW state; bf16 activations where they feed products.
#pragma once
#include <array>
#include <memory>
#include <vector>

#include "BatchLayout.h"
#include "GpuEngine.h"
#include "engine/DeviceBuffer.h"
#include "kernels/Dequant.cuh"
#include "kernels/Gemm.cuh"

namespace ditto::cuda {

class CudaEngine final : public GpuEngine {
public:
    CudaEngine(const Model& model, const EngineOptions& options);
    ~CudaEngine() override;
    const HParams& hparams() const override { return hp; }
    const std::vector<LoraPairInfo>& pairs() const override { return pairInfo; }
    LossResult accumulate(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments) override;
    LossResult evaluate(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments) override;
    double optimizerStep(const AdamWSettings& s) override;
    void logits(int n, const int32_t* tokens, float* out) override;
    float* hostBuffer(Buffer which) override;
    int64_t nParams() const override { return nParamsTotal; }
    DeviceDescription device() const override;

private:
    struct Layer {
        DeviceWeight w[NumTargets];  // a quantized layer's matrices as loaded (dequantized into a slot per use)
        const bf16* fused = nullptr;  // otherwise all seven in bf16, one contiguous block laid out as a slot
        const float *attnNorm = nullptr, *ffnNorm = nullptr, *qNorm = nullptr, *kNorm = nullptr;
        const float* qkvBias = nullptr;  // Qwen2: bq|bk|bv, the fused q|k|v product's epilogue bias
        bool quantized = false;
    };
    // One layer's saved activations (see layerForward for which is which).
    struct Acts {
        DeviceBuffer xn1, rstd1, qraw, qrstd, kraw, krstd, q, k, v, lse, att, x1, xn2, rstd2, gu, act;
        DeviceBuffer h[NumTargets], xd[NumTargets];
    };
    using Batch = BatchLayout;
    struct LinearRef {
        int in = 0, out = 0;
        int pair = -1;  // LoRA pair index or -1
        float dropout = 0;
        uint64_t key = 0;
    };

    Batch prepare(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments, bool needTargets);
    void upload(const Batch& b);
    void syncHostToDevice();
    const bf16* weight(int layer, int target);
    void materialize(int layer, int next);
    void releaseSlot(int layer);
    LinearRef linear(int layer, int target, bool training);
    template <typename Tout>
    void linearForward(Tout* y, Acts& a, int l, int t0, int nT, const bf16* x, const float* bias, int64_t N, bool training);
    template <typename Tout> void loraForward(Tout* y, int ldy, Acts& a, int t, const bf16* x, const LinearRef& L, int64_t N);
    void linearBackward(float* dx, float dxBeta, const bf16* dy, Acts& a, int l, int t0, int nT, const bf16* x, int64_t N);
    void loraBackward(float* dx, const bf16* dy, int ldy, Acts& a, int t, const bf16* x, const LinearRef& L, int64_t N);
    void layerForward(int l, const float* x, float* out, const Batch& b, bool training, Acts& a);
    void layerBackward(int l, float* dx, const float* x, const Batch& b, Acts& a);
    LossResult run(const Batch& b, const int32_t* targets, bool training);
    void ensureActs(Acts& a, int64_t N);
    void ensureScratch(int64_t N);
    int64_t actsBytesPerToken() const;
    const bf16* headChunk(int v0, int vc);

    HParams hp;
    EngineOptions opts;
    std::vector<LoraPairInfo> pairInfo;
    std::vector<int> pairIndex;
    int64_t nParamsTotal = 0;
    float loraScale = 0;
    cudaStream_t stream = nullptr, side = nullptr;
    std::array<cudaEvent_t, 2> slotReady{}, slotFree{};
    std::array<int, 2> slotLayer{{-1, -1}};
    std::unique_ptr<GemmEngine> gemmEngine;
    std::vector<DeviceBuffer> owned;  // weights and norms, for the engine's life
    std::vector<Layer> layers;
    DeviceWeight tokenEmbd, output;
    const float* outputNorm = nullptr;
    const float* ropeFactors = nullptr;
    DeviceBuffer slots[2];  // bf16 weights of a quantized layer
    // Where each target's matrix starts in a slot (or a layer's fused block), in target order, so
    // that q|k|v and gate|up are each one matrix: the operand of one product.
    int64_t slotOffset[NumTargets + 1] = {};
    // LoRA state: fp32 master weights, gradients, AdamW moments; the bf16 copy the products read
    DeviceBuffer loraW, loraG, loraM, loraV, loraWb;
    std::vector<float> host[4];
    bool hostDirty[4] = {false, false, false, false};
    bool loraBf16Stale = true;
    // batch, scratch and activations
    DeviceBuffer dTokens, dPos, dRunStart, dRunEnd;
    DeviceBuffer xs, tqkv, tq, tk, o, down, dxn, dq, dk, dv, dqraw, dkraw, datt, dattb, dact, dyb, dh, dxl, attnScratch, outScratch;
    DeviceBuffer ceX, ceXn, ceRstd, ceLogits, ceP, ceM, ceS, ceTl, ceRescale, ceLoss, ceDxn, ceDx, ceTargetRows, ceRows, ceTargets, ceHead;
    DeviceBuffer dxAll, normScratch, normSum, ceInit, logitsOut;
    Acts shared;
    std::vector<std::unique_ptr<Acts>> cached;
};

}  // namespace ditto::cuda
