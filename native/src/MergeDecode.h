// Base weights -> float32 for `ditto adapter merge`, with the TypeScript decoders' exact values.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ditto {

// Bytes that n values of a ggml type take (F16, BF16, Q8_0, Q4_K, Q6_K), or 0 for another type
// or an n that is not a whole number of blocks.
size_t mergeDecodeBytes(int type, int64_t n);

// out[n] from n values of a ggml type, the values src/adapter/readTensorValues.ts gives: half and
// bfloat16 values are exact; Q8_0 d * q is exact in float32; Q4_K (d * scale) * q - dmin * min
// and Q6_K d * scale * q are computed in double and rounded once to float32, as JavaScript does.
// False (out unspecified) when a value is NaN or a block scale is infinite or NaN: the NaNs such
// values make differ in sign and payload between C++ and JavaScript, so the caller decodes that
// tensor in TypeScript to keep the merged bytes identical. Types other than those: false.
bool decodeForMerge(int type, const uint8_t* data, int64_t n, float* out);

// Whether decodeForMerge would decode these n values (true) or refuse them (false), without
// decoding: lets a caller that streams a matrix's output learn before its first byte that the
// matrix must go the TypeScript way.
bool mergeDecodeAccepts(int type, const uint8_t* data, int64_t n);

}  // namespace ditto
