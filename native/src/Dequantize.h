// Decoding of ggml tensor encodings to float32, written from the published block layouts:
//   F32, F16, BF16; Q8_0 (32 values: f16 d, 32 x int8); Q4_K and Q6_K (256-value super-blocks).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ditto {

// Bytes of n values of a type, or 0 when the type is not one we decode.
size_t tensorBytes(uint32_t type, int64_t n);
// Name of a ggml type id for error messages ("Q5_K", "type 42").
std::string ggmlTypeName(uint32_t type);
// out[n] = decode(data); throws naming the type when unsupported or n does not fill whole blocks.
void dequantize(uint32_t type, const uint8_t* data, int64_t n, float* out, const std::string& tensorName);

float halfToFloat(uint16_t h);

}  // namespace ditto
