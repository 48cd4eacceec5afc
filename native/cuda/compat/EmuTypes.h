// CUDA's built-in value types for the host emulation: dim3 and the vector types, __half and
// __nv_bfloat16 with the same conversions (round to nearest even; NaN becomes 0x7fff as in
// cuda_bf16.hpp and cuda_fp16.hpp). Only what the CUDA headers also offer, so code written
// against these compiles under nvcc too.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#define __host__
#define __device__
#define __global__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)
#define __constant__
#define __managed__

struct uint3 { unsigned int x, y, z; };
struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
    constexpr operator uint3() const { return uint3{x, y, z}; }
};

#define DITTO_EMU_VEC2(T, name, al) \
    struct __align__(al) name { T x, y; }; \
    inline name make_##name(T x, T y) { return name{x, y}; }
#define DITTO_EMU_VEC3(T, name) \
    struct name { T x, y, z; }; \
    inline name make_##name(T x, T y, T z) { return name{x, y, z}; }
#define DITTO_EMU_VEC4(T, name, al) \
    struct __align__(al) name { T x, y, z, w; }; \
    inline name make_##name(T x, T y, T z, T w) { return name{x, y, z, w}; }
DITTO_EMU_VEC2(float, float2, 8)
DITTO_EMU_VEC3(float, float3)
DITTO_EMU_VEC4(float, float4, 16)
DITTO_EMU_VEC2(int, int2, 8)
DITTO_EMU_VEC3(int, int3)
DITTO_EMU_VEC4(int, int4, 16)
DITTO_EMU_VEC2(unsigned int, uint2, 8)
DITTO_EMU_VEC4(unsigned int, uint4, 16)
DITTO_EMU_VEC2(double, double2, 16)
DITTO_EMU_VEC2(short, short2, 4)
DITTO_EMU_VEC2(unsigned short, ushort2, 4)
DITTO_EMU_VEC4(unsigned short, ushort4, 8)
DITTO_EMU_VEC4(unsigned char, uchar4, 4)
DITTO_EMU_VEC4(signed char, char4, 4)
#undef DITTO_EMU_VEC2
#undef DITTO_EMU_VEC3
#undef DITTO_EMU_VEC4
inline uint3 make_uint3(unsigned int x, unsigned int y, unsigned int z) { return uint3{x, y, z}; }

namespace ditto_emu {
inline uint32_t floatBits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float bitsFloat(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

inline unsigned short floatToBf16Bits(float f) {
    uint32_t u = floatBits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;
    u += 0x7fffu + ((u >> 16) & 1u);
    return (unsigned short)(u >> 16);
}
inline unsigned short floatToBf16BitsRz(float f) {
    uint32_t u = floatBits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;
    return (unsigned short)(u >> 16);
}
inline float bf16BitsToFloat(unsigned short h) { return bitsFloat((uint32_t)h << 16); }

inline unsigned short floatToHalfBits(float f) {
    uint32_t x = floatBits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    if (x > 0x7f800000u) return 0x7fffu;
    if (x >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u);  // 65520 and up round to inf
    if (x < 0x38800000u) {  // below 2^-14: a half subnormal; a * 2^24 is exact, rint rounds to even
        uint32_t m = (uint32_t)std::nearbyint(bitsFloat(x) * 16777216.0f);
        return (unsigned short)(sign | m);
    }
    x += 0x0fffu + ((x >> 13) & 1u);
    return (unsigned short)(sign | ((x - (112u << 23)) >> 13));
}
inline float halfBitsToFloat(unsigned short h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) {
        float v = (float)m * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    if (e == 31) return bitsFloat(sign | 0x7f800000u | (m << 13));
    return bitsFloat(sign | ((e + 112u) << 23) | (m << 13));
}
}  // namespace ditto_emu

// The raw bits are protected as in cuda_bf16.h: code converts through the intrinsics.
struct __align__(2) __nv_bfloat16 {
    __nv_bfloat16() = default;
    __nv_bfloat16(float f) : __x(ditto_emu::floatToBf16Bits(f)) {}
    operator float() const { return ditto_emu::bf16BitsToFloat(__x); }
    friend unsigned short __bfloat16_as_ushort(__nv_bfloat16 h);
    friend __nv_bfloat16 __ushort_as_bfloat16(unsigned short u);

protected:
    unsigned short __x;
};
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.__x; }
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short u) {
    __nv_bfloat16 h;
    h.__x = u;
    return h;
}
inline float __bfloat162float(__nv_bfloat16 h) { return ditto_emu::bf16BitsToFloat(__bfloat16_as_ushort(h)); }
inline __nv_bfloat16 __float2bfloat16(float f) { return __ushort_as_bfloat16(ditto_emu::floatToBf16Bits(f)); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __float2bfloat16(f); }
inline __nv_bfloat16 __float2bfloat16_rz(float f) { return __ushort_as_bfloat16(ditto_emu::floatToBf16BitsRz(f)); }

