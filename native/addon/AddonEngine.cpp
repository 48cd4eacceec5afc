#include "AddonEngine.h"

#include <cstring>
#include <string>
#include <vector>

Napi::FunctionReference* AddonEngine::constructor = nullptr;

static const char* const targetNames[] = {"q", "k", "v", "o", "gate", "up", "down"};

namespace {

// Base for the engine's workers: marks the engine busy for the duration and turns a C API
// failure into a rejection with its message.
class EngineWorker : public Napi::AsyncWorker {
public:
    EngineWorker(Napi::Env env, AddonEngine* owner)
        : Napi::AsyncWorker(env), deferred(Napi::Promise::Deferred::New(env)), owner(owner) {
        owner->busy = true;
        ownerRef = Napi::Persistent(owner->Value());  // keep the engine alive while we run
    }
    Napi::Promise promise() { return deferred.Promise(); }

protected:
    void fail(int rc) { if (rc != 0) SetError(err); }
    void OnOK() override {
        owner->busy = false;
        deferred.Resolve(result(Env()));
    }
    void OnError(const Napi::Error& e) override {
        owner->busy = false;
        deferred.Reject(e.Value());
    }
    virtual Napi::Value result(Napi::Env env) = 0;

    Napi::Promise::Deferred deferred;
    AddonEngine* owner;
    Napi::ObjectReference ownerRef;
    char err[2048] = {0};
};

std::vector<int32_t> int32s(const Napi::Value& v, const char* name) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
        throw Napi::TypeError::New(v.Env(), std::string(name) + " must be an Int32Array");
    Napi::Int32Array a = v.As<Napi::Int32Array>();
    return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

class BatchWorker : public EngineWorker {
public:
    BatchWorker(Napi::Env env, AddonEngine* owner, bool training, int batch, int seqLen, std::vector<int32_t> tokens,
                std::vector<int32_t> targets, std::vector<int32_t> segments)
        : EngineWorker(env, owner), training(training), batch(batch), seqLen(seqLen), tokens(std::move(tokens)),
          targets(std::move(targets)), segments(std::move(segments)) {}
    void Execute() override {
        auto fn = training ? ditto_engine_accumulate : ditto_engine_evaluate;
        fail(fn(owner->engine, batch, seqLen, tokens.data(), targets.data(), segments.data(), &lossSum, &lossTokens, err, sizeof err));
    }
    Napi::Value result(Napi::Env env) override {
        Napi::Object o = Napi::Object::New(env);
        o.Set("lossSum", lossSum);
        o.Set("tokens", (double)lossTokens);
        return o;
    }

private:
    bool training;
    int batch, seqLen;
    std::vector<int32_t> tokens, targets, segments;
    double lossSum = 0;
    int64_t lossTokens = 0;
};

class StepWorker : public EngineWorker {
public:
    StepWorker(Napi::Env env, AddonEngine* owner, ditto_adamw s) : EngineWorker(env, owner), settings(s) {}
    void Execute() override { fail(ditto_engine_optimizer_step(owner->engine, &settings, &gradNorm, err, sizeof err)); }
    Napi::Value result(Napi::Env env) override {
        Napi::Object o = Napi::Object::New(env);
        o.Set("gradNorm", gradNorm);
        return o;
    }

private:
    ditto_adamw settings;
    double gradNorm = 0;
};

class LogitsWorker : public EngineWorker {
public:
    LogitsWorker(Napi::Env env, AddonEngine* owner, std::vector<int32_t> tokens, int vocab)
        : EngineWorker(env, owner), tokens(std::move(tokens)), out(this->tokens.size() * (size_t)vocab) {}
    void Execute() override { fail(ditto_engine_logits(owner->engine, (int)tokens.size(), tokens.data(), out.data(), err, sizeof err)); }
    Napi::Value result(Napi::Env env) override {
        Napi::Float32Array a = Napi::Float32Array::New(env, out.size());
        std::copy(out.begin(), out.end(), a.Data());
        return a;
    }

private:
    std::vector<int32_t> tokens;
    std::vector<float> out;
};

class OpenWorker : public Napi::AsyncWorker {
public:
    OpenWorker(Napi::Env env, std::string path, ditto_open_options o)
        : Napi::AsyncWorker(env), deferred(Napi::Promise::Deferred::New(env)), path(std::move(path)), options(o) {}
    Napi::Promise promise() { return deferred.Promise(); }
    void Execute() override {
        options.model_path = path.c_str();
        engine = ditto_engine_open(&options, err, sizeof err);
        if (!engine) SetError(err);
    }
    void OnOK() override {
        Napi::Env env = Env();
        Napi::Object obj = AddonEngine::constructor->New({Napi::External<ditto_engine>::New(env, engine)});
        deferred.Resolve(obj);
    }
    void OnError(const Napi::Error& e) override { deferred.Reject(e.Value()); }

private:
    Napi::Promise::Deferred deferred;
    std::string path;
    ditto_open_options options;
    ditto_engine* engine = nullptr;
    char err[2048] = {0};
};

double numberField(const Napi::Object& o, const char* key) {
    Napi::Value v = o.Get(key);
    if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("option ") + key + " must be a number");
    return v.As<Napi::Number>().DoubleValue();
}

}  // namespace

