// float32 -> ggml encodings for the fixture models and the adapter writer: the native twin of
// src/gguf/encodeTensorTs.ts (the reference), byte for byte.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ditto {

// Bytes that n values of type take when encoded, or 0 when the type is not one quantizeTensor
// writes (F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K) or n is not whole blocks.
size_t quantizedBytes(uint32_t type, int64_t n);

// out[quantizedBytes(type, n)] = in[n] encoded as the TypeScript quantizers encode it, every
// double-precision step, JavaScript's Math.round / Math.min / Math.max (NaN, -0) and the
// truncations of its typed-array stores included, so a fixture's bytes do not depend on which side
// wrote it. Returns false (out untouched) when quantizedBytes is 0.
bool quantizeTensor(uint32_t type, const float* in, int64_t n, uint8_t* out);

}  // namespace ditto
