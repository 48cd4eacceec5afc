// Module entry: openEngine (async), gradcheck self-test and kernel name (sync).
#include <napi.h>

#include "../include/ditto_engine.h"
#include "AddonEngine.h"

static Napi::Value selftestGradcheck(const Napi::CallbackInfo& info) {
    static char report[16384];
    double worst = ditto_selftest_gradcheck(report, sizeof report);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("worst", worst);
    o.Set("report", report);
    return o;
}

static Napi::Value selftestDequant(const Napi::CallbackInfo& info) {
    static char report[4096];
    double worst = ditto_selftest_dequant(report, sizeof report);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("worst", worst);
    o.Set("report", report);
    return o;
}

static Napi::Value selftestGemm(const Napi::CallbackInfo& info) {
    static char report[4096];
    double worst = ditto_selftest_gemm(report, sizeof report);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("worst", worst);
    o.Set("report", report);
    return o;
}

static Napi::Value gemmKernel(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), ditto_gemm_kernel()); }

static Napi::Object init(Napi::Env env, Napi::Object exports) {
    exports.Set("AddonEngine", AddonEngine::define(env));
    exports.Set("openEngine", Napi::Function::New(env, openEngine));
    exports.Set("selftestGradcheck", Napi::Function::New(env, selftestGradcheck));
    exports.Set("selftestDequant", Napi::Function::New(env, selftestDequant));
    exports.Set("selftestGemm", Napi::Function::New(env, selftestGemm));
    exports.Set("gemmKernel", Napi::Function::New(env, gemmKernel));
    return exports;
}

NODE_API_MODULE(ditto_engine, init)