Napi::Function AddonEngine::define(Napi::Env env) {
    Napi::Function cls = DefineClass(env, "AddonEngine",
                                     {InstanceMethod("info", &AddonEngine::info), InstanceMethod("accumulate", &AddonEngine::accumulate),
                                      InstanceMethod("evaluate", &AddonEngine::evaluate), InstanceMethod("optimizerStep", &AddonEngine::optimizerStep),
                                      InstanceMethod("logits", &AddonEngine::logits), InstanceMethod("getState", &AddonEngine::getState),
                                      InstanceMethod("setState", &AddonEngine::setState), InstanceMethod("gradients", &AddonEngine::gradients),
                                      InstanceMethod("pairs", &AddonEngine::pairs), InstanceMethod("close", &AddonEngine::close)});
    constructor = new Napi::FunctionReference(Napi::Persistent(cls));
    return cls;
}

AddonEngine::AddonEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonEngine>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
        throw Napi::TypeError::New(info.Env(), "AddonEngine is created by openEngine(), not with new");
    engine = info[0].As<Napi::External<ditto_engine>>().Data();
}

AddonEngine::~AddonEngine() {
    if (engine) ditto_engine_close(engine);
}

void AddonEngine::checkUsable(Napi::Env env, const char* method) {
    if (!engine) throw Napi::Error::New(env, std::string(method) + ": the engine is closed; open a new one");
    if (busy)
        throw Napi::Error::New(env, std::string(method) + ": another engine call is still running; await it before calling again");
}

Napi::Object deviceObject(Napi::Env env, const ditto_device_info& d) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", d.kind);
    o.Set("name", d.name);
    o.Set("computeCapability", d.cc_major > 0 ? Napi::Value(Napi::String::New(env, std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)))
                                              : env.Null());
    o.Set("memoryBytes", (double)d.memory_bytes);
    o.Set("gemm", d.gemm);
    o.Set("note", d.note);
    return o;
}

Napi::Value AddonEngine::info(const Napi::CallbackInfo& info) {
    checkUsable(info.Env(), "info");
    ditto_model_info mi;
    ditto_engine_info(engine, &mi);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("arch", mi.arch);
    o.Set("nLayer", mi.n_layer); o.Set("nEmbd", mi.n_embd); o.Set("nHead", mi.n_head); o.Set("nHeadKv", mi.n_head_kv);
    o.Set("headDim", mi.head_dim); o.Set("nFf", mi.n_ff); o.Set("nVocab", mi.n_vocab);
    o.Set("ropeBase", mi.rope_base); o.Set("normEps", mi.norm_eps); o.Set("tiedOutput", mi.tied_output != 0);
    o.Set("loraParameters", (double)mi.lora_parameters);
    o.Set("device", deviceObject(info.Env(), mi.device));
    return o;
}

Napi::Value AddonEngine::runBatch(const Napi::CallbackInfo& info, bool training) {
    Napi::Env env = info.Env();
    checkUsable(env, training ? "accumulate" : "evaluate");
    if (info.Length() != 5) throw Napi::TypeError::New(env, "expected (batch, seqLen, tokens, targets, segments)");
    int batch = info[0].As<Napi::Number>().Int32Value(), seqLen = info[1].As<Napi::Number>().Int32Value();
    std::vector<int32_t> tokens = int32s(info[2], "tokens"), targets = int32s(info[3], "targets"), segments = int32s(info[4], "segments");
    size_t n = (size_t)batch * seqLen;
    if (batch <= 0 || seqLen <= 0 || tokens.size() != n || targets.size() != n || segments.size() != n)
        throw Napi::RangeError::New(env, "tokens, targets and segments must each hold batch x seqLen = " + std::to_string(n) +
                                             " values (got " + std::to_string(tokens.size()) + ", " + std::to_string(targets.size()) + ", " +
                                             std::to_string(segments.size()) + ")");
    auto* w = new BatchWorker(env, this, training, batch, seqLen, std::move(tokens), std::move(targets), std::move(segments));
    w->Queue();
    return w->promise();
}

