// The engine as a JavaScript object. Slow calls (accumulate, evaluate, optimizerStep, logits, and
// opening) run on libuv's worker pool as Napi::AsyncWorker and settle a promise; C API errors
// become rejected promises carrying the engine's message. One call at a time per engine: a
// second call while one runs is rejected rather than queued (the TypeScript side serializes).
#pragma once
#include <napi.h>

#include "../include/ditto_engine.h"

class AddonEngine : public Napi::ObjectWrap<AddonEngine> {
public:
    static Napi::Function define(Napi::Env env);
    static Napi::FunctionReference* constructor;
    AddonEngine(const Napi::CallbackInfo& info);
    ~AddonEngine() override;

    ditto_engine* engine = nullptr;
    bool busy = false;

private:
    Napi::Value info(const Napi::CallbackInfo& info);
    Napi::Value accumulate(const Napi::CallbackInfo& info);
    Napi::Value evaluate(const Napi::CallbackInfo& info);
    Napi::Value optimizerStep(const Napi::CallbackInfo& info);
    Napi::Value logits(const Napi::CallbackInfo& info);
    Napi::Value getState(const Napi::CallbackInfo& info);
    Napi::Value setState(const Napi::CallbackInfo& info);
    Napi::Value gradients(const Napi::CallbackInfo& info);
    Napi::Value pairs(const Napi::CallbackInfo& info);
    Napi::Value close(const Napi::CallbackInfo& info);
    Napi::Value runBatch(const Napi::CallbackInfo& info, bool training);
    void checkUsable(Napi::Env env, const char* method);
};

// openEngine(options) -> Promise<AddonEngine>
Napi::Value openEngine(const Napi::CallbackInfo& info);

// cudaProbe(emulated?) -> {available, device} | {available: false, reason}
Napi::Value cudaProbe(const Napi::CallbackInfo& info);
Napi::Object deviceObject(Napi::Env env, const ditto_device_info& d);
