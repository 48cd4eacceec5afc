#include "BatchLayout.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ditto {

static std::runtime_error outsideVocab(const char* what, int32_t id, int64_t k, int nVocab) {
    return std::runtime_error(std::string(what) + " id " + std::to_string(id) + " at position " + std::to_string(k) +
                              " is outside the vocabulary [0, " + std::to_string(nVocab) + ")");
}

BatchLayout BatchLayout::build(int nVocab, int batch, int seqLen, const int32_t* tokens, const int32_t* targets,
                               const int32_t* segments, bool needTargets, bool perTokenRuns) {
    if (batch <= 0 || seqLen <= 0)
        throw std::runtime_error("batch and seqLen must be positive, got " + std::to_string(batch) + " x " + std::to_string(seqLen));
    BatchLayout b;
    b.N = (int64_t)batch * seqLen;
    b.tokens.resize(b.N);
    b.pos.resize(b.N);
    if (perTokenRuns) {
        b.runStart.resize(b.N);
        b.runEnd.resize(b.N);
    }
    for (int r = 0; r < batch; r++) {
        std::vector<int32_t> seen;
        int64_t rowStart = (int64_t)r * seqLen, i = rowStart;
        while (i < rowStart + seqLen) {
            int32_t seg = segments ? segments[i] : 0;
            int64_t j = i;
            while (j < rowStart + seqLen && (segments ? segments[j] : 0) == seg) j++;
            if (seg >= 0) {
                if (std::find(seen.begin(), seen.end(), seg) != seen.end())
                    throw std::runtime_error("row " + std::to_string(r) + ": segment " + std::to_string(seg) +
                                             " appears in two separate places; a packed segment must be one contiguous span");
                seen.push_back(seg);
            }
            b.runs.push_back({i, (int)(j - i)});
            for (int64_t k = i; k < j; k++) {
                int32_t tok = tokens[k];
                if (tok < 0 || tok >= nVocab) {
                    if (seg >= 0) throw outsideVocab("token", tok, k, nVocab);
                    tok = 0;  // padding content is never read by real tokens
                }
                b.tokens[k] = tok;
                b.pos[k] = (int32_t)(k - i);
                if (perTokenRuns) {
                    b.runStart[k] = (int32_t)i;
                    b.runEnd[k] = (int32_t)j;
                }
                if (needTargets && targets[k] >= 0) {
                    if (targets[k] >= nVocab) throw outsideVocab("target", targets[k], k, nVocab);
                    if (seg < 0)
                        throw std::runtime_error("position " + std::to_string(k) + " is padding (segment -1) but has target " +
                                                 std::to_string(targets[k]) + "; padding must have target -1");
                }
            }
            i = j;
        }
    }
    return b;
}

}  // namespace ditto