Napi::Value AddonEngine::accumulate(const Napi::CallbackInfo& info) { return runBatch(info, true); }
Napi::Value AddonEngine::evaluate(const Napi::CallbackInfo& info) { return runBatch(info, false); }

Napi::Value AddonEngine::optimizerStep(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    checkUsable(env, "optimizerStep");
    if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "expected optimizer settings");
    Napi::Object o = info[0].As<Napi::Object>();
    ditto_adamw s;
    s.lr = (float)numberField(o, "lr"); s.beta1 = (float)numberField(o, "beta1"); s.beta2 = (float)numberField(o, "beta2");
    s.eps = (float)numberField(o, "eps"); s.weight_decay = (float)numberField(o, "weightDecay"); s.clip = (float)numberField(o, "clip");
    s.grad_scale = (float)numberField(o, "gradScale");
    auto* w = new StepWorker(env, this, s);
    w->Queue();
    return w->promise();
}

Napi::Value AddonEngine::logits(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    checkUsable(env, "logits");
    std::vector<int32_t> tokens = int32s(info[0], "tokens");
    if (tokens.empty()) throw Napi::RangeError::New(env, "logits: tokens is empty");
    ditto_model_info mi;
    ditto_engine_info(engine, &mi);
    auto* w = new LogitsWorker(env, this, std::move(tokens), mi.n_vocab);
    w->Queue();
    return w->promise();
}

static Napi::Float32Array copyOut(Napi::Env env, const float* src, int64_t n) {
    Napi::Float32Array a = Napi::Float32Array::New(env, (size_t)n);
    std::copy(src, src + n, a.Data());
    return a;
}

Napi::Value AddonEngine::getState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    checkUsable(env, "getState");
    int64_t n = ditto_engine_n_params(engine);
    Napi::Object o = Napi::Object::New(env);
    o.Set("step", (double)ditto_engine_get_step(engine));
    o.Set("weights", copyOut(env, ditto_engine_weights(engine), n));
    o.Set("m", copyOut(env, ditto_engine_adam_m(engine), n));
    o.Set("v", copyOut(env, ditto_engine_adam_v(engine), n));
    o.Set("rng", Napi::BigInt::New(env, (uint64_t)ditto_engine_get_rng(engine)));
    return o;
}

Napi::Value AddonEngine::setState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    checkUsable(env, "setState");
    if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "setState expects an EngineState object");
    Napi::Object o = info[0].As<Napi::Object>();
    int64_t n = ditto_engine_n_params(engine);
    const char* names[] = {"weights", "m", "v"};
    float* dsts[] = {ditto_engine_weights(engine), ditto_engine_adam_m(engine), ditto_engine_adam_v(engine)};
    for (int i = 0; i < 3; i++) {
        Napi::Value v = o.Get(names[i]);
        if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
            throw Napi::TypeError::New(env, std::string("setState: ") + names[i] + " must be a Float32Array");
        if ((int64_t)v.As<Napi::Float32Array>().ElementLength() != n)
            throw Napi::RangeError::New(env, std::string("setState: ") + names[i] + " has " +
                                                 std::to_string(v.As<Napi::Float32Array>().ElementLength()) + " values but this engine's LoRA has " +
                                                 std::to_string(n) + "; was the state saved with another rank, targets or model?");
    }
    Napi::Value rng = o.Get("rng");
    if (!rng.IsBigInt()) throw Napi::TypeError::New(env, "setState: rng must be a bigint");
    bool lossless = false;
    uint64_t rngValue = rng.As<Napi::BigInt>().Uint64Value(&lossless);
    for (int i = 0; i < 3; i++) {
        Napi::Float32Array a = o.Get(names[i]).As<Napi::Float32Array>();
        std::copy(a.Data(), a.Data() + n, dsts[i]);
    }
    std::fill(ditto_engine_grads(engine), ditto_engine_grads(engine) + n, 0.0f);
    ditto_engine_set_step(engine, (int64_t)numberField(o, "step"));
    ditto_engine_set_rng(engine, rngValue);
    return env.Undefined();
}

