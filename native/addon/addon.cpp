// Module entry: openEngine (async), self-tests, kernel name and the adapter merge kernels (sync).
#include <napi.h>

#include <string>

#include "../include/ditto_engine.h"
#include "AddonEngine.h"
#include "AddonMergeFile.h"
#include "MergeArgs.h"

// {worst, report} of one of the C API's self-tests
static Napi::Value selftestResult(const Napi::CallbackInfo& info, double (*run)(char*, size_t)) {
    static char report[16384];
    double worst = run(report, sizeof report);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("worst", worst);
    o.Set("report", report);
    return o;
}
static Napi::Value selftestGradcheck(const Napi::CallbackInfo& info) { return selftestResult(info, ditto_selftest_gradcheck); }
static Napi::Value selftestDequant(const Napi::CallbackInfo& info) { return selftestResult(info, ditto_selftest_dequant); }
static Napi::Value selftestGemm(const Napi::CallbackInfo& info) { return selftestResult(info, ditto_selftest_gemm); }

static Napi::Value gemmKernel(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), ditto_gemm_kernel()); }

static Napi::Value gemmFlops(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ditto_gemm_flops()); }

// fmaPeak(kind, threads): {gflops, perCpuSecond} or null when the CPU lacks the kind
static Napi::Value fmaPeak(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "fmaPeak(kind: string, threads: number)");
    double perCpu = 0;
    double wall = ditto_fma_peak(info[0].As<Napi::String>().Utf8Value().c_str(), info[1].As<Napi::Number>().Int32Value(), &perCpu);
    if (wall < 0) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("gflops", wall);
    o.Set("perCpuSecond", perCpu);
    return o;
}

// {available: true} or {available: false, reason} for precision bf16
static Napi::Value bf16Probe(const Napi::CallbackInfo& info) {
    char why[512] = {0};
    Napi::Object o = Napi::Object::New(info.Env());
    bool ok = ditto_bf16_available(why, sizeof why) == 1;
    o.Set("available", ok);
    if (!ok) o.Set("reason", why);
    return o;
}

// loraMerge(w, a, b, nOut, nIn, rank, factor, kernel?): w updated in place; see ditto_lora_merge
static Napi::Value loraMerge(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto w = info[0].As<Napi::Float32Array>(), a = info[1].As<Napi::Float32Array>(), b = info[2].As<Napi::Float32Array>();
    int64_t nOut = info[3].As<Napi::Number>().Int64Value(), nIn = info[4].As<Napi::Number>().Int64Value();
    int rank = info[5].As<Napi::Number>().Int32Value();
    double factor = info[6].As<Napi::Number>().DoubleValue();
    std::string kernel = info.Length() > 7 && info[7].IsString() ? info[7].As<Napi::String>().Utf8Value() : "";
    if (nOut < 0 || nIn < 0 || rank < 0 || (int64_t)w.ElementLength() != nOut * nIn || (int64_t)a.ElementLength() != (int64_t)rank * nIn ||
        (int64_t)b.ElementLength() != nOut * rank)
        throw Napi::RangeError::New(env, "loraMerge: w must hold nOut*nIn, a rank*nIn and b nOut*rank floats");
    if (ditto_lora_merge(w.Data(), a.Data(), b.Data(), nOut, nIn, rank, factor, kernel.empty() ? nullptr : kernel.c_str()) != 0)
        throw Napi::Error::New(env, "loraMerge: kernel " + kernel + " is unknown or this CPU lacks it");
    return env.Undefined();
}

// encodeF16(values, kernel?): the IEEE half bits of each value, as ditto_encode_f16
static Napi::Value encodeF16(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto in = info[0].As<Napi::Float32Array>();
    std::string kernel = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    auto out = Napi::Uint16Array::New(env, in.ElementLength());
    if (ditto_encode_f16(in.Data(), out.Data(), (int64_t)in.ElementLength(), kernel.empty() ? nullptr : kernel.c_str()) != 0)
        throw Napi::Error::New(env, "encodeF16: kernel " + kernel + " is unknown or this CPU lacks it");
    return out;
}

// encodeQ8_0(values, kernel?): Q8_0 blocks of the values, as ditto_encode_q8_0
static Napi::Value encodeQ8_0(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto in = info[0].As<Napi::Float32Array>();
    std::string kernel = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    int64_t n = (int64_t)in.ElementLength();
    if (n % 32) throw Napi::RangeError::New(env, "encodeQ8_0: " + std::to_string(n) + " values are not whole 32-value blocks");
    auto out = Napi::Uint8Array::New(env, (size_t)(n / 32 * 34));
    if (ditto_encode_q8_0(in.Data(), out.Data(), n, kernel.empty() ? nullptr : kernel.c_str()) != 0)
        throw Napi::Error::New(env, "encodeQ8_0: kernel " + kernel + " is unknown or this CPU lacks it");
    return out;
}

