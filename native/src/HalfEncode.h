// float32 -> IEEE half for `ditto adapter merge`'s F16 output.
#pragma once
#include <cstdint>

#include "GemmKernels.h"

namespace ditto {

// out[i] = half bits of in[i], rounded to nearest even, with the exact results of the TypeScript
// encoder (src/gguf/halfFloat.ts toHalf) for every input, NaNs included (sign | 0x7e00), so the
// merged file's bytes do not depend on which side encodes.
void encodeHalf(GemmIsa isa, const float* in, uint16_t* out, int64_t n);

// The half bits of one value, as toHalf (the portable kernel's scalar step).
uint16_t halfBits(float value);

}  // namespace ditto
