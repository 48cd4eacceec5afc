// The library's one export: open a CUDA engine, or say why no GPU can be used.
#include <string>

#include "GpuEngine.h"
#include "engine/CudaEngine.h"

namespace ditto::cuda {
namespace {

// The oldest GPUs with bf16 tensor cores (WMMA bf16 needs sm_80).
constexpr int kMinComputeMajor = 8;

int probe(DeviceDescription* out, std::string* err) {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaErrorInsufficientDriver) {
        int driver = 0, runtime = 0;
        cudaDriverGetVersion(&driver);
        cudaRuntimeGetVersion(&runtime);
        cudaGetLastError();
        if (driver == 0) {
            *err = "no NVIDIA driver was found (libcuda.so.1 is missing); install the NVIDIA driver, or use --device cpu";
            return -1;
        }
        *err = "the NVIDIA driver supports CUDA " + std::to_string(driver / 1000) + "." + std::to_string(driver % 1000 / 10) +
               ", older than this build's CUDA " + std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10) +
               " runtime; update the NVIDIA driver (580 or newer for CUDA 13)";
        cudaGetLastError();
        return -1;
    }
    if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0)) {
        *err = "no CUDA GPU was found (cudaGetDeviceCount: 0); check nvidia-smi and CUDA_VISIBLE_DEVICES";
        cudaGetLastError();
        return -1;
    }
    if (e != cudaSuccess) {
        *err = std::string("CUDA could not start: ") + cudaGetErrorString(e) + "; check that the NVIDIA driver is installed (nvidia-smi)";
        cudaGetLastError();
        return -1;
    }
    int dev = 0;
    cudaGetDevice(&dev);
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, dev) != cudaSuccess) {
        *err = "cudaGetDeviceProperties failed";
        return -1;
    }
    if (prop.major < kMinComputeMajor) {
        *err = std::string("GPU ") + prop.name + " has compute capability " + std::to_string(prop.major) + "." + std::to_string(prop.minor) +
               "; the CUDA engine needs 8.0 or newer (Ampere, Ada, Hopper) for bf16 tensor cores; use --device cpu";
        return -1;
    }
    out->name = prop.name;
    out->ccMajor = prop.major;
    out->ccMinor = prop.minor;
    out->memoryBytes = (int64_t)prop.totalGlobalMem;
#ifdef DITTO_CUDA_EMU
    out->kind = "cuda-emulated";
#else
    out->kind = "cuda";
#endif
    out->gemmBackend = GemmEngine::autoBackend();
    return 0;
}

GpuEngine* open(const Model& model, const EngineOptions& options) {
    DeviceDescription d;
    std::string err;
    if (probe(&d, &err) != 0) throw std::runtime_error(err);
    return new CudaEngine(model, options);
}

}  // namespace
}  // namespace ditto::cuda

extern "C" __attribute__((visibility("default"))) const ditto::GpuLibrary* ditto_cuda_library(void) {
    static const ditto::GpuLibrary library{ditto::kGpuLibraryAbi, &ditto::cuda::open, &ditto::cuda::probe};
    return &library;
}
