// The C API over Engine: exceptions become -1 plus a message in the caller's buffer.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>

#include <memory>
#include <string>
#include <thread>

#include "../include/ditto_engine.h"
#include "Engine.h"
#include "FmaPeak.h"
#include "GgufFile.h"
#include "Gemm.h"
#include "GemmBf16.h"
#include "GpuEngine.h"
#include "GpuLibraryLoader.h"
#include "MergeDecode.h"
#include "HalfEncode.h"
#include "LoraMerge.h"
#include "Quantize.h"
#include "UniformFill.h"
#include "MergeFileWriter.h"
#include "MergeTensor.h"
#include "Q8Encode.h"

// One of the two engines: the CPU Engine, or a GpuEngine from the CUDA library.
struct ditto_engine {
    std::unique_ptr<ditto::Engine> cpu;
    std::unique_ptr<ditto::GpuEngine> gpu;
    ditto::DeviceDescription device;
    std::string note;  // with device auto on the CPU: why CUDA was not used
    const ditto::HParams& hparams() const { return cpu ? cpu->hparams() : gpu->hparams(); }
    const std::vector<ditto::LoraPairInfo>& pairs() const { return cpu ? cpu->pairs() : gpu->pairs(); }
    float* buffer(ditto::GpuEngine::Buffer which) {
        if (gpu) return gpu->hostBuffer(which);
        switch (which) {
            case ditto::GpuEngine::Weights: return cpu->weights.data();
            case ditto::GpuEngine::Grads: return cpu->grads.data();
            case ditto::GpuEngine::AdamM: return cpu->adamM.data();
            case ditto::GpuEngine::AdamV: return cpu->adamV.data();
        }
        return nullptr;
    }
};

template <size_t N> static void copyString(char (&dst)[N], const std::string& s) { std::snprintf(dst, N, "%s", s.c_str()); }

static void fillDevice(ditto_device_info* out, const ditto::DeviceDescription& d) {
    std::memset(out, 0, sizeof(*out));
    copyString(out->kind, d.kind);
    copyString(out->name, d.name);
    out->cc_major = d.ccMajor;
    out->cc_minor = d.ccMinor;
    out->memory_bytes = d.memoryBytes;
    copyString(out->gemm, d.gemmBackend);
}

static void writeError(char* err, size_t size, const char* message) {
    if (err && size) std::snprintf(err, size, "%s", message);
}

template <typename F> static int guarded(char* err, size_t size, F&& fn) {
    try {
        fn();
        return 0;
    } catch (const std::bad_alloc&) {
        writeError(err, size, "out of memory in the training engine (an allocation failed); lower --batch-size, --seq-len, --activation-memory or the LoRA rank, or close other programs");
    } catch (const std::exception& e) {
        writeError(err, size, e.what());
    } catch (...) {
        writeError(err, size, "unknown error in the training engine");
    }
    return -1;
}

