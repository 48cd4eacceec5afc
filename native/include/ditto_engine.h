/*
 * ditto native LoRA training engine: C API.
 *
 * A base model is read from a GGUF file (llama, qwen2, qwen3; F32, F16, BF16, Q8_0, Q4_0, Q4_1,
 * Q5_0, Q5_1, Q4_K, Q5_K, Q6_K), frozen, and LoRA pairs are trained on any of the seven projections. Plain C so a standalone
 * program (the GPU boxes may have no Node.js) can drive it as well as the Node binding.
 *
 * Every function that can fail returns 0 on success and -1 on failure, with a message that names
 * the problem and the fix written to err (err_size bytes, always NUL-terminated).
 * An engine is not thread-safe: call it from one thread at a time.
 */
#ifndef DITTO_ENGINE_H
#define DITTO_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ditto_engine ditto_engine;

/* LoRA targets as bits, in the canonical buffer order. */
enum {
    DITTO_TARGET_Q = 1 << 0, DITTO_TARGET_K = 1 << 1, DITTO_TARGET_V = 1 << 2, DITTO_TARGET_O = 1 << 3,
    DITTO_TARGET_GATE = 1 << 4, DITTO_TARGET_UP = 1 << 5, DITTO_TARGET_DOWN = 1 << 6
};

/* Where the engine runs. AUTO: CUDA when this build has it and a usable GPU is present, else the
 * CPU (ditto_model_info.device.note says why). CUDA_EMULATED: the CUDA engine's own sources
 * compiled for the CPU through the emulator (libditto_cuda_emu.so): slow, for tests. */
enum { DITTO_DEVICE_AUTO = 0, DITTO_DEVICE_CPU = 1, DITTO_DEVICE_CUDA = 2, DITTO_DEVICE_CUDA_EMULATED = 3 };

/* Products with the frozen weights. FP32 (the default): exact fp32 products. BF16: weights stored
 * as BF16 or F16 and the activations multiplying them are rounded to bf16 (nearest even) and
 * multiplied with AVX512-BF16 (vdpbf16ps), accumulating in fp32; weights of other types, LoRA,
 * attention, gradients and the optimizer stay fp32. CPU engine only; opening with BF16 fails with
 * a message naming the missing CPU feature where the CPU lacks AVX512-BF16. */
enum { DITTO_PRECISION_FP32 = 0, DITTO_PRECISION_BF16 = 1 };

typedef struct {
    char kind[16];         /* "cpu", "cuda", "cuda-emulated" */
    char name[96];         /* GPU name, or the CPU matrix kernel */
    int cc_major, cc_minor;/* compute capability (GPU) */
    int64_t memory_bytes;  /* GPU memory; 0 on the CPU */
    char gemm[32];         /* matrix-product backend: "cublaslt", "wmma", or the CPU kernel ("avx512bf16"
                              when precision BF16 runs the weight products of this model in bf16) */
    char note[256];        /* with AUTO on the CPU: why CUDA was not used */
} ditto_device_info;

typedef struct {
    const char* model_path;
    int rank;
    float alpha;
    float dropout;         /* on the LoRA input during training; 0 disables */
    uint32_t targets;      /* DITTO_TARGET_* bits */
    int threads;           /* <= 0: all online CPUs */
    uint64_t seed;         /* LoRA A init and dropout masks */
    double activation_budget_mb; /* activations kept from forward to backward; layers beyond are
                                    recomputed from their input (memory flat in depth). 0 = recompute all */
    int device;            /* DITTO_DEVICE_*; 0 = AUTO */
    int precision;         /* DITTO_PRECISION_*; 0 = FP32 */
} ditto_open_options;

typedef struct {
    char arch[16];         /* "llama", "qwen2", "qwen3" */
    int n_layer, n_embd, n_head, n_head_kv, head_dim, n_ff, n_vocab;
    float rope_base, norm_eps;
    int tied_output;
    int64_t lora_parameters;
    ditto_device_info device;
} ditto_model_info;

/* One LoRA pair inside the weight buffer: A at offset_a ([rank x n_in] row-major),
 * B at offset_b ([n_out x rank] row-major); offsets in floats. target is the bit index (0=q..6=down). */
