#include "CublasLt.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace ditto::cuda::lt {

const char* statusName(Status s) {
    switch (s) {
        case STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
        case STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
        case STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
        case STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
        case STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
        default: return "unknown cuBLAS status";
    }
}

void check(Status s, const char* call) {
    if (s != STATUS_SUCCESS)
        throw std::runtime_error(std::string("cuBLASLt ") + call + " failed: " + statusName(s) + " (" + std::to_string(s) + ")");
}

#ifdef DITTO_CUDA_EMU
// ---- host stand-in: the documented semantics of the attributes gemm() sets ----
namespace {

struct EmuLayout { int32_t type; uint64_t rows, cols; int64_t ld; };
struct EmuDesc {
    int32_t computeType, scaleType, pointerMode = POINTER_MODE_HOST, transa = OP_N, transb = OP_N;
    uint32_t epilogue = EPILOGUE_DEFAULT;
    const void* bias = nullptr;  // in D's type (the documented bias type for our types)
};
struct EmuPref { uint64_t maxWorkspace = 0; uint32_t align[4] = {256, 256, 256, 256}; };
int emuHandleTag;

template <typename T>
Status setExact(T& field, const void* buf, size_t size) {
    if (!buf || size != sizeof(T)) return STATUS_INVALID_VALUE;
    std::memcpy(&field, buf, sizeof(T));
    return STATUS_SUCCESS;
}

Status emuCreate(Handle* h) { *h = &emuHandleTag; return STATUS_SUCCESS; }
Status emuDestroy(Handle h) { return h == &emuHandleTag ? STATUS_SUCCESS : STATUS_NOT_INITIALIZED; }
Status emuDescCreate(MatmulDesc* d, int32_t computeType, int32_t scaleType) {
    *d = new EmuDesc{computeType, scaleType};
    return STATUS_SUCCESS;
}
Status emuDescDestroy(MatmulDesc d) { delete static_cast<EmuDesc*>(d); return STATUS_SUCCESS; }
Status emuDescSet(MatmulDesc dv, int attr, const void* buf, size_t size) {
    EmuDesc& d = *static_cast<EmuDesc*>(dv);
    switch (attr) {
        case DESC_SCALE_TYPE: return setExact(d.scaleType, buf, size);
        case DESC_POINTER_MODE: return setExact(d.pointerMode, buf, size);
        case DESC_TRANSA: return setExact(d.transa, buf, size);
        case DESC_TRANSB: return setExact(d.transb, buf, size);
        case DESC_EPILOGUE: return setExact(d.epilogue, buf, size);
        case DESC_BIAS_POINTER: return setExact(d.bias, buf, size);
        default: return STATUS_NOT_SUPPORTED;  // an attribute the stand-in does not model
    }
}
Status emuLayoutCreate(Layout* l, int32_t type, uint64_t rows, uint64_t cols, int64_t ld) {
    if (ld < (int64_t)rows || ld < 1) return STATUS_INVALID_VALUE;  // column-major: ld >= rows
    *l = new EmuLayout{type, rows, cols, ld};
    return STATUS_SUCCESS;
}
Status emuLayoutDestroy(Layout l) { delete static_cast<EmuLayout*>(l); return STATUS_SUCCESS; }
Status emuPrefCreate(Preference* p) { *p = new EmuPref; return STATUS_SUCCESS; }
Status emuPrefDestroy(Preference p) { delete static_cast<EmuPref*>(p); return STATUS_SUCCESS; }
Status emuPrefSet(Preference pv, int attr, const void* buf, size_t size) {
    EmuPref& p = *static_cast<EmuPref*>(pv);
    if (attr == PREF_MAX_WORKSPACE_BYTES) return setExact(p.maxWorkspace, buf, size);
    if (attr >= PREF_MIN_ALIGNMENT_A_BYTES && attr <= PREF_MIN_ALIGNMENT_D_BYTES)
        return setExact(p.align[attr - PREF_MIN_ALIGNMENT_A_BYTES], buf, size);
    return STATUS_NOT_SUPPORTED;
}

// op(X) dimensions of a layout under a transpose flag
void opDims(const EmuLayout& l, int32_t op, uint64_t& r, uint64_t& c) {
    r = op == OP_N ? l.rows : l.cols;
    c = op == OP_N ? l.cols : l.rows;
}

Status validate(const EmuDesc& d, const EmuLayout& a, const EmuLayout& b, const EmuLayout& c, const EmuLayout& dl) {
    if (d.computeType != COMPUTE_32F || d.scaleType != R_32F || d.pointerMode != POINTER_MODE_HOST) return STATUS_NOT_SUPPORTED;
    if ((d.transa != OP_N && d.transa != OP_T) || (d.transb != OP_N && d.transb != OP_T)) return STATUS_INVALID_VALUE;
    if (a.type != R_16BF || b.type != R_16BF) return STATUS_NOT_SUPPORTED;
    if (c.type != dl.type || (dl.type != R_32F && dl.type != R_16BF)) return STATUS_NOT_SUPPORTED;
    if (d.epilogue != EPILOGUE_DEFAULT && d.epilogue != EPILOGUE_BIAS) return STATUS_NOT_SUPPORTED;
    uint64_t m, k, k2, n;
    opDims(a, d.transa, m, k);
    opDims(b, d.transb, k2, n);
    if (k != k2 || c.rows != m || c.cols != n || dl.rows != m || dl.cols != n || c.ld != dl.ld) return STATUS_INVALID_VALUE;
    return STATUS_SUCCESS;
}

Status emuHeuristic(Handle h, MatmulDesc dv, Layout a, Layout b, Layout c, Layout d, Preference pv, int requested,
                    HeuristicResult* results, int* returned) {
    if (h != &emuHandleTag) return STATUS_NOT_INITIALIZED;
    if (requested < 1 || !results || !returned) return STATUS_INVALID_VALUE;
    *returned = 0;
    Status s = validate(*static_cast<EmuDesc*>(dv), *static_cast<EmuLayout*>(a), *static_cast<EmuLayout*>(b),
                        *static_cast<EmuLayout*>(c), *static_cast<EmuLayout*>(d));
    if (s != STATUS_SUCCESS) return s;
    // The one "algorithm" remembers the pointer alignments it was chosen for, as real kernels
    // depend on them: a later call with less aligned pointers is refused, like a real
    // algorithm selected for 256-byte alignment would be.
    HeuristicResult r{};
    const EmuPref& p = *static_cast<EmuPref*>(pv);
    for (int i = 0; i < 4; i++) r.algo.data[i] = p.align[i];
    r.workspaceSize = 0;
    r.state = STATUS_SUCCESS;
    r.wavesCount = 1.0f;
    results[0] = r;
    *returned = 1;
    return STATUS_SUCCESS;
}

float loadAs(const void* base, int32_t type, uint64_t index) {
    return type == R_32F ? static_cast<const float*>(base)[index] : toFloat(static_cast<const bf16*>(base)[index]);
}

Status emuMatmul(Handle h, MatmulDesc dv, const void* alpha, const void* A, Layout al, const void* B, Layout bl,
                 const void* beta, const void* C, Layout cl, void* D, Layout dl, const MatmulAlgo* algo,
                 void* workspace, size_t workspaceBytes, cudaStream_t) {
    (void)workspace;
    (void)workspaceBytes;
    if (h != &emuHandleTag) return STATUS_NOT_INITIALIZED;
    const EmuDesc& d = *static_cast<EmuDesc*>(dv);
    const EmuLayout &la = *static_cast<EmuLayout*>(al), &lb = *static_cast<EmuLayout*>(bl);
    const EmuLayout &lc = *static_cast<EmuLayout*>(cl), &ld = *static_cast<EmuLayout*>(dl);
    Status s = validate(d, la, lb, lc, ld);
    if (s != STATUS_SUCCESS) return s;
    if (!alpha || !beta) return STATUS_INVALID_VALUE;
    const void* ptrs[4] = {A, B, C, D};
    if (algo)
        for (int i = 0; i < 4; i++)
            if (algo->data[i] && reinterpret_cast<uintptr_t>(ptrs[i]) % algo->data[i] != 0) return STATUS_INVALID_VALUE;
    if (d.epilogue == EPILOGUE_BIAS && !d.bias) return STATUS_INVALID_VALUE;
    float a = *static_cast<const float*>(alpha), b = *static_cast<const float*>(beta);
    uint64_t m, k, n, k2;
    opDims(la, d.transa, m, k);
    opDims(lb, d.transb, k2, n);
    for (uint64_t j = 0; j < n; j++)
        for (uint64_t i = 0; i < m; i++) {
            float acc = 0;  // fp32 accumulation, as CUBLAS_COMPUTE_32F
            for (uint64_t p = 0; p < k; p++) {
                uint64_t ai = d.transa == OP_N ? i + p * la.ld : p + i * la.ld;
                uint64_t bi = d.transb == OP_N ? p + j * lb.ld : j + p * lb.ld;
                acc += loadAs(A, R_16BF, ai) * loadAs(B, R_16BF, bi);
            }
            float v = a * acc;
            if (b != 0.0f) v += b * loadAs(C, lc.type, i + j * lc.ld);  // beta == 0: C is not read
            if (d.epilogue == EPILOGUE_BIAS) v += loadAs(d.bias, ld.type, i);
            uint64_t o = i + j * ld.ld;
            if (ld.type == R_32F) static_cast<float*>(D)[o] = v;
            else static_cast<bf16*>(D)[o] = toBf16(v);
        }
    return STATUS_SUCCESS;
}
size_t emuVersion() { return 0; }

bool emulatedChosen = false;

}  // namespace

