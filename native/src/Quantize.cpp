// Each quantizer is a line-by-line port of its TypeScript reference (named above it). JavaScript
// computes in double, so every step here is double too, in the same order; a contracted
// multiply-add would round once instead of twice, hence fp-contract=off. The js* helpers are
// JavaScript's own rules where C's differ: Math.round rounds halves up (C's round: away from
// zero), Math.min / Math.max return NaN for any NaN and order -0 below +0 (a K-quant's dmin is
// -0 or +0 by that rule, and its f16 bits differ), `x ? a : b` is false for NaN, and a store into a
// Uint8Array / Int8Array / shift operand goes through ToInt32 (NaN and infinities become 0).
#pragma GCC optimize("fp-contract=off")
#include "Quantize.h"

#include "GemmKernels.h"
#include "Q8Encode.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "Dequantize.h"
#include "GemmKernels.h"
#include "GgufFile.h"
#include "HalfEncode.h"

namespace ditto {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

inline bool jsTruthy(double x) { return x == x && x != 0; }

inline double jsMin(double a, double b) {
    if (a != a || b != b) return kNaN;
    if (a == b) return std::signbit(a) ? a : b;
    return a < b ? a : b;
}

inline double jsMax(double a, double b) {
    if (a != a || b != b) return kNaN;
    if (a == b) return std::signbit(a) ? b : a;
    return a > b ? a : b;
}

// Math.round: the nearest integer, halves toward +infinity; -0 for x in [-0.5, -0]. Through int64
// for |x| < 2^52 (the only values with a fraction): exact, and no libm call.
inline double jsRound(double x) {
    if (!(std::fabs(x) < 4503599627370496.0)) return x;
    double t = (double)(int64_t)x;
    if (t > x) t -= 1;
    if (x - t >= 0.5) t += 1;
    return t == 0 && std::signbit(x) ? -0.0 : t;
}

// ECMAScript ToInt32: truncate, then modulo 2^32; NaN and infinities are 0
inline int32_t jsInt32(double x) {
    if (std::fabs(x) < 2147483648.0) return (int32_t)x;
    if (!std::isfinite(x)) return 0;
    double t = std::trunc(x);
    if (std::fabs(t) < 2147483648.0) return (int32_t)t;
    double m = std::fmod(t, 4294967296.0);
    if (m < 0) m += 4294967296.0;
    return (int32_t)(uint32_t)m;
}

inline uint8_t jsUint8(double x) { return (uint8_t)jsInt32(x); }

// The value loops' step, without branches (random signs and fractions would mispredict them):
// ToInt32(Math.max(lo, Math.min(hi, Math.round(v)))) for integer bounds, NaN -> nan. v is clamped
// to [lo - 1, hi + 1] first (NaN to lo - 1), which Math.round's monotonicity makes harmless; the
// zero's sign that Math.round may give is lost in ToInt32 anyway.
inline int32_t roundClamped(double v, int32_t lo, int32_t hi, int32_t nan) {
    double c = v > lo - 1 ? v : lo - 1;
    c = c < hi + 1 ? c : hi + 1;
    double f = (double)(int32_t)c;
    f -= (double)(f > c);  // truncation -> floor
    int32_t r = (int32_t)f + (int32_t)(c - f >= 0.5);
    r = r < lo ? lo : r;
    r = r > hi ? hi : r;
    return v == v ? r : nan;
}

// ToInt32(Math.max(lo, Math.min(hi, Math.floor(v)))) the same way, NaN -> lo
inline int32_t floorClamped(double v, int32_t lo, int32_t hi) {
    double c = v > lo - 1 ? v : lo - 1;
    c = c < hi + 1 ? c : hi + 1;
    double f = (double)(int32_t)c;
    int32_t r = (int32_t)f - (int32_t)(f > c);
    r = r < lo ? lo : r;
    r = r > hi ? hi : r;
    return r;
}

// toHalf(number): the number is first stored into a Float32Array (one rounding), then to half
inline uint16_t toHalf(double v) { return halfBits((float)v); }
inline double fromHalf(uint16_t h) { return (double)halfToFloat(h); }

inline void putU16(uint8_t* p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
inline void putU32(uint8_t* p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }

// packKQuantScales.ts: sc and mn as JavaScript numbers, read through ToInt32 by its bit operators
void packKQuantScales(uint8_t* out, const double* sc, const double* mn) {
    for (int j = 0; j < 4; j++) {
        out[j] = (uint8_t)((jsInt32(sc[j]) & 63) | ((jsInt32(sc[j + 4]) >> 4) << 6));
        out[4 + j] = (uint8_t)((jsInt32(mn[j]) & 63) | ((jsInt32(mn[j + 4]) >> 4) << 6));
        out[8 + j] = (uint8_t)((jsInt32(sc[j + 4]) & 0xf) | ((jsInt32(mn[j + 4]) & 0xf) << 4));
    }
}

// quantizeQ8_0.ts: 34-byte blocks of 32, by the merge's encoder (the same bytes, AVX2 when present)
void quantizeQ8_0(const float* values, int64_t nBlocks, uint8_t* out) { encodeQ8_0(activeIsa(), values, out, nBlocks * 32); }

// quantizeBlocks32.ts: Q4_0, Q4_1, Q5_0, Q5_1
void quantizeBlocks32(const float* values, int64_t nBlocks, uint32_t type, uint8_t* out) {
    const bool withMin = type == GGML_Q4_1 || type == GGML_Q5_1;
    const bool fiveBits = type == GGML_Q5_0 || type == GGML_Q5_1;
    const int blockBytes = 18 + (withMin ? 2 : 0) + (fiveBits ? 4 : 0);
    const double top = fiveBits ? 31 : 15;
    const int32_t itop = (int32_t)top;
    uint8_t q[32];
    for (int64_t b = 0; b < nBlocks; b++) {
        const float* x = values + b * 32;
        uint8_t* at = out + b * blockBytes;
        if (withMin) {
            double lo = kInf, hi = -kInf;
            for (int i = 0; i < 32; i++) { lo = jsMin(lo, x[i]); hi = jsMax(hi, x[i]); }
            double d = (hi - lo) / top, id = jsTruthy(d) ? 1 / d : 0;
            putU16(at, toHalf(d));
            putU16(at + 2, toHalf(lo));
            // x >= lo: the value is never below 0.5, so the lower clamp never bites
            for (int i = 0; i < 32; i++) q[i] = (uint8_t)floorClamped(((double)x[i] - lo) * id + 0.5, 0, itop);
        } else {
            double m = 0;
            for (int i = 0; i < 32; i++) if (std::fabs((double)x[i]) > std::fabs(m)) m = x[i];
            const double zero = (top + 1) / 2;
            double d = m / -zero, id = jsTruthy(d) ? 1 / d : 0;
            putU16(at, toHalf(d));
            for (int i = 0; i < 32; i++) q[i] = (uint8_t)floorClamped((double)x[i] * id + zero + 0.5, 0, itop);
        }
        uint8_t* qs = at + blockBytes - 16;
        for (int l = 0; l < 16; l++) qs[l] = (uint8_t)((q[l] & 0xf) | ((q[l + 16] & 0xf) << 4));
        if (fiveBits) {
            uint32_t high = 0;
            for (int i = 0; i < 32; i++) high |= (uint32_t)((q[i] >> 4) & 1) << i;
            putU32(qs - 4, high);
        }
    }
}

// quantizeQ4K.ts: 144-byte super-blocks of 256. Math.min(0, ...sub) and the Math.max(...) spreads
// fold from 0 and -Infinity; all mins -0 (no negative value) make dmin -0.
void quantizeQ4K(const float* values, int64_t nBlocks, uint8_t* out) {
    double scales[8], mins[8], sc[8], mn[8];
    for (int64_t b = 0; b < nBlocks; b++) {
        const float* x = values + b * 256;
        uint8_t* at = out + b * 144;
        std::memset(at, 0, 144);
        for (int j = 0; j < 8; j++) {
            double lo = 0, hi = -kInf;
            for (int l = 0; l < 32; l++) { lo = jsMin(lo, x[j * 32 + l]); hi = jsMax(hi, x[j * 32 + l]); }
            scales[j] = (hi - lo) / 15;
            mins[j] = -lo;
        }
        double maxScale = -kInf, maxMin = -kInf;
        for (int j = 0; j < 8; j++) { maxScale = jsMax(maxScale, scales[j]); maxMin = jsMax(maxMin, mins[j]); }
        double d = fromHalf(toHalf(maxScale / 63)), dmin = fromHalf(toHalf(maxMin / 63));
        for (int j = 0; j < 8; j++) {
            sc[j] = jsTruthy(d) ? jsMin(63, jsRound(scales[j] / d)) : 0;
            mn[j] = jsTruthy(dmin) ? jsMin(63, jsRound(mins[j] / dmin)) : 0;
        }
        putU16(at, toHalf(d));
        putU16(at + 2, toHalf(dmin));
        packKQuantScales(at + 4, sc, mn);
        for (int j = 0; j < 8; j++) {
            double k = d * sc[j], m = dmin * mn[j];
            uint8_t* qs = at + 16 + (j >> 1) * 32;
            int shift = (j & 1) * 4;
            if (!jsTruthy(k)) continue;  // q = 0 for the whole sub-block
            for (int l = 0; l < 32; l++) {
                int32_t q = roundClamped(((double)x[j * 32 + l] + m) / k, 0, 15, 0);
                qs[l] = (uint8_t)(qs[l] | (q << shift));
            }
        }
    }
}

// quantizeQ5K.ts: 176-byte super-blocks of 256; unlike Q4_K its folds start at 0 (dmin never -0)
// and sc / mn are Uint8Array stores
void quantizeQ5K(const float* values, int64_t nBlocks, uint8_t* out) {
    double scales[8], mins[8], sc[8], mn[8];
    for (int64_t b = 0; b < nBlocks; b++) {
        const float* x = values + b * 256;
        uint8_t* at = out + b * 176;
        std::memset(at, 0, 176);
        double maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            double lo = 0, hi = -kInf;
            for (int l = 0; l < 32; l++) { lo = jsMin(lo, x[j * 32 + l]); hi = jsMax(hi, x[j * 32 + l]); }
            scales[j] = (hi - lo) / 31;
            mins[j] = -lo;
            maxScale = jsMax(maxScale, scales[j]);
            maxMin = jsMax(maxMin, mins[j]);
        }
        double d = fromHalf(toHalf(maxScale / 63)), dmin = fromHalf(toHalf(maxMin / 63));
        for (int j = 0; j < 8; j++) {
            sc[j] = jsUint8(jsTruthy(d) ? jsMin(63, jsRound(scales[j] / d)) : 0);
            mn[j] = jsUint8(jsTruthy(dmin) ? jsMin(63, jsRound(mins[j] / dmin)) : 0);
        }
        putU16(at, toHalf(d));
        putU16(at + 2, toHalf(dmin));
        packKQuantScales(at + 4, sc, mn);
        for (int j = 0; j < 8; j++) {
            double k = d * sc[j], m = dmin * mn[j];
            if (!jsTruthy(k)) continue;
            uint8_t* qh = at + 16;
            uint8_t* qs = at + 48 + (j >> 1) * 32;
            int shift = (j & 1) * 4;
            for (int l = 0; l < 32; l++) {
                int32_t q = roundClamped(((double)x[j * 32 + l] + m) / k, 0, 31, 0);
                qh[l] = (uint8_t)(qh[l] | ((q >> 4) << j));
                qs[l] = (uint8_t)(qs[l] | ((q & 0xf) << shift));
            }
        }
    }
}

// quantizeQ6K.ts: 210-byte super-blocks of 256
void quantizeQ6K(const float* values, int64_t nBlocks, uint8_t* out) {
    double scales[16], sc[16];
    int32_t q[256];
    for (int64_t b = 0; b < nBlocks; b++) {
        const float* x = values + b * 256;
        uint8_t* at = out + b * 210;
        for (int k = 0; k < 16; k++) {
            double amax = -kInf;
            for (int l = 0; l < 16; l++) amax = jsMax(amax, std::fabs((double)x[k * 16 + l]));
            scales[k] = amax / 31;
        }
        double maxScale = -kInf;
        for (int k = 0; k < 16; k++) maxScale = jsMax(maxScale, scales[k]);
        double d = fromHalf(toHalf(maxScale / 127));
        for (int k = 0; k < 16; k++) sc[k] = jsTruthy(d) ? jsMin(127, jsRound(scales[k] / d)) : 0;
        for (int i = 0; i < 256; i++) {
            double k = d * sc[i >> 4];
            // Math.max(0, Math.min(63, Math.round(v / k) + 32)); NaN -> 0
            q[i] = jsTruthy(k) ? roundClamped((double)x[i] / k, -32, 31, -32) + 32 : 32;
        }
        for (int half = 0; half < 2; half++) {
            uint8_t* ql = at + half * 64;
            uint8_t* qh = at + 128 + half * 32;
            const int32_t* qb = q + half * 128;
            for (int l = 0; l < 32; l++) {
                int32_t q1 = qb[l], q2 = qb[l + 32], q3 = qb[l + 64], q4 = qb[l + 96];
                ql[l] = (uint8_t)((q1 & 0xf) | ((q3 & 0xf) << 4));
                ql[l + 32] = (uint8_t)((q2 & 0xf) | ((q4 & 0xf) << 4));
                qh[l] = (uint8_t)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
            for (int k = 0; k < 8; k++) at[192 + half * 8 + k] = (uint8_t)jsInt32(sc[half * 8 + k]);
        }
        putU16(at + 208, toHalf(d));
    }
}

// encodeTensorTs.ts, BF16: round to nearest even on the bits (NaN payloads as they fall)
void encodeBf16(const float* values, int64_t n, uint8_t* out) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t x;
        std::memcpy(&x, values + i, 4);
        putU16(out + 2 * i, (uint16_t)((x + 0x7fffu + ((x >> 16) & 1)) >> 16));
    }
}

}  // namespace

