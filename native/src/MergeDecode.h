// Q8_0 blocks -> float32 for `ditto adapter merge`.
#pragma once
#include <cstdint>

namespace ditto {

// out[n] from n / 32 Q8_0 blocks (f16 scale d, 32 int8 q): d * q, exact in float32, so the same
// values as the TypeScript decoder. False (out unspecified) when a scale is infinite or NaN: the
// NaNs such products make differ in sign and payload between C++ and JavaScript, so the caller
// decodes that tensor in TypeScript to keep the merged bytes identical.
bool decodeQ8_0(const uint8_t* blocks, int64_t n, float* out);

}  // namespace ditto
