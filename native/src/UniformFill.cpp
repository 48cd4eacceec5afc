// Kept in double and in the TypeScript's order, so fp-contract=off (an FMA would round once).
#pragma GCC optimize("fp-contract=off")
#include "UniformFill.h"

namespace ditto {

namespace {

inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// src/random/Rng.ts, in uint32 arithmetic (its Math.imul, >>> 0 and int32 bit operators are that)
struct Xoshiro128 {
    uint32_t s0, s1, s2, s3;

    explicit Xoshiro128(uint32_t seed) {
        uint32_t h = seed;
        auto next = [&h] {
            h += 0x9e3779b9u;
            uint32_t z = h;
            z = (z ^ (z >> 16)) * 0x85ebca6bu;
            z = (z ^ (z >> 13)) * 0xc2b2ae35u;
            return z ^ (z >> 16);
        };
        s0 = next(); s1 = next(); s2 = next(); s3 = next();
    }

    uint32_t u32() {
        uint32_t result = rotl(s1 * 5, 7) * 9;
        uint32_t t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t; s3 = rotl(s3, 11);
        return result;
    }
};

}  // namespace

void fillUniform(float* out, int64_t n, uint32_t seed, double scale, double scale2, double offset) {
    Xoshiro128 rng(seed);
    for (int64_t i = 0; i < n; i++) {
        double r = (double)rng.u32() / 4294967296.0;
        out[i] = (float)(offset + ((r * 2 - 1) * scale) * scale2);
    }
}

}  // namespace ditto
