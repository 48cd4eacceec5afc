// A packed batch as both engines read it: validated token ids, positions within segments, the
// segments' runs and, per token, the bounds of its run. Built by one function so that the CPU and
// CUDA engines accept the same batches and reject bad ones with the same messages.
#pragma once
#include <cstdint>
#include <vector>

#include "Ops.h"

namespace ditto {

struct BatchLayout {
    int64_t N = 0;                      // batch * seqLen
    std::vector<int32_t> tokens, pos;   // padding tokens read as id 0; pos restarts at each run
    std::vector<Run> runs;              // maximal spans of one segment id, row by row
    std::vector<int32_t> runStart, runEnd;  // per token: [start, end) of its run (filled when asked)

    // Validates the batch (positive shape, each segment one contiguous span per row, ids of real
    // tokens and of targets inside [0, nVocab), no target on padding) and lays it out. segments may
    // be null (one segment per row); targets are read only when needTargets. Throws
    // std::runtime_error naming the row or position.
    static BatchLayout build(int nVocab, int batch, int seqLen, const int32_t* tokens, const int32_t* targets,
                             const int32_t* segments, bool needTargets, bool perTokenRuns);
};

}  // namespace ditto
