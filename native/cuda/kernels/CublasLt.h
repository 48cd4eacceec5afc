// cuBLASLt, loaded at run time with dlopen: no cuBLAS headers or libraries are needed to build, and
// a machine without the library still trains (gemm() falls back to the own WMMA kernel).
//
// Only the entry points and enum values gemm() uses are declared. The values are NVIDIA's ABI
// (cublasLt.h, cublas_api.h, library_types.h of CUDA 11-13; checked against the CUDA 13.0
// library_types.h installed here and against the cublasLt.h NVIDIA ships, as copied in
// ggerganov/llama.cpp include/cuda/cublasLt.h, and the cuBLAS documentation,
// https://docs.nvidia.com/cuda/cublas/#cublasltmatmuldescattributes-t).
//
// In the emulated build (DITTO_CUDA_EMU) "device" memory is host memory, so the real library
// cannot run; instead a host stand-in with the same entry points follows NVIDIA's documented
// column-major semantics for the attributes gemm() sets, so the cuBLASLt path of gemm() (the
// row-major to column-major mapping, the descriptor cache, the bias epilogue) runs in CI.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "../compat/Cuda.h"

namespace ditto::cuda::lt {

using Status = int;  // cublasStatus_t
constexpr Status STATUS_SUCCESS = 0;            // CUBLAS_STATUS_SUCCESS
constexpr Status STATUS_NOT_INITIALIZED = 1;    // CUBLAS_STATUS_NOT_INITIALIZED
constexpr Status STATUS_ALLOC_FAILED = 3;       // CUBLAS_STATUS_ALLOC_FAILED
constexpr Status STATUS_INVALID_VALUE = 7;      // CUBLAS_STATUS_INVALID_VALUE
constexpr Status STATUS_ARCH_MISMATCH = 8;      // CUBLAS_STATUS_ARCH_MISMATCH
constexpr Status STATUS_MAPPING_ERROR = 11;     // CUBLAS_STATUS_MAPPING_ERROR
constexpr Status STATUS_EXECUTION_FAILED = 13;  // CUBLAS_STATUS_EXECUTION_FAILED
constexpr Status STATUS_INTERNAL_ERROR = 14;    // CUBLAS_STATUS_INTERNAL_ERROR
constexpr Status STATUS_NOT_SUPPORTED = 15;     // CUBLAS_STATUS_NOT_SUPPORTED
const char* statusName(Status s);

// cudaDataType (library_types.h)
constexpr int32_t R_32F = 0;    // CUDA_R_32F
constexpr int32_t R_16BF = 14;  // CUDA_R_16BF
// cublasComputeType_t (cublas_api.h)
constexpr int32_t COMPUTE_32F = 68;  // CUBLAS_COMPUTE_32F
// cublasOperation_t (cublas_api.h)
constexpr int32_t OP_N = 0, OP_T = 1;
// cublasLtPointerMode_t
constexpr int32_t POINTER_MODE_HOST = 0;  // CUBLASLT_POINTER_MODE_HOST (= CUBLAS_POINTER_MODE_HOST)
// cublasLtEpilogue_t (uint32_t attribute)
constexpr uint32_t EPILOGUE_DEFAULT = 1;  // CUBLASLT_EPILOGUE_DEFAULT
constexpr uint32_t EPILOGUE_BIAS = 4;     // CUBLASLT_EPILOGUE_BIAS: bias[row of D], added after alpha/beta

// cublasLtMatmulDescAttributes_t
constexpr int DESC_SCALE_TYPE = 1;        // int32_t cudaDataType of alpha and beta
constexpr int DESC_POINTER_MODE = 2;      // int32_t
constexpr int DESC_TRANSA = 3;            // int32_t cublasOperation_t
constexpr int DESC_TRANSB = 4;            // int32_t cublasOperation_t
constexpr int DESC_EPILOGUE = 7;          // uint32_t cublasLtEpilogue_t
constexpr int DESC_BIAS_POINTER = 8;      // const void*, elements of D's type (bf16 D: bf16 bias)
// cublasLtMatmulPreferenceAttributes_t
constexpr int PREF_MAX_WORKSPACE_BYTES = 1;   // uint64_t
constexpr int PREF_MIN_ALIGNMENT_A_BYTES = 5;  // uint32_t, 6/7/8 for B/C/D; default 256
constexpr int PREF_MIN_ALIGNMENT_B_BYTES = 6;
constexpr int PREF_MIN_ALIGNMENT_C_BYTES = 7;
constexpr int PREF_MIN_ALIGNMENT_D_BYTES = 8;

using Handle = void*;      // cublasLtHandle_t
using MatmulDesc = void*;  // cublasLtMatmulDesc_t
using Layout = void*;      // cublasLtMatrixLayout_t
using Preference = void*;  // cublasLtMatmulPreference_t
struct MatmulAlgo { uint64_t data[8]; };  // cublasLtMatmulAlgo_t
struct HeuristicResult {                   // cublasLtMatmulHeuristicResult_t
    MatmulAlgo algo;
    size_t workspaceSize;
    Status state;
    float wavesCount;
    int reserved[4];
};

// The entry points, as function pointers resolved from the library (or the stand-in).
struct Api {
    Status (*create)(Handle*);
    Status (*destroy)(Handle);
    Status (*matmulDescCreate)(MatmulDesc*, int32_t computeType, int32_t scaleType);
    Status (*matmulDescDestroy)(MatmulDesc);
    Status (*matmulDescSetAttribute)(MatmulDesc, int attr, const void* buf, size_t size);
    Status (*matrixLayoutCreate)(Layout*, int32_t type, uint64_t rows, uint64_t cols, int64_t ld);
    Status (*matrixLayoutDestroy)(Layout);
    Status (*preferenceCreate)(Preference*);
    Status (*preferenceDestroy)(Preference);
    Status (*preferenceSetAttribute)(Preference, int attr, const void* buf, size_t size);
    Status (*algoGetHeuristic)(Handle, MatmulDesc, Layout a, Layout b, Layout c, Layout d, Preference,
                               int requested, HeuristicResult* results, int* returned);
    Status (*matmul)(Handle, MatmulDesc, const void* alpha, const void* A, Layout, const void* B, Layout,
                     const void* beta, const void* C, Layout, void* D, Layout, const MatmulAlgo*,
                     void* workspace, size_t workspaceBytes, cudaStream_t);
    size_t (*getVersion)();
    std::string source;  // the library file, or "emulated"
};

// The library to use, or null (with the reason in whyNot) when there is none. Real build: the file
// named by DITTO_CUBLASLT, else libcublasLt.so.13, else libcublasLt.so.12; a DITTO_CUBLASLT that
// does not load or lacks an entry point is an error (thrown), the default names are optional.
// Emulated build: the host stand-in when DITTO_CUBLASLT=emulated or useEmulated(true), else none.
// Loaded once per process; the handle is never unloaded (cuBLASLt keeps global state).
const Api* load(std::string& whyNot);

// Test hook of the emulated build: select (or deselect) the stand-in for later GemmEngines
// regardless of DITTO_CUBLASLT. No effect in the real build.
void useEmulated(bool on);

// Throws std::runtime_error "cuBLASLt <call> failed: <status name> (<status>)".
void check(Status s, const char* call);

}  // namespace ditto::cuda::lt
