// The fixture generator's random values (src/fixtures/makeFixtureModel.ts randomValues), natively:
// in TypeScript they cost more than the quantizer does for a 7B fixture.
#pragma once
#include <cstdint>

namespace ditto {

// out[i] = float(offset + ((u_i / 2^32 * 2 - 1) * scale) * scale2) in double, u_i the i-th u32 of
// src/random/Rng.ts seeded with `seed` (splitmix32 seeding, xoshiro128**): the same floats as
// `offset + (rng.next() * 2 - 1) * scale * scale2` there. offset 0 and scale2 1 change nothing
// (x + 0 and x * 1 are x for every value the product can take), so each of the generator's
// formulas is one call.
void fillUniform(float* out, int64_t n, uint32_t seed, double scale, double scale2, double offset);

}  // namespace ditto
