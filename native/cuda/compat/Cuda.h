// The one include for CUDA code of the engine: real CUDA under nvcc, the host emulation
// (CudaEmu.h) when DITTO_CUDA_EMU is defined. Host-only files of the real build (compiled
// without __CUDACC__) get the runtime API and the bf16 type.
//
//   dittoLaunch(kernel, grid, block, dynamicSmemBytes, stream, args...)   never <<<>>> directly
//   DITTO_SHARED(T, name, count)      __shared__ T name[count] (a T* in the emulator)
//   DITTO_DYNAMIC_SHARED(T, name)     T* name over the dynamic shared memory (16-byte aligned)
//   cpAsync16(smemDst, gmemSrc); cpAsyncCommit(); cpAsyncWait<N>();   16-byte cp.async
//   toFloat(x), toBf16(f), fromFloat<T>(f)                            host and device
//   DITTO_CUDA_CHECK(call)            throws std::runtime_error naming the call and the error
#pragma once
#include <stdexcept>
#include <string>

#if defined(DITTO_CUDA_EMU)
#include "CudaEmu.h"
#else
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#if defined(__CUDACC__)
#include <mma.h>

#include <utility>

template <class... P, class... A>
inline void dittoLaunch(void (*kernel)(P...), dim3 grid, dim3 block, size_t dynamicSmem, cudaStream_t stream, A&&... args) {
    kernel<<<grid, block, dynamicSmem, stream>>>(std::forward<A>(args)...);
}

#define DITTO_SHARED(T, name, count) __shared__ T name[(count)]
#define DITTO_DYNAMIC_SHARED(T, name)                                  \
    extern __shared__ __align__(16) unsigned char ditto_dynamic_smem[]; \
    T* name = reinterpret_cast<T*>(ditto_dynamic_smem)

__device__ __forceinline__ void cpAsync16(void* smemDst, const void* gmemSrc) {
#if __CUDA_ARCH__ >= 800
    unsigned dst = (unsigned)__cvta_generic_to_shared(smemDst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(dst), "l"(gmemSrc) : "memory");
#else
    *reinterpret_cast<int4*>(smemDst) = *reinterpret_cast<const int4*>(gmemSrc);
#endif
}
__device__ __forceinline__ void cpAsyncCommit() {
#if __CUDA_ARCH__ >= 800
    asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
template <int N>
__device__ __forceinline__ void cpAsyncWait() {
#if __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}
#endif  // __CUDACC__
#endif  // DITTO_CUDA_EMU

using bf16 = __nv_bfloat16;

__host__ __device__ inline float toFloat(float x) { return x; }
__host__ __device__ inline float toFloat(bf16 x) { return __bfloat162float(x); }
__host__ __device__ inline bf16 toBf16(float x) { return __float2bfloat16(x); }
template <class T>
__host__ __device__ inline T fromFloat(float x);
template <>
__host__ __device__ inline float fromFloat<float>(float x) { return x; }
template <>
__host__ __device__ inline bf16 fromFloat<bf16>(float x) { return __float2bfloat16(x); }

#define DITTO_CUDA_STR2(x) #x
#define DITTO_CUDA_STR(x) DITTO_CUDA_STR2(x)
#define DITTO_CUDA_CHECK(expr)                                                                           \
    do {                                                                                                 \
        cudaError_t ditto_cuda_err_ = (expr);                                                            \
        if (ditto_cuda_err_ != cudaSuccess)                                                              \
            throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorString(ditto_cuda_err_) + \
                                     " in " #expr " at " __FILE__ ":" DITTO_CUDA_STR(__LINE__));        \
    } while (0)
