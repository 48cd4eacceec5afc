#include "MergeTensor.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "GgufFile.h"
#include "HalfEncode.h"
#include "LoraMerge.h"
#include "MergeDecode.h"
#include "Q8Encode.h"

namespace ditto {

int64_t mergeTensorOutBytes(int outType, int64_t n) {
    if (n < 0) return 0;
    switch (outType) {
        case GGML_F32: return n * 4;
        case GGML_F16: return n * 2;
        case GGML_Q8_0: return n % 32 ? 0 : n / 32 * 34;
        default: return 0;
    }
}

bool mergeTensor(ThreadPool* pool, GemmIsa isa, int baseType, const uint8_t* base, const float* a, const float* b, int64_t nOut,
                 int64_t nIn, int rank, double factor, int outType, uint8_t* out) {
    if (nOut <= 0 || nIn <= 0) return nOut >= 0 && nIn >= 0;
    int64_t inRow = baseType == GGML_F32 ? nIn * 4 : (int64_t)mergeDecodeBytes(baseType, nIn);
    int64_t outRow = mergeTensorOutBytes(outType, nIn);
    if (inRow == 0 || outRow == 0) return false;
    // ~256 KB of float32 a block: it stays in L2 from decoding to encoding
    int64_t rows = std::max<int64_t>(1, (64 * 1024) / nIn);
    int64_t nTasks64 = (nOut + rows - 1) / rows;
    int nWorkers = pool ? pool->size() : 1;
    std::vector<std::vector<float>> scratch(nWorkers);
    std::atomic<bool> refused{false};
    auto task = [&](int t, int worker) {
        if (refused.load(std::memory_order_relaxed)) return;
        int64_t r0 = t * rows, n = std::min(rows, nOut - r0);
        std::vector<float>& w = scratch[worker];
        if ((int64_t)w.size() < rows * nIn) w.resize(rows * nIn);
        if (baseType == GGML_F32) std::memcpy(w.data(), base + r0 * inRow, n * inRow);
        else if (!decodeForMerge(baseType, base + r0 * inRow, n * nIn, w.data())) { refused = true; return; }
        loraMerge(isa, w.data(), a, b + r0 * rank, n, nIn, rank, factor);
        uint8_t* dst = out + r0 * outRow;
        if (outType == GGML_F32) std::memcpy(dst, w.data(), n * nIn * 4);
        else if (outType == GGML_F16) encodeHalf(isa, w.data(), reinterpret_cast<uint16_t*>(dst), n * nIn);
        else encodeQ8_0(isa, w.data(), dst, n * nIn);
    };
    if (pool) pool->parallelFor((int)nTasks64, task);
    else for (int t = 0; t < (int)nTasks64; t++) task(t, 0);
    return !refused;
}

}  // namespace ditto