struct __align__(4) __nv_bfloat162 {
    __nv_bfloat16 x, y;
    __nv_bfloat162() = default;
    __nv_bfloat162(__nv_bfloat16 a, __nv_bfloat16 b) : x(a), y(b) {}
};
inline __nv_bfloat162 __floats2bfloat162_rn(float a, float b) { return __nv_bfloat162(__float2bfloat16(a), __float2bfloat16(b)); }
inline __nv_bfloat162 __float22bfloat162_rn(float2 v) { return __floats2bfloat162_rn(v.x, v.y); }
inline float2 __bfloat1622float2(__nv_bfloat162 v) { return float2{__bfloat162float(v.x), __bfloat162float(v.y)}; }
inline __nv_bfloat162 __halves2bfloat162(__nv_bfloat16 a, __nv_bfloat16 b) { return __nv_bfloat162(a, b); }
inline __nv_bfloat16 __low2bfloat16(__nv_bfloat162 v) { return v.x; }
inline __nv_bfloat16 __high2bfloat16(__nv_bfloat162 v) { return v.y; }

struct __align__(2) __half {
    __half() = default;
    __half(float f) : __x(ditto_emu::floatToHalfBits(f)) {}
    operator float() const { return ditto_emu::halfBitsToFloat(__x); }
    friend unsigned short __half_as_ushort(__half h);
    friend __half __ushort_as_half(unsigned short u);

protected:
    unsigned short __x;
};
inline unsigned short __half_as_ushort(__half h) { return h.__x; }
inline __half __ushort_as_half(unsigned short u) {
    __half h;
    h.__x = u;
    return h;
}
inline float __half2float(__half h) { return ditto_emu::halfBitsToFloat(__half_as_ushort(h)); }
inline __half __float2half(float f) { return __ushort_as_half(ditto_emu::floatToHalfBits(f)); }
inline __half __float2half_rn(float f) { return __float2half(f); }
struct __align__(4) __half2 {
    __half x, y;
};

// The arithmetic and comparison operators of cuda_bf16.hpp / cuda_fp16.hpp (host and device):
// each result rounded to the 16-bit type, as __hadd/__hmul do. Mixing with float is ambiguous
// there too (bf16 + float), so the emulator rejects what nvcc rejects.
#define DITTO_EMU_HALF_OPS(H)                                                                      \
    inline H operator+(const H& a, const H& b) { return H((float)a + (float)b); }                  \
    inline H operator-(const H& a, const H& b) { return H((float)a - (float)b); }                  \
    inline H operator*(const H& a, const H& b) { return H((float)a * (float)b); }                  \
    inline H operator/(const H& a, const H& b) { return H((float)a / (float)b); }                  \
    inline H& operator+=(H& a, const H& b) { return a = a + b; }                                   \
    inline H& operator-=(H& a, const H& b) { return a = a - b; }                                   \
    inline H& operator*=(H& a, const H& b) { return a = a * b; }                                   \
    inline H& operator/=(H& a, const H& b) { return a = a / b; }                                   \
    inline H operator+(const H& a) { return a; }                                                   \
    inline H operator-(const H& a) { return H(-(float)a); }                                        \
    inline bool operator==(const H& a, const H& b) { return (float)a == (float)b; }                \
    inline bool operator!=(const H& a, const H& b) { return (float)a != (float)b; }                \
    inline bool operator<(const H& a, const H& b) { return (float)a < (float)b; }                  \
    inline bool operator>(const H& a, const H& b) { return (float)a > (float)b; }                  \
    inline bool operator<=(const H& a, const H& b) { return (float)a <= (float)b; }                \
    inline bool operator>=(const H& a, const H& b) { return (float)a >= (float)b; }
DITTO_EMU_HALF_OPS(__nv_bfloat16)
DITTO_EMU_HALF_OPS(__half)
#undef DITTO_EMU_HALF_OPS
