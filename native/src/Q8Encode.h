// float32 -> ggml Q8_0 blocks for `ditto adapter merge`'s q8_0 output.
#pragma once
#include <cstdint>

#include "GemmKernels.h"

namespace ditto {

// n (a multiple of 32) values -> n / 32 blocks of 34 bytes (f16 scale d, 32 int8), the bytes of the
// TypeScript encoder (src/gguf/quantizeQ8_0.ts) for every input: d = max|x| / 127 in
// double, rounded to float and then to half as toHalf does; q = Math.round(x * (1 / d)) in double,
// halves rounded up; a block with a NaN or an infinity gets q = 0 and the scale quantizeQ8_0 gives
// it under V8 on x86: 0xfe00 (Math.max's NaN has the sign bit set) or 0x7c00.
void encodeQ8_0(GemmIsa isa, const float* in, uint8_t* out, int64_t n);

}  // namespace ditto