typedef struct {
    int layer, target, n_in, n_out;
    int64_t offset_a, offset_b;
} ditto_lora_pair;

typedef struct {
    float lr, beta1, beta2, eps, weight_decay;
    float clip;            /* max global grad norm; 0 disables */
    float grad_scale;      /* gradients are divided by this first */
} ditto_adamw;

ditto_engine* ditto_engine_open(const ditto_open_options* options, char* err, size_t err_size);
void ditto_engine_close(ditto_engine* engine);

void ditto_engine_info(const ditto_engine* engine, ditto_model_info* info);

/* batch rows of seq_len tokens; targets -1 = no loss; segments: packed session id, -1 = padding.
 * accumulate: forward + backward, gradients add up until ditto_engine_optimizer_step. */
int ditto_engine_accumulate(ditto_engine* engine, int batch, int seq_len, const int32_t* tokens, const int32_t* targets,
                            const int32_t* segments, double* loss_sum, int64_t* loss_tokens, char* err, size_t err_size);
/* forward only, no dropout */
int ditto_engine_evaluate(ditto_engine* engine, int batch, int seq_len, const int32_t* tokens, const int32_t* targets,
                          const int32_t* segments, double* loss_sum, int64_t* loss_tokens, char* err, size_t err_size);
/* AdamW from the accumulated gradients, then zeroes them; grad_norm gets the pre-clip global norm */
int ditto_engine_optimizer_step(ditto_engine* engine, const ditto_adamw* settings, double* grad_norm, char* err, size_t err_size);
/* logits [n_tokens x n_vocab] of one unpacked sequence, LoRA applied */
int ditto_engine_logits(ditto_engine* engine, int n_tokens, const int32_t* tokens, float* out, char* err, size_t err_size);

/* The contiguous LoRA buffers (weights, gradients, AdamW m and v), each n_params floats, same layout.
 * Writable: setting state is copying into them. On a GPU these are host copies: each call copies the
 * device values into its buffer, and what is written there reaches the device at the next
 * accumulate, evaluate, optimizer_step or logits call; a pointer is valid until that call. */
int64_t ditto_engine_n_params(const ditto_engine* engine);
float* ditto_engine_weights(ditto_engine* engine);
float* ditto_engine_grads(ditto_engine* engine);
float* ditto_engine_adam_m(ditto_engine* engine);
float* ditto_engine_adam_v(ditto_engine* engine);
int64_t ditto_engine_get_step(const ditto_engine* engine);
void ditto_engine_set_step(ditto_engine* engine, int64_t step);
uint64_t ditto_engine_get_rng(const ditto_engine* engine);
void ditto_engine_set_rng(ditto_engine* engine, uint64_t rng);
int ditto_engine_n_pairs(const ditto_engine* engine);
void ditto_engine_pair(const ditto_engine* engine, int index, ditto_lora_pair* pair);

/* Whether the CUDA engine can run here: 0 with info filled, else -1 with the reason and the fix in
 * err (no CUDA build, no driver, driver too old, no GPU, GPU too old). emulated: the emulated build. */
int ditto_cuda_probe(int emulated, ditto_device_info* info, char* err, size_t err_size);

/* Checks every op's backward against central finite differences in double precision and writes a
 * report ("op max_rel_err" lines) to report. Returns the largest relative error over all ops. */
double ditto_selftest_gradcheck(char* report, size_t report_size);

/* Checks the block decoders (Q4_K, Q6_K, Q5_K, Q4_0, Q4_1, Q5_0, Q5_1) against an element-at-a-time reading of the layouts;
 * returns the largest relative difference, report as for the gradient check. */
double ditto_selftest_dequant(char* report, size_t report_size);

/* Checks the float matrix products (every blocking path, weights in every type the engine reads) with
 * every kernel this CPU supports against double loops on the same values, and, where the CPU has
 * AVX512-BF16, the bf16 weight products against double loops on the bf16-rounded values (the line
 * also gives their difference from the fp32 values); the report names the kernels skipped.
 * Returns the largest relative difference, report as above. */
double ditto_selftest_gemm(char* report, size_t report_size);

