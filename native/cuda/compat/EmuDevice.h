// Device-side CUDA for the host emulation: the built-in index variables, __syncthreads, warp
// shuffles and votes, atomics, math intrinsics, shared memory and cp.async. The scheduler behind
// them is EmuScheduler.cpp. Warp operations check that all lanes of the warp take part with the
// same operation and a full mask (the engine's rule), and abort naming the kernel otherwise.
#pragma once
#include <math.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "EmuTypes.h"

// Set by the scheduler each time it switches to a fiber (threadIdx) or starts a block.
extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern thread_local dim3 blockDim;
extern thread_local dim3 gridDim;
constexpr int warpSize = 32;

namespace ditto_emu {
[[noreturn]] void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void syncthreads();
int syncthreadsReduce(int pred, int kind);  // kind 0 count, 1 and, 2 or
// Deposits this lane's value, waits for the other lanes of the warp, returns all 32 deposits
// (valid until this lane's next warp operation).
const uint64_t* warpExchange(unsigned mask, uint64_t value, const char* op);
unsigned laneId();
unsigned warpLaneMask();
void* sharedArray(const void* site, size_t bytes, size_t align);
void* dynamicShared();
void cpAsyncCopy16(void* smemDst, const void* gmemSrc);
void cpAsyncCommitGroup();
void cpAsyncWaitGroup(int pending);

template <class T>
inline uint64_t toBits(T v) {
    static_assert(sizeof(T) <= 8, "warp exchange of more than 8 bytes");
    uint64_t u = 0;
    std::memcpy(&u, &v, sizeof(T));
    return u;
}
template <class T>
inline T fromBits(uint64_t u) {
    T v;
    std::memcpy(&v, &u, sizeof(T));
    return v;
}
enum class ShflMode { Idx, Up, Down, Bfly };
// The PTX shfl.sync definition: c packs the segment mask (bits 8-12) and the clamp (bits 0-4).
template <class T>
inline T shfl(unsigned mask, T var, unsigned b, int width, ShflMode mode, const char* op) {
    const uint64_t* all = warpExchange(mask, toBits(var), op);
    unsigned lane = laneId();
    unsigned c = ((32u - (unsigned)width) << 8) | (mode == ShflMode::Up ? 0u : 0x1fu);
    unsigned segmask = (c >> 8) & 0x1fu, cval = c & 0x1fu;
    unsigned maxLane = (lane & segmask) | (cval & ~segmask), minLane = lane & segmask;
    int j = 0;
    bool pval = false;
    switch (mode) {
    case ShflMode::Up: j = (int)lane - (int)(b & 0x1fu); pval = j >= (int)maxLane; break;
    case ShflMode::Down: j = (int)lane + (int)(b & 0x1fu); pval = j <= (int)maxLane; break;
    case ShflMode::Bfly: j = (int)(lane ^ (b & 0x1fu)); pval = j <= (int)maxLane; break;
    case ShflMode::Idx: j = (int)(minLane | (b & 0x1fu & ~segmask)); pval = j <= (int)maxLane; break;
    }
    if (!pval) j = (int)lane;
    if (!((warpLaneMask() >> j) & 1u)) fail("%s reads lane %d, which does not exist in this partial warp", op, j);
    return fromBits<T>(all[j]);
}
template <class T>
inline unsigned ballotLike(unsigned mask, T pred, const char* op) {
    const uint64_t* all = warpExchange(mask, pred ? 1u : 0u, op);
    unsigned bits = 0;
    for (int i = 0; i < 32; i++) bits |= (unsigned)(all[i] & 1u) << i;
    return bits;
}
template <class T>
inline T atomicUpdate(T* address, T (*f)(T, T), T val) {
    T old = __atomic_load_n(address, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(address, &old, f(old, val), true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {}
    return old;
}
template <class T>
inline T atomicFloatAdd(T* address, T val) {
    using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    U* a = reinterpret_cast<U*>(address);
    U old = __atomic_load_n(a, __ATOMIC_RELAXED);
    for (;;) {
        U next = toBits<T>(fromBits<T>(old) + val);
        if (__atomic_compare_exchange_n(a, &old, next, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) return fromBits<T>(old);
    }
}
}  // namespace ditto_emu

inline void __syncthreads() { ditto_emu::syncthreads(); }
inline int __syncthreads_count(int p) { return ditto_emu::syncthreadsReduce(p, 0); }
inline int __syncthreads_and(int p) { return ditto_emu::syncthreadsReduce(p, 1); }
inline int __syncthreads_or(int p) { return ditto_emu::syncthreadsReduce(p, 2); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ditto_emu::warpExchange(mask, 0, "__syncwarp"); }
inline unsigned __activemask() { return ditto_emu::warpLaneMask(); }
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_block() { std::atomic_thread_fence(std::memory_order_seq_cst); }
[[noreturn]] inline void __trap() { ditto_emu::fail("__trap()"); }

#define DITTO_EMU_SHFL(T)                                                                                  \
    inline T __shfl_sync(unsigned mask, T var, int srcLane, int width = warpSize) {                       \
        return ditto_emu::shfl(mask, var, (unsigned)srcLane, width, ditto_emu::ShflMode::Idx, "__shfl_sync"); \
    }                                                                                                      \
    inline T __shfl_up_sync(unsigned mask, T var, unsigned int delta, int width = warpSize) {              \
        return ditto_emu::shfl(mask, var, delta, width, ditto_emu::ShflMode::Up, "__shfl_up_sync");       \
    }                                                                                                      \
    inline T __shfl_down_sync(unsigned mask, T var, unsigned int delta, int width = warpSize) {            \
        return ditto_emu::shfl(mask, var, delta, width, ditto_emu::ShflMode::Down, "__shfl_down_sync");   \
    }                                                                                                      \
    inline T __shfl_xor_sync(unsigned mask, T var, int laneMask, int width = warpSize) {                  \
        return ditto_emu::shfl(mask, var, (unsigned)laneMask, width, ditto_emu::ShflMode::Bfly, "__shfl_xor_sync"); \
    }
DITTO_EMU_SHFL(int)
DITTO_EMU_SHFL(unsigned int)
DITTO_EMU_SHFL(long)
DITTO_EMU_SHFL(unsigned long)
DITTO_EMU_SHFL(long long)
DITTO_EMU_SHFL(unsigned long long)
DITTO_EMU_SHFL(float)
DITTO_EMU_SHFL(double)
DITTO_EMU_SHFL(__half)
DITTO_EMU_SHFL(__half2)
DITTO_EMU_SHFL(__nv_bfloat16)
DITTO_EMU_SHFL(__nv_bfloat162)
#undef DITTO_EMU_SHFL

inline unsigned __ballot_sync(unsigned mask, int pred) { return ditto_emu::ballotLike(mask, pred, "__ballot_sync"); }
inline int __any_sync(unsigned mask, int pred) { return ditto_emu::ballotLike(mask, pred, "__any_sync") != 0; }
inline int __all_sync(unsigned mask, int pred) {
    return ditto_emu::ballotLike(mask, pred, "__all_sync") == ditto_emu::warpLaneMask();
}
inline unsigned __reduce_add_sync(unsigned mask, unsigned value) {
    const uint64_t* all = ditto_emu::warpExchange(mask, value, "__reduce_add_sync");
    unsigned s = 0, lanes = ditto_emu::warpLaneMask();
    for (int i = 0; i < 32; i++) if ((lanes >> i) & 1u) s += (unsigned)all[i];
    return s;
}
inline int __reduce_add_sync(unsigned mask, int value) { return (int)__reduce_add_sync(mask, (unsigned)value); }

// Atomics are real atomics: blocks of one grid run on several OS threads at once.
#define DITTO_EMU_ATOMIC_INT(T)                                                                             \
    inline T atomicAdd(T* a, T v) { return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST); }                      \
    inline T atomicSub(T* a, T v) { return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST); }                      \
    inline T atomicExch(T* a, T v) { return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST); }                    \
    inline T atomicAnd(T* a, T v) { return __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST); }                      \
    inline T atomicOr(T* a, T v) { return __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST); }                        \
    inline T atomicXor(T* a, T v) { return __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST); }                      \
    inline T atomicMax(T* a, T v) { return ditto_emu::atomicUpdate<T>(a, [](T x, T y) { return x > y ? x : y; }, v); } \
    inline T atomicMin(T* a, T v) { return ditto_emu::atomicUpdate<T>(a, [](T x, T y) { return x < y ? x : y; }, v); } \
    inline T atomicCAS(T* a, T compare, T v) {                                                                \
        __atomic_compare_exchange_n(a, &compare, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);               \
        return compare;                                                                                      \
    }
