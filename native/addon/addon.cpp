// Module entry: openEngine (async), self-tests and kernel name (sync).
#include <napi.h>

#include "../include/ditto_engine.h"
#include "AddonEngine.h"

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

static Napi::Object init(Napi::Env env, Napi::Object exports) {
    exports.Set("AddonEngine", AddonEngine::define(env));
    exports.Set("openEngine", Napi::Function::New(env, openEngine));
    exports.Set("selftestGradcheck", Napi::Function::New(env, selftestGradcheck));
    exports.Set("selftestDequant", Napi::Function::New(env, selftestDequant));
    exports.Set("selftestGemm", Napi::Function::New(env, selftestGemm));
    exports.Set("gemmKernel", Napi::Function::New(env, gemmKernel));
    exports.Set("cudaProbe", Napi::Function::New(env, cudaProbe));
    return exports;
}

NODE_API_MODULE(ditto_engine, init)