// mergeTensor(bytes, baseType, a, b, nOut, nIn, rank, factor, outType, kernel?): the merged matrix's
// bytes, or null when a base value is refused (see ditto_merge_tensor)
static Napi::Value mergeTensor(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto bytes = info[0].As<Napi::Uint8Array>();
    MergeArgs m = MergeArgs::read(info, 1, "mergeTensor");
    int baseType = m.baseType, rank = m.rank, outType = m.outType;
    int64_t nOut = m.nOut, nIn = m.nIn;
    const std::string& kernel = m.kernel;
    int64_t need = baseType == 0 ? nOut * nIn * 4 : ditto_decode_for_merge_bytes(baseType, nOut * nIn);
    int64_t outBytes = ditto_merge_tensor_out_bytes(outType, nOut * nIn);
    if ((need == 0 || outBytes == 0) && nOut * nIn != 0)
        throw Napi::RangeError::New(env, "mergeTensor: base type " + std::to_string(baseType) + " or output type " + std::to_string(outType) +
                                         " is not supported for " + std::to_string(nOut) + "x" + std::to_string(nIn) + " values");
    if ((int64_t)bytes.ByteLength() < need) throw Napi::RangeError::New(env, "mergeTensor: bytes are shorter than the matrix");
    auto out = Napi::Uint8Array::New(env, (size_t)outBytes);
    int rc = ditto_merge_tensor(baseType, bytes.Data(), m.a.Data(), m.b.Data(), nOut, nIn, rank, m.factor, outType, out.Data(), m.kernelOrNull());
    if (rc == -1) return env.Null();
    if (rc == -2) throw Napi::RangeError::New(env, "mergeTensor: rows of " + std::to_string(nIn) + " values are not whole blocks of the base or output type");
    if (rc != 0) throw Napi::Error::New(env, "mergeTensor: kernel " + kernel + " is unknown or this CPU lacks it");
    return out;
}

// decodeForMerge(bytes, type, n): n floats, or null when a value is NaN or a block scale is not
// finite (see ditto_decode_for_merge)
static Napi::Value decodeForMerge(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto bytes = info[0].As<Napi::Uint8Array>();
    int type = info[1].As<Napi::Number>().Int32Value();
    int64_t n = info[2].As<Napi::Number>().Int64Value();
    if (n < 0) throw Napi::RangeError::New(env, "decodeForMerge: n must not be negative");
    auto out = Napi::Float32Array::New(env, (size_t)n);
    // the byte count is checked before decoding: a short buffer is a caller's bug, not a NaN
    int64_t need = ditto_decode_for_merge_bytes(type, n);
    if ((need == 0 && n != 0) || (int64_t)bytes.ByteLength() < need)
        throw Napi::RangeError::New(env, "decodeForMerge: type " + std::to_string(type) + " with " + std::to_string(n) +
                                         " values: not F16/BF16/Q8_0/Q4_K/Q6_K, not whole blocks, or bytes shorter than the blocks");
    if (ditto_decode_for_merge(type, bytes.Data(), n, out.Data()) != 0) return env.Null();
    return out;
}

// quantizeTensor(values, type): the bytes of ggml type `type`, as src/gguf/encodeTensorTs.ts writes them
static Napi::Value quantizeTensor(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto in = info[0].As<Napi::Float32Array>();
    int type = info[1].As<Napi::Number>().Int32Value();
    int64_t n = (int64_t)in.ElementLength();
    int64_t bytes = ditto_quantize_bytes(type, n);
    if (bytes == 0 && n != 0)
        throw Napi::RangeError::New(env, "quantizeTensor: type " + std::to_string(type) + " with " + std::to_string(n) +
                                         " values: not F16/BF16/Q8_0/Q4_0/Q4_1/Q5_0/Q5_1/Q4_K/Q5_K/Q6_K, or not whole blocks (32 or 256 values)");
    auto out = Napi::Uint8Array::New(env, (size_t)bytes);
    ditto_quantize(type, in.Data(), n, out.Data());
    return out;
}

// fillUniform(out, seed, scale, scale2, offset): out filled in place, as ditto_fill_uniform
static Napi::Value fillUniform(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto out = info[0].As<Napi::Float32Array>();
    uint32_t seed = info[1].As<Napi::Number>().Uint32Value();
    double scale = info[2].As<Napi::Number>().DoubleValue(), scale2 = info[3].As<Napi::Number>().DoubleValue();
    double offset = info[4].As<Napi::Number>().DoubleValue();
    ditto_fill_uniform(out.Data(), (int64_t)out.ElementLength(), seed, scale, scale2, offset);
    return env.Undefined();
}

static Napi::Object init(Napi::Env env, Napi::Object exports) {
    exports.Set("AddonEngine", AddonEngine::define(env));
    exports.Set("openEngine", Napi::Function::New(env, openEngine));
    exports.Set("selftestGradcheck", Napi::Function::New(env, selftestGradcheck));
    exports.Set("selftestDequant", Napi::Function::New(env, selftestDequant));
    exports.Set("selftestGemm", Napi::Function::New(env, selftestGemm));
    exports.Set("gemmKernel", Napi::Function::New(env, gemmKernel));
    exports.Set("bf16Probe", Napi::Function::New(env, bf16Probe));
    exports.Set("gemmFlops", Napi::Function::New(env, gemmFlops));
    exports.Set("fmaPeak", Napi::Function::New(env, fmaPeak));
    exports.Set("loraMerge", Napi::Function::New(env, loraMerge));
    exports.Set("encodeF16", Napi::Function::New(env, encodeF16));
    exports.Set("quantizeTensor", Napi::Function::New(env, quantizeTensor));
    exports.Set("fillUniform", Napi::Function::New(env, fillUniform));
    exports.Set("encodeQ8_0", Napi::Function::New(env, encodeQ8_0));
    exports.Set("mergeTensor", Napi::Function::New(env, mergeTensor));
    exports.Set("decodeForMerge", Napi::Function::New(env, decodeForMerge));
    exports.Set("AddonMergeFile", AddonMergeFile::define(env));
    exports.Set("openMergeFile", Napi::Function::New(env, openMergeFile));
    exports.Set("cudaProbe", Napi::Function::New(env, cudaProbe));
    return exports;
}

NODE_API_MODULE(ditto_engine, init)
