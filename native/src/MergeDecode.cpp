// A plain loop the compiler vectorizes: the TypeScript decoder costs ~10 ns a value, this well
// under one, which matters at a 7B model's 6.5 billion adapted weights.
#include "DecodeQ8.h"

#include <cstring>

#include "Dequantize.h"

namespace ditto {

bool decodeQ8_0(const uint8_t* blocks, int64_t n, float* out) {
    for (int64_t b = 0; b < n / 32; b++) {
        const uint8_t* blk = blocks + b * 34;
        uint16_t h;
        std::memcpy(&h, blk, 2);
        if ((h & 0x7c00) == 0x7c00) return false;
        float d = halfToFloat(h);
        const int8_t* q = reinterpret_cast<const int8_t*>(blk + 2);
        for (int i = 0; i < 32; i++) out[b * 32 + i] = d * (float)q[i];
    }
    return true;
}

}  // namespace ditto