/* Name of the matrix kernel training uses: "avx512f", "avx2" or "portable" (the widest this CPU
 * has, or the one the environment variable DITTO_GEMM_KERNEL names when the CPU has it). */
const char* ditto_gemm_kernel(void);

/* Floating-point operations (2 per multiply-add) of every float matrix product the CPU engine has
 * run in this process (weight, LoRA and attention products); benchmarks read it around a step. */
double ditto_gemm_flops(void);

/* The CPU's FMA peak measured now: independent chains in registers on `threads` threads for
 * ~0.25 s each. kind: "avx2", "avx512f" or "avx512bf16" (vdpbf16ps, 2 flops per bf16 pair).
 * Returns GFLOP/s of all threads by wall time and, in per_cpu_second (may be NULL), the mean GFLOP
 * per CPU-second of one thread (what other processes on the cores disturb least); -1 when the CPU
 * lacks the kind. */
double ditto_fma_peak(const char* kind, int threads, double* per_cpu_second);

/* 1 when precision BF16 can run in this process (the CPU has AVX512-BF16 and DITTO_GEMM_KERNEL does
 * not force a narrower kernel), else 0 with the reason and the fix in why. */
int ditto_bf16_available(char* why, size_t why_size);

/* Folds a LoRA pair into a float32 matrix in place: w[n_out x n_in] += (factor * b[n_out x rank])
 * a[rank x n_in], rounding exactly as `ditto adapter merge`'s reference loop (per element, k in
 * order, float(double(w) + double(factor * b) * a), zero terms skipped), so every kernel gives the
 * same bytes. kernel: "portable", "avx2", "avx512f", or NULL for ditto_gemm_kernel()'s. Returns 0,
 * or -1 (nothing written) when the kernel is unknown or this CPU lacks it. */
/* out[i] = IEEE half bits of in[i], round to nearest even, NaN -> sign | 0x7e00: the bytes of
 * ditto's TypeScript F16 encoder, for `ditto adapter merge`. kernel as for ditto_lora_merge;
 * returns 0, or -1 (nothing written) for an unknown kernel or one this CPU lacks. */
int ditto_encode_f16(const float* in, uint16_t* out, int64_t n, const char* kernel);

/* out[n] = n values of ggml type ggml_type (F16 1, BF16 30, Q8_0 8, Q4_K 12, Q6_K 14) at data, decoded
 * for `ditto adapter merge` to the float32 values of ditto's TypeScript decoders (K-quant values
 * computed in double and rounded once). Returns 0; -1 when a value is NaN or a block's scale is
 * infinite or NaN (out then unspecified: decode that tensor in TypeScript); -2 for another type or
 * an n that is not a whole number of blocks. */
int ditto_decode_for_merge(int ggml_type, const uint8_t* data, int64_t n, float* out);
/* bytes that n values of ggml_type take for ditto_decode_for_merge, or 0 for another type or an n
 * that is not a whole number of blocks */
int64_t ditto_decode_for_merge_bytes(int ggml_type, int64_t n);

int ditto_lora_merge(float* w, const float* a, const float* b, int64_t n_out, int64_t n_in, int rank, double factor, const char* kernel);

/* out = in[n] encoded as ggml type ggml_type (F16 1, BF16 30, Q8_0 8, Q4_0 2, Q4_1 3, Q5_0 6, Q5_1 7,
 * Q4_K 12, Q5_K 13, Q6_K 14), the same bytes as ditto's TypeScript quantizers
 * (src/gguf/encodeTensorTs.ts). Returns 0, or -2 (nothing written) for another type or an n that is
 * not a whole number of blocks; out holds ditto_quantize_bytes(ggml_type, n) bytes. */
int ditto_quantize(int ggml_type, const float* in, int64_t n, uint8_t* out);
/* bytes ditto_quantize writes for n values, or 0 for another type or an n that is not whole blocks */
int64_t ditto_quantize_bytes(int ggml_type, int64_t n);

/* out[i] = float(offset + ((u_i / 2^32 * 2 - 1) * scale) * scale2), u_i the i-th output of ditto's
 * seeded generator (src/random/Rng.ts, xoshiro128** seeded by splitmix32 from seed): the fixture
 * models' random weights, the same floats as the TypeScript generator. */
