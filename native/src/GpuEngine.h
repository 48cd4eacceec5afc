// The interface between the C API (native/src/CApi.cpp) and the CUDA engine, which lives in a
// separate shared library (build/Release/libditto_cuda.so, or libditto_cuda_emu.so: the same
// sources compiled as host C++ through the CUDA emulator). The library is opened with dlopen, so
// the addon loads and trains on the CPU on machines with no CUDA at all.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "Engine.h"

namespace ditto {

// What the engine runs on, for ditto_engine_info and `ditto doctor`.
struct DeviceDescription {
    std::string kind;  // "cpu", "cuda", "cuda-emulated"
    std::string name;  // CPU kernel or GPU name
    int ccMajor = 0, ccMinor = 0;
    int64_t memoryBytes = 0;     // GPU memory; 0 on the CPU
    std::string gemmBackend;     // "cublaslt", "wmma", or the CPU micro-kernel
};

// A training engine on a GPU: the same operations and LoRA layout as Engine. The four host
// buffers mirror the device state: hostBuffer() copies the device values into the host copy and
// returns it; whatever is written there reaches the device at the next compute call.
class GpuEngine {
public:
    virtual ~GpuEngine() = default;
    virtual const HParams& hparams() const = 0;
    virtual const std::vector<LoraPairInfo>& pairs() const = 0;
    virtual LossResult accumulate(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments) = 0;
    virtual LossResult evaluate(int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments) = 0;
    virtual double optimizerStep(const AdamWSettings& s) = 0;
    virtual void logits(int n, const int32_t* tokens, float* out) = 0;
    enum Buffer { Weights = 0, Grads, AdamM, AdamV };
    virtual float* hostBuffer(Buffer which) = 0;
    virtual int64_t nParams() const = 0;
    virtual DeviceDescription device() const = 0;
    int64_t step = 0;
    uint64_t rng = 0;
};

// Exported by the library as `extern "C" const GpuLibrary* ditto_cuda_library(void)`.
struct GpuLibrary {
    int abiVersion;  // kGpuLibraryAbi; a library of another version is refused
    // Throws std::runtime_error naming what is missing (driver, device) and the fix.
    GpuEngine* (*open)(const Model& model, const EngineOptions& options);
    // 0 when a usable device exists (description filled), else -1 with the reason in err.
    int (*probe)(DeviceDescription* out, std::string* err);
};

constexpr int kGpuLibraryAbi = 1;

}  // namespace ditto
