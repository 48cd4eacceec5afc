// AVX2 decoders of the 32-value groups of QuantGroups.h and WeightDecode.cpp (Q4_K, Q5_K, Q6_K,
// Q4_0, Q4_1, Q5_0, Q5_1), for the products' packing. Each computes the scalar decoder's float
// expression in the same order, with no fused multiply-add, so both give the same bits (checked
// by ditto_selftest_dequant). Call only where the CPU has AVX2.
#pragma once
#include <cstdint>

namespace ditto {

void q4kGroupAvx2(const uint8_t* blocks, int g, float* y);
void q5kGroupAvx2(const uint8_t* blocks, int g, float* y);
void q6kGroupAvx2(const uint8_t* blocks, int g, float* y);
void q4_0GroupAvx2(const uint8_t* blocks, int g, float* y);
void q4_1GroupAvx2(const uint8_t* blocks, int g, float* y);
void q5_0GroupAvx2(const uint8_t* blocks, int g, float* y);
void q5_1GroupAvx2(const uint8_t* blocks, int g, float* y);

}  // namespace ditto