size_t quantizedBytes(uint32_t type, int64_t n) {
    if (n < 0) return 0;
    int64_t per = 1, bytes = 0;
    switch (type) {
        case GGML_F16: case GGML_BF16: bytes = 2; break;
        case GGML_Q8_0: per = 32; bytes = 34; break;
        case GGML_Q4_0: per = 32; bytes = 18; break;
        case GGML_Q4_1: per = 32; bytes = 20; break;
        case GGML_Q5_0: per = 32; bytes = 22; break;
        case GGML_Q5_1: per = 32; bytes = 24; break;
        case GGML_Q4_K: per = 256; bytes = 144; break;
        case GGML_Q5_K: per = 256; bytes = 176; break;
        case GGML_Q6_K: per = 256; bytes = 210; break;
        default: return 0;
    }
    if (n % per != 0) return 0;
    return (size_t)(n / per * bytes);
}

bool quantizeTensor(uint32_t type, const float* in, int64_t n, uint8_t* out) {
    if (n != 0 && quantizedBytes(type, n) == 0) return false;
    switch (type) {
        case GGML_F16: {
            // encodeHalf writes native-endian u16; x86-64 and the other targets are little-endian
            encodeHalf(processIsa(), in, reinterpret_cast<uint16_t*>(out), n);
            return true;
        }
        case GGML_BF16: encodeBf16(in, n, out); return true;
        case GGML_Q8_0: quantizeQ8_0(in, n / 32, out); return true;
        case GGML_Q4_0: case GGML_Q4_1: case GGML_Q5_0: case GGML_Q5_1: quantizeBlocks32(in, n / 32, type, out); return true;
        case GGML_Q4_K: quantizeQ4K(in, n / 256, out); return true;
        case GGML_Q5_K: quantizeQ5K(in, n / 256, out); return true;
        case GGML_Q6_K: quantizeQ6K(in, n / 256, out); return true;
        default: return false;
    }
}

}  // namespace ditto
