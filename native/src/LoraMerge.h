// Folds a LoRA pair into a float32 weight matrix for `ditto adapter merge`.
#pragma once
#include <cstdint>

#include "GemmKernels.h"

namespace ditto {

// W[nOut x nIn] += (factor * B[nOut x r]) A[r x nIn], in place, with the rounding of the reference
// loop it replaces (src/adapter/mergeAdapter.ts) so the merged file's bytes do not depend on the
// kernel: for each element, k = 0..r-1 in order, w = float(double(w) + double(factor * b[o][k]) *
// a[k][i]), terms with a zero coefficient skipped. Each step rounds to float, so no matrix product
// can reorder it; the kernels vectorize over i and keep a row block in registers across k.
void loraMerge(GemmIsa isa, float* w, const float* a, const float* b, int64_t nOut, int64_t nIn, int rank, double factor);

}  // namespace ditto
