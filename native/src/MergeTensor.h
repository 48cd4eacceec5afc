// One adapted matrix of `ditto adapter merge`, decode to encode, in row blocks across threads.
#pragma once
#include <cstdint>

#include "GemmKernels.h"
#include "ThreadPool.h"

namespace ditto {

// out = encode(decode(base) + (factor * B) A) for W[nOut x nIn] of ggml type baseType (F32 or a
// decodeForMerge type) to outType (F32, F16 or Q8_0), with the bytes that decodeForMerge, loraMerge
// and encodeHalf / encodeQ8_0 give one after another on the whole matrix: every step is per row
// (per element, or per 32-value block within a row), so row blocks that stay in cache are done
// independently, on the pool's threads, with no full float32 copy of the matrix.
// False (out unspecified) when decodeForMerge refuses a value (NaN, non-finite scale: decode that
// matrix in TypeScript), when nIn is not a whole number of blocks of baseType or, for Q8_0 output,
// of 32, or for an unsupported type.
bool mergeTensor(ThreadPool* pool, GemmIsa isa, int baseType, const uint8_t* base, const float* a, const float* b, int64_t nOut,
                 int64_t nIn, int rank, double factor, int outType, uint8_t* out);

// Bytes of the mergeTensor output for n values of outType, 0 for an unsupported type or n.
int64_t mergeTensorOutBytes(int outType, int64_t n);

}  // namespace ditto