// Accumulated (unscaled) gradients; for tests.
Napi::Value AddonEngine::gradients(const Napi::CallbackInfo& info) {
    checkUsable(info.Env(), "gradients");
    return copyOut(info.Env(), ditto_engine_grads(engine), ditto_engine_n_params(engine));
}

Napi::Value AddonEngine::pairs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    checkUsable(env, "pairs");
    int n = ditto_engine_n_pairs(engine);
    Napi::Array out = Napi::Array::New(env, n);
    for (int i = 0; i < n; i++) {
        ditto_lora_pair p;
        ditto_engine_pair(engine, i, &p);
        Napi::Object o = Napi::Object::New(env);
        o.Set("layer", p.layer);
        o.Set("target", targetNames[p.target]);
        o.Set("nIn", p.n_in);
        o.Set("nOut", p.n_out);
        o.Set("offsetA", (double)p.offset_a);
        o.Set("offsetB", (double)p.offset_b);
        out[i] = o;
    }
    return out;
}

Napi::Value AddonEngine::close(const Napi::CallbackInfo& info) {
    if (busy) throw Napi::Error::New(info.Env(), "close: an engine call is still running; await it before closing");
    if (engine) ditto_engine_close(engine);
    engine = nullptr;
    return info.Env().Undefined();
}

Napi::Value openEngine(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "openEngine expects an options object");
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value path = o.Get("modelPath");
    if (!path.IsString()) throw Napi::TypeError::New(env, "openEngine: modelPath must be a string");
    ditto_open_options opts = {};
    opts.rank = (int)numberField(o, "rank");
    opts.alpha = (float)numberField(o, "alpha");
    opts.dropout = (float)numberField(o, "dropout");
    opts.targets = (uint32_t)numberField(o, "targets");
    opts.threads = (int)numberField(o, "threads");
    opts.activation_budget_mb = numberField(o, "activationMemoryMb");
    Napi::Value device = o.Get("device");
    std::string dev = device.IsString() ? device.As<Napi::String>().Utf8Value() : "auto";
    if (dev == "auto") opts.device = DITTO_DEVICE_AUTO;
    else if (dev == "cpu") opts.device = DITTO_DEVICE_CPU;
    else if (dev == "cuda") opts.device = DITTO_DEVICE_CUDA;
    else if (dev == "cuda-emulated") opts.device = DITTO_DEVICE_CUDA_EMULATED;
    else throw Napi::TypeError::New(env, "openEngine: device must be auto, cpu, cuda or cuda-emulated, got " + dev);
    Napi::Value precision = o.Get("precision");
    std::string prec = precision.IsString() ? precision.As<Napi::String>().Utf8Value() : "fp32";
    if (prec == "fp32") opts.precision = DITTO_PRECISION_FP32;
    else if (prec == "bf16") opts.precision = DITTO_PRECISION_BF16;
    else throw Napi::TypeError::New(env, "openEngine: precision must be fp32 or bf16, got " + prec);
    Napi::Value seed = o.Get("seed");
    if (seed.IsBigInt()) {
        bool lossless;
        opts.seed = seed.As<Napi::BigInt>().Uint64Value(&lossless);
    } else {
        opts.seed = (uint64_t)numberField(o, "seed");
    }
    auto* w = new OpenWorker(env, path.As<Napi::String>().Utf8Value(), opts);
    w->Queue();
    return w->promise();
}

// {available: true, device} or {available: false, reason} for the CUDA engine (emulated build when asked).
Napi::Value cudaProbe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bool emulated = info.Length() > 0 && info[0].ToBoolean().Value();
    ditto_device_info d;
    std::memset(&d, 0, sizeof d);
    char err[1024] = {0};
    Napi::Object o = Napi::Object::New(env);
    if (ditto_cuda_probe(emulated ? 1 : 0, &d, err, sizeof err) == 0) {
        o.Set("available", true);
        o.Set("device", deviceObject(env, d));
    } else {
        o.Set("available", false);
        o.Set("reason", err);
    }
    return o;
}