void ditto_fill_uniform(float* out, int64_t n, uint32_t seed, double scale, double scale2, double offset);

/* n (a multiple of 32) float32 values -> n / 32 ggml Q8_0 blocks: the bytes of ditto's TypeScript
 * Q8_0 encoder for every input, for `ditto adapter merge`. kernel as for ditto_lora_merge; returns
 * 0, -1 (nothing written) for an unknown kernel or one this CPU lacks, -2 when n is not a multiple of 32. */
int ditto_encode_q8_0(const float* in, uint8_t* out, int64_t n, const char* kernel);

/* One adapted matrix of `ditto adapter merge`: out = encode_out_type(decode_base_type(base) + (factor
 * * b[n_out x rank]) a[rank x n_in]), byte for byte what ditto_decode_for_merge, ditto_lora_merge and
 * ditto_encode_f16 / ditto_encode_q8_0 give one after another, done in row blocks on the process's
 * threads. base_type: F32 or a ditto_decode_for_merge type; out_type: F32 0, F16 1 or Q8_0 8; out
 * holds ditto_merge_tensor_out_bytes(out_type, n_out * n_in). Returns 0; -1 when a base value is
 * refused as by ditto_decode_for_merge (out unspecified: merge that matrix in TypeScript); -2 for
 * another type or an n_in that is not a whole number of blocks; -3 for an unknown kernel. */
int ditto_merge_tensor(int base_type, const uint8_t* base, const float* a, const float* b, int64_t n_out, int64_t n_in, int rank,
                       double factor, int out_type, uint8_t* out, const char* kernel);
/* bytes of ditto_merge_tensor's output for n values of out_type, 0 for another type or n */
int64_t ditto_merge_tensor_out_bytes(int out_type, int64_t n);

/* The merged GGUF of `ditto adapter merge` written in one pass (native/src/MergeFileWriter.h): the
 * base read through a map, adapted matrices merged straight into staging chunks, the chunks written
 * by a background thread with O_DIRECT where the file system takes it. Calls in file order; every
 * call after a failure fails too, and ditto_merge_file_failure says what failed. */
typedef struct ditto_merge_file ditto_merge_file;
/* never null: a file that cannot be opened or mapped shows in ditto_merge_file_failure. chunk_bytes:
 * the staging chunk, a multiple of 4096, 0 for the default 16 MiB */
ditto_merge_file* ditto_merge_file_open(const char* out_path, const char* base_path, int direct, int64_t chunk_bytes);
/* 1 and the failing call ("open", "mmap", "write", "fsync", "read": a base file too short, ...),
 * its path, a message and the errno (0 for "read") when the writer has failed; 0 otherwise */
int ditto_merge_file_failure(const ditto_merge_file* f, const char** syscall, const char** path, const char** message, int* errnum);
/* 1 when the output is written with O_DIRECT */
int ditto_merge_file_direct(const ditto_merge_file* f);
/* bytes (or n zero bytes when bytes is null) appended: 0, or -1 on failure */
int ditto_merge_file_append(ditto_merge_file* f, const uint8_t* bytes, int64_t n);
/* n bytes of the base file from offset appended: 0, or -1 on failure (offset + n past its end included) */
int ditto_merge_file_copy(ditto_merge_file* f, int64_t offset, int64_t n);
/* the ditto_merge_tensor of the base's bytes at offset appended: 0; 1 when a base value is refused
 * (nothing appended: merge that matrix in TypeScript and append it); -1 on failure; -2 for another
 * type or an n_in that is not whole blocks; -3 for an unknown kernel */
int ditto_merge_file_merge(ditto_merge_file* f, int64_t offset, int base_type, const float* a, const float* b, int64_t n_out,
                           int64_t n_in, int rank, double factor, int out_type, const char* kernel);
/* writes the rest, cuts the file to the bytes appended, fsyncs and closes it: 0, or -1 on failure */
int ditto_merge_file_finish(ditto_merge_file* f);
/* frees f; an unfinished file is left as far as it got (the caller removes it) */
void ditto_merge_file_close(ditto_merge_file* f);

#ifdef __cplusplus
}
#endif

#endif