void useEmulated(bool on) { emulatedChosen = on; }

const Api* load(std::string& whyNot) {
    static const Api emu = {emuCreate, emuDestroy, emuDescCreate, emuDescDestroy, emuDescSet, emuLayoutCreate,
                            emuLayoutDestroy, emuPrefCreate, emuPrefDestroy, emuPrefSet, emuHeuristic, emuMatmul,
                            emuVersion, "emulated"};
    const char* env = std::getenv("DITTO_CUBLASLT");
    if (emulatedChosen || (env && std::strcmp(env, "emulated") == 0)) return &emu;
    whyNot = "emulated build (DITTO_CUBLASLT=emulated selects the host stand-in)";
    return nullptr;
}

#else
// ---- real build: the library, resolved with dlopen/dlsym ----
namespace {

template <typename F>
bool resolve(void* lib, const char* name, F& fn, std::string& missing) {
    fn = reinterpret_cast<F>(dlsym(lib, name));
    if (!fn) missing += std::string(missing.empty() ? "" : ", ") + name;
    return fn != nullptr;
}

// Fills api from an opened library; returns the names of missing entry points.
std::string bind(void* lib, Api& api) {
    std::string missing;
    resolve(lib, "cublasLtCreate", api.create, missing);
    resolve(lib, "cublasLtDestroy", api.destroy, missing);
    resolve(lib, "cublasLtMatmulDescCreate", api.matmulDescCreate, missing);
    resolve(lib, "cublasLtMatmulDescDestroy", api.matmulDescDestroy, missing);
    resolve(lib, "cublasLtMatmulDescSetAttribute", api.matmulDescSetAttribute, missing);
    resolve(lib, "cublasLtMatrixLayoutCreate", api.matrixLayoutCreate, missing);
    resolve(lib, "cublasLtMatrixLayoutDestroy", api.matrixLayoutDestroy, missing);
    resolve(lib, "cublasLtMatmulPreferenceCreate", api.preferenceCreate, missing);
    resolve(lib, "cublasLtMatmulPreferenceDestroy", api.preferenceDestroy, missing);
    resolve(lib, "cublasLtMatmulPreferenceSetAttribute", api.preferenceSetAttribute, missing);
    resolve(lib, "cublasLtMatmulAlgoGetHeuristic", api.algoGetHeuristic, missing);
    resolve(lib, "cublasLtMatmul", api.matmul, missing);
    resolve(lib, "cublasLtGetVersion", api.getVersion, missing);
    return missing;
}

}  // namespace