extern "C" {

ditto_engine* ditto_engine_open(const ditto_open_options* o, char* err, size_t errSize) {
    ditto_engine* out = nullptr;
    guarded(err, errSize, [&] {
        ditto::EngineOptions eo;
        eo.modelPath = o->model_path ? o->model_path : "";
        eo.rank = o->rank;
        eo.alpha = o->alpha;
        eo.dropout = o->dropout;
        eo.targets = o->targets;
        eo.threads = o->threads;
        eo.seed = o->seed;
        eo.activationBudgetBytes = o->activation_budget_mb > 0 ? (size_t)(o->activation_budget_mb * 1048576.0) : 0;
        if (o->device < DITTO_DEVICE_AUTO || o->device > DITTO_DEVICE_CUDA_EMULATED)
            throw std::runtime_error("unknown device " + std::to_string(o->device) + "; use auto, cpu or cuda");
        if (o->precision != DITTO_PRECISION_FP32 && o->precision != DITTO_PRECISION_BF16)
            throw std::runtime_error("unknown precision " + std::to_string(o->precision) + "; use fp32 or bf16");
        eo.bf16 = o->precision == DITTO_PRECISION_BF16;
        if (eo.bf16 && o->device != DITTO_DEVICE_CPU && o->device != DITTO_DEVICE_AUTO)
            throw std::runtime_error("precision bf16 is a mode of the CPU engine; use device cpu, or precision fp32 on the GPU");
        auto e = std::make_unique<ditto_engine>();
        std::string why;
        if (eo.bf16 && o->device == DITTO_DEVICE_AUTO) why = "CUDA not tried: precision bf16 is a mode of the CPU engine";
        else if (o->device != DITTO_DEVICE_CPU) {
            bool emulated = o->device == DITTO_DEVICE_CUDA_EMULATED;
            const ditto::GpuLibrary* lib = ditto::loadGpuLibrary(emulated, &why);
            if (lib && lib->probe(&e->device, &why) != 0) lib = nullptr;
            if (lib) {
                std::unique_ptr<ditto::Model> model = ditto::loadModel(eo.modelPath);
                e->gpu.reset(lib->open(*model, eo));
                e->device = e->gpu->device();
            } else if (o->device != DITTO_DEVICE_AUTO) {
                throw std::runtime_error("device cuda is not available: " + why);
            }
        }
        if (!e->gpu) {
            e->cpu = std::make_unique<ditto::Engine>(eo);
            e->device = {"cpu", ditto::gemmKernelName(), 0, 0, 0, e->cpu->weightKernel()};
        }
        e->note = why;
        out = e.release();
    });
    return out;
}

void ditto_engine_close(ditto_engine* e) { delete e; }

int ditto_cuda_probe(int emulated, ditto_device_info* info, char* err, size_t errSize) {
    return guarded(err, errSize, [&] {
        std::string why;
        const ditto::GpuLibrary* lib = ditto::loadGpuLibrary(emulated != 0, &why);
        ditto::DeviceDescription d;
        if (!lib || lib->probe(&d, &why) != 0) throw std::runtime_error(why);
        fillDevice(info, d);
    });
}

void ditto_engine_info(const ditto_engine* e, ditto_model_info* info) {
    const ditto::HParams& hp = e->hparams();
    std::memset(info, 0, sizeof(*info));
    std::snprintf(info->arch, sizeof(info->arch), "%s", hp.archName.c_str());
    info->n_layer = hp.nLayer; info->n_embd = hp.nEmbd; info->n_head = hp.nHead; info->n_head_kv = hp.nHeadKv;
    info->head_dim = hp.headDim; info->n_ff = hp.nFf; info->n_vocab = hp.nVocab;
    info->rope_base = (float)hp.rope.base; info->norm_eps = (float)hp.normEps;
    info->tied_output = hp.tiedOutput ? 1 : 0;
    info->lora_parameters = ditto_engine_n_params(e);
    fillDevice(&info->device, e->device);
    if (e->cpu) copyString(info->device.note, e->note);
}

int ditto_engine_accumulate(ditto_engine* e, int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments,
                            double* lossSum, int64_t* lossTokens, char* err, size_t errSize) {
    return guarded(err, errSize, [&] {
        ditto::LossResult r = e->cpu ? e->cpu->accumulate(batch, seqLen, tokens, targets, segments) : e->gpu->accumulate(batch, seqLen, tokens, targets, segments);
        *lossSum = r.lossSum;
        *lossTokens = r.tokens;
    });
}

int ditto_engine_evaluate(ditto_engine* e, int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments,
                          double* lossSum, int64_t* lossTokens, char* err, size_t errSize) {
    return guarded(err, errSize, [&] {
        ditto::LossResult r = e->cpu ? e->cpu->evaluate(batch, seqLen, tokens, targets, segments) : e->gpu->evaluate(batch, seqLen, tokens, targets, segments);
        *lossSum = r.lossSum;
        *lossTokens = r.tokens;
    });
}

int ditto_engine_optimizer_step(ditto_engine* e, const ditto_adamw* s, double* gradNorm, char* err, size_t errSize) {
    return guarded(err, errSize, [&] {
        ditto::AdamWSettings settings{s->lr, s->beta1, s->beta2, s->eps, s->weight_decay, s->clip, s->grad_scale};
        *gradNorm = e->cpu ? e->cpu->optimizerStep(settings) : e->gpu->optimizerStep(settings);
    });
}

int ditto_engine_logits(ditto_engine* e, int n, const int32_t* tokens, float* out, char* err, size_t errSize) {
    return guarded(err, errSize, [&] {
        if (e->cpu) e->cpu->logits(n, tokens, out);
        else e->gpu->logits(n, tokens, out);
    });
}

int64_t ditto_engine_n_params(const ditto_engine* e) { return e->cpu ? (int64_t)e->cpu->weights.size() : e->gpu->nParams(); }
float* ditto_engine_weights(ditto_engine* e) { return e->buffer(ditto::GpuEngine::Weights); }
float* ditto_engine_grads(ditto_engine* e) { return e->buffer(ditto::GpuEngine::Grads); }
float* ditto_engine_adam_m(ditto_engine* e) { return e->buffer(ditto::GpuEngine::AdamM); }
float* ditto_engine_adam_v(ditto_engine* e) { return e->buffer(ditto::GpuEngine::AdamV); }
int64_t ditto_engine_get_step(const ditto_engine* e) { return e->cpu ? e->cpu->step : e->gpu->step; }
void ditto_engine_set_step(ditto_engine* e, int64_t step) { (e->cpu ? e->cpu->step : e->gpu->step) = step; }
uint64_t ditto_engine_get_rng(const ditto_engine* e) { return e->cpu ? e->cpu->rng : e->gpu->rng; }
void ditto_engine_set_rng(ditto_engine* e, uint64_t rng) { (e->cpu ? e->cpu->rng : e->gpu->rng) = rng; }
int ditto_engine_n_pairs(const ditto_engine* e) { return (int)e->pairs().size(); }

void ditto_engine_pair(const ditto_engine* e, int index, ditto_lora_pair* pair) {
    const ditto::LoraPairInfo& p = e->pairs().at(index);
    *pair = {p.layer, p.target, p.nIn, p.nOut, p.offA, p.offB};
}

const char* ditto_gemm_kernel(void) { return ditto::gemmKernelName(); }

double ditto_gemm_flops(void) { return (double)ditto::gemmFlops(); }

double ditto_fma_peak(const char* kind, int threads, double* per_cpu_second) {
    ditto::FmaPeak p;
    if (!kind || !ditto::fmaPeak(kind, threads, 50'000'000, p)) return -1;
    if (per_cpu_second) *per_cpu_second = p.perCpuSecond;
    return p.wallGflops;
}

int ditto_bf16_available(char* why, size_t whySize) {
    std::string reason = ditto::bf16Unavailable();
    writeError(why, whySize, reason.c_str());
    return reason.empty() ? 1 : 0;
}

// NULL: the process's kernel; else the named one, false when unknown or this CPU lacks it
static bool kernelNamed(const char* kernel, ditto::GemmIsa& isa) {
    isa = ditto::processIsa();
    if (!kernel) return true;
    for (ditto::GemmIsa k : {ditto::GemmIsa::Portable, ditto::GemmIsa::Avx2, ditto::GemmIsa::Avx512})
        if (std::strcmp(kernel, ditto::isaName(k)) == 0) { isa = k; return ditto::cpuHasIsa(isa); }
    return false;
}

int ditto_lora_merge(float* w, const float* a, const float* b, int64_t n_out, int64_t n_in, int rank, double factor, const char* kernel) {
    ditto::GemmIsa isa;
    if (!kernelNamed(kernel, isa)) return -1;
    ditto::loraMerge(isa, w, a, b, n_out, n_in, rank, factor);
    return 0;
}

int ditto_encode_f16(const float* in, uint16_t* out, int64_t n, const char* kernel) {
    ditto::GemmIsa isa;
    if (!kernelNamed(kernel, isa)) return -1;
    ditto::encodeHalf(isa, in, out, n);
    return 0;
}

int ditto_decode_for_merge(int ggml_type, const uint8_t* data, int64_t n, float* out) {
    if (n != 0 && ditto::mergeDecodeBytes(ggml_type, n) == 0) return -2;
    return ditto::decodeForMerge(ggml_type, data, n, out) ? 0 : -1;
}

int64_t ditto_decode_for_merge_bytes(int ggml_type, int64_t n) { return (int64_t)ditto::mergeDecodeBytes(ggml_type, n); }

int ditto_quantize(int ggml_type, const float* in, int64_t n, uint8_t* out) {
    if (ggml_type < 0) return -2;
    return ditto::quantizeTensor((uint32_t)ggml_type, in, n, out) ? 0 : -2;
}

int64_t ditto_quantize_bytes(int ggml_type, int64_t n) { return ggml_type < 0 ? 0 : (int64_t)ditto::quantizedBytes((uint32_t)ggml_type, n); }

void ditto_fill_uniform(float* out, int64_t n, uint32_t seed, double scale, double scale2, double offset) {
    ditto::fillUniform(out, n, seed, scale, scale2, offset);
}

int ditto_encode_q8_0(const float* in, uint8_t* out, int64_t n, const char* kernel) {
    ditto::GemmIsa isa;
    if (!kernelNamed(kernel, isa)) return -1;
    if (n < 0 || n % 32) return -2;
    ditto::encodeQ8_0(isa, in, out, n);
    return 0;
}

// The merge's threads: one per core, made on the first merge, kept for the process like the OS's.
static ditto::ThreadPool* mergePool() {
    static ditto::ThreadPool pool((int)std::max(1u, std::thread::hardware_concurrency()));
    return &pool;
}

int ditto_merge_tensor(int base_type, const uint8_t* base, const float* a, const float* b, int64_t n_out, int64_t n_in, int rank,
                       double factor, int out_type, uint8_t* out, const char* kernel) {
    ditto::GemmIsa isa;
    if (!kernelNamed(kernel, isa)) return -3;
    bool known = (base_type == ditto::GGML_F32 || ditto::mergeDecodeBytes(base_type, n_in) != 0) &&
                 ditto::mergeTensorOutBytes(out_type, n_in) != 0;
    if (!known) return -2;
    return ditto::mergeTensor(mergePool(), isa, base_type, base, a, b, n_out, n_in, rank, factor, out_type, out) ? 0 : -1;
}

int64_t ditto_merge_tensor_out_bytes(int out_type, int64_t n) { return ditto::mergeTensorOutBytes(out_type, n); }

struct ditto_merge_file {
    std::unique_ptr<ditto::MergeFileWriter> writer;
    ditto::MergeFileWriter::Failure openFailure;
};

ditto_merge_file* ditto_merge_file_open(const char* out_path, const char* base_path, int direct, int64_t chunk_bytes) {
    auto* f = new ditto_merge_file();
    f->writer = ditto::MergeFileWriter::open(out_path, base_path, direct != 0, chunk_bytes, f->openFailure);
    return f;
}

int ditto_merge_file_failure(const ditto_merge_file* f, const char** syscall, const char** path, const char** message, int* errnum) {
    const ditto::MergeFileWriter::Failure* e = f->writer ? &f->writer->failure() : &f->openFailure;
    if (e->syscall.empty()) return 0;
    *syscall = e->syscall.c_str();
    *path = e->path.c_str();
    *message = e->message.c_str();
    *errnum = e->errnum;
    return 1;
}

int ditto_merge_file_direct(const ditto_merge_file* f) { return f->writer && f->writer->directIo() ? 1 : 0; }

int ditto_merge_file_append(ditto_merge_file* f, const uint8_t* bytes, int64_t n) {
    if (!f->writer) return -1;
    return (bytes ? f->writer->append(bytes, n) : f->writer->appendZeros(n)) ? 0 : -1;
}

int ditto_merge_file_copy(ditto_merge_file* f, int64_t offset, int64_t n) { return f->writer && f->writer->copyBase(offset, n) ? 0 : -1; }

int ditto_merge_file_merge(ditto_merge_file* f, int64_t offset, int base_type, const float* a, const float* b, int64_t n_out,
                           int64_t n_in, int rank, double factor, int out_type, const char* kernel) {
    ditto::GemmIsa isa;
    if (!kernelNamed(kernel, isa)) return -3;
    if (!f->writer) return -1;
    int rc = f->writer->mergeBase(mergePool(), isa, offset, base_type, a, b, n_out, n_in, rank, factor, out_type);
    return rc == 1 ? 0 : rc == 0 ? 1 : rc;
}

int ditto_merge_file_finish(ditto_merge_file* f) { return f->writer && f->writer->finish() ? 0 : -1; }

void ditto_merge_file_close(ditto_merge_file* f) { delete f; }

}  // extern "C"