DITTO_EMU_ATOMIC_INT(int)
DITTO_EMU_ATOMIC_INT(unsigned int)
DITTO_EMU_ATOMIC_INT(unsigned long long)
#undef DITTO_EMU_ATOMIC_INT
inline float atomicAdd(float* a, float v) { return ditto_emu::atomicFloatAdd(a, v); }
inline double atomicAdd(double* a, double v) { return ditto_emu::atomicFloatAdd(a, v); }
inline float atomicExch(float* a, float v) {
    return ditto_emu::fromBits<float>(atomicExch(reinterpret_cast<unsigned*>(a), ditto_emu::toBits(v)));
}

// Math intrinsics: the fast variants compute the accurate value (the GPU's are within a few ulp).
inline float __expf(float x) { return expf(x); }
inline float __exp10f(float x) { return exp10f(x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __log10f(float x) { return log10f(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline void __sincosf(float x, float* s, float* c) { *s = sinf(x); *c = cosf(x); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __fdividef(float x, float y) { return x / y; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x != x ? 0.0f : x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }
inline int __float_as_int(float x) { return ditto_emu::fromBits<int>(ditto_emu::toBits(x)); }
inline unsigned __float_as_uint(float x) { return ditto_emu::floatBits(x); }
inline float __int_as_float(int x) { return ditto_emu::bitsFloat((uint32_t)x); }
inline float __uint_as_float(unsigned x) { return ditto_emu::bitsFloat(x); }
inline long long __double_as_longlong(double x) { return ditto_emu::fromBits<long long>(ditto_emu::toBits(x)); }
inline double __longlong_as_double(long long x) { return ditto_emu::fromBits<double>((uint64_t)x); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long)x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned __brev(unsigned x) {
    unsigned r = 0;
    for (int i = 0; i < 32; i++) r |= ((x >> i) & 1u) << (31 - i);
    return r;
}
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
template <class T>
inline T __ldg(const T* p) { return *p; }
// CUDA's global min/max overloads (host and device).
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
long long clock64();

// Shared memory: one array per declaration per block, keyed by the declaration's own static
// (so a declaration inside a loop is still one array, as in CUDA); NaN-filled at block start.
#define DITTO_SHARED(T, name, count)                                                                     \
    static_assert((count) > 0, "DITTO_SHARED: the count must be a positive compile-time constant");       \
    static char ditto_shared_site_##name;                                                                 \
    T* name = static_cast<T*>(::ditto_emu::sharedArray(&ditto_shared_site_##name, sizeof(T) * (size_t)(count), alignof(T)))
#define DITTO_DYNAMIC_SHARED(T, name) T* name = static_cast<T*>(::ditto_emu::dynamicShared())

// cp.async: the copy is queued and done at cpAsyncWait (the commit groups are kept), so code
// that reads the tile before waiting reads the NaN fill, as it might read stale data on a GPU.
inline void cpAsync16(void* smemDst, const void* gmemSrc) { ditto_emu::cpAsyncCopy16(smemDst, gmemSrc); }
inline void cpAsyncCommit() { ditto_emu::cpAsyncCommitGroup(); }
template <int N>
inline void cpAsyncWait() { ditto_emu::cpAsyncWaitGroup(N); }