void useEmulated(bool) {}

const Api* load(std::string& whyNot) {
    static std::once_flag once;
    static Api api;
    static const Api* loaded = nullptr;
    static std::string reason, error;
    std::call_once(once, [] {
        const char* env = std::getenv("DITTO_CUBLASLT");
        std::vector<std::string> names;
        if (env && *env) names.push_back(env);
        names.push_back("libcublasLt.so.13");
        names.push_back("libcublasLt.so.12");
        for (size_t i = 0; i < names.size(); i++) {
            bool required = env && *env && i == 0;
            void* lib = dlopen(names[i].c_str(), RTLD_NOW | RTLD_LOCAL);
            if (!lib) {
                if (required) {
                    error = "DITTO_CUBLASLT=" + names[i] + " does not load: " + dlerror() +
                            " (point it at a libcublasLt.so, or unset it to search the default names)";
                    return;
                }
                reason += (reason.empty() ? "" : "; ") + names[i] + " not found";
                continue;
            }
            std::string missing = bind(lib, api);
            if (!missing.empty()) {
                error = names[i] + " lacks the cuBLASLt entry points " + missing +
                        (required ? " (DITTO_CUBLASLT must name a libcublasLt.so)" : " (a broken CUDA installation?)");
                return;
            }
            api.source = names[i];
            loaded = &api;
            return;
        }
    });
    if (!error.empty()) throw std::runtime_error(error);
    if (!loaded) whyNot = reason;
    return loaded;
}
#endif

}  // namespace ditto::cuda::lt
