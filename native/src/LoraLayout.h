// Where each LoRA pair lives in the engines' one contiguous buffer, and the seeded initialisation
// of A. Shared by the CPU and CUDA engines so both start from the same bytes.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "Engine.h"

namespace ditto {

// Pairs in canonical order (layer-major, then q, k, v, o, gate, up, down); A [rank x nIn] then
// B [nOut x rank] row-major. pairIndex[layer * NumTargets + target] = index in the result or -1.
inline std::vector<LoraPairInfo> loraLayout(const HParams& hp, uint32_t targets, int rank, std::vector<int>& pairIndex, int64_t& total) {
    std::vector<LoraPairInfo> pairs;
    int64_t off = 0;
    pairIndex.assign((size_t)hp.nLayer * NumTargets, -1);
    for (int l = 0; l < hp.nLayer; l++)
        for (int t = 0; t < NumTargets; t++) {
            if (!(targets & (1u << t))) continue;
            int in = 0, out = 0;
            switch (t) {
                case TQ: in = hp.nEmbd; out = hp.qDim(); break;
                case TK: case TV: in = hp.nEmbd; out = hp.kvDim(); break;
                case TO: in = hp.qDim(); out = hp.nEmbd; break;
                case TGate: case TUp: in = hp.nEmbd; out = hp.nFf; break;
                case TDown: in = hp.nFf; out = hp.nEmbd; break;
            }
            LoraPairInfo p{l, t, in, out, off, off + (int64_t)rank * in};
            off = p.offB + (int64_t)out * rank;
            pairIndex[(size_t)l * NumTargets + t] = (int)pairs.size();
            pairs.push_back(p);
        }
    total = off;
    return pairs;
}

// A ~ U(-1/sqrt(nIn), 1/sqrt(nIn)) (kaiming-uniform with a = sqrt(5), as PEFT), B = 0 so the
// adapter starts as the identity; each pair's stream depends only on (seed, layer, target).
inline void initLoraWeights(float* weights, const std::vector<LoraPairInfo>& pairs, int rank, uint64_t seed) {
    for (const LoraPairInfo& p : pairs) {
        float bound = 1.0f / std::sqrt((float)p.nIn);
        uint64_t key = mix64(seed ^ mix64(0xA11CE + (uint64_t)p.layer * NumTargets + p.target));
        float* a = weights + p.offA;
        for (int64_t i = 0; i < (int64_t)rank * p.nIn; i++) {
            double u = (double)(mix64(key + (uint64_t)i) >> 11) * (1.0 / 9007199254740992.0);
            a[i] = (float)((2 * u - 1) * bound);
        }
    }
}

// Dropout key of one (accumulate call, layer, target), as both engines derive it.
inline uint64_t dropoutKey(uint64_t seed, uint64_t rng, int layer, int target) {
    return mix64(seed ^ mix64(rng * 0x100000001b3ULL + (uint64_t)layer * NumTargets + target + 1));
}

}  // namespace ditto
