// Decoding of ggml tensor encodings to float32, written from the published block layouts:
//   F32, F16, BF16; Q8_0 (32 values: f16 d, 32 x int8); Q4_0, Q4_1, Q5_0, Q5_1 (32-value blocks,
//   QuantGroups.h); Q4_K, Q5_K and Q6_K (256-value super-blocks).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ditto {

// Bytes of n values of a type, or 0 when the type is not one we decode.
size_t tensorBytes(uint32_t type, int64_t n);
// Values per block of a type we decode (1 for F32/F16/BF16, 32, 256), 0 for any other type.
int ggmlBlockValues(uint32_t type);
// The types the engine reads, for error messages: "F32, F16, BF16, Q8_0, ...".
extern const char* const kDecodedTypes;
// Name of a ggml type id for error messages ("Q5_K", "type 42").
std::string ggmlTypeName(uint32_t type);
// out[n] = decode(data); throws naming the type when unsupported or n does not fill whole blocks.
void dequantize(uint32_t type, const uint8_t* data, int64_t n, float* out, const std::string& tensorName);

float halfToFloat(uint16_t h);

}  // namespace ditto
