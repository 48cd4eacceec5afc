#include "AddonMergeFile.h"

#include <uv.h>

#include <string>

#include "MergeArgs.h"

Napi::FunctionReference* AddonMergeFile::constructor = nullptr;

Napi::Function AddonMergeFile::define(Napi::Env env) {
    Napi::Function cls = DefineClass(env, "AddonMergeFile",
                                     {InstanceMethod("append", &AddonMergeFile::append), InstanceMethod("zeros", &AddonMergeFile::zeros),
                                      InstanceMethod("copy", &AddonMergeFile::copy), InstanceMethod("merge", &AddonMergeFile::merge),
                                      InstanceMethod("finish", &AddonMergeFile::finish), InstanceMethod("close", &AddonMergeFile::close),
                                      InstanceMethod("direct", &AddonMergeFile::direct)});
    constructor = new Napi::FunctionReference(Napi::Persistent(cls));
    return cls;
}

AddonMergeFile::AddonMergeFile(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonMergeFile>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsBoolean())
        throw Napi::TypeError::New(env, "openMergeFile(outPath: string, basePath: string, direct: boolean, chunkBytes?: number)");
    int64_t chunk = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : 0;
    file = ditto_merge_file_open(info[0].As<Napi::String>().Utf8Value().c_str(), info[1].As<Napi::String>().Utf8Value().c_str(),
                                 info[2].As<Napi::Boolean>().Value() ? 1 : 0, chunk);
    const char *syscall, *path, *message;
    int errnum;
    if (ditto_merge_file_failure(file, &syscall, &path, &message, &errnum)) {
        Napi::Error e = failure(env);
        ditto_merge_file_close(file);
        file = nullptr;
        throw e;
    }
}

AddonMergeFile::~AddonMergeFile() {
    if (file) ditto_merge_file_close(file);
}

// As Node's fs errors: "ENOSPC: no space left on device, write 'path'" with code, errno, syscall, path
Napi::Error AddonMergeFile::failure(Napi::Env env) {
    const char *syscall = "merge", *path = "", *message = "failed";
    int errnum = 0;
    ditto_merge_file_failure(file, &syscall, &path, &message, &errnum);
    if (errnum == 0) {
        Napi::Error e = Napi::Error::New(env, std::string(path) + ": " + message);
        e.Set("syscall", syscall);
        e.Set("path", path);
        return e;
    }
    const char* code = uv_err_name(-errnum);
    Napi::Error e = Napi::Error::New(env, std::string(code) + ": " + message + ", " + syscall + " '" + path + "'");
    e.Set("code", code);
    e.Set("errno", Napi::Number::New(env, -errnum));
    e.Set("syscall", syscall);
    e.Set("path", path);
    return e;
}

ditto_merge_file* AddonMergeFile::usable(Napi::Env env) {
    if (!file) throw Napi::Error::New(env, "the merged file is already closed");
    return file;
}

Napi::Value AddonMergeFile::append(const Napi::CallbackInfo& info) {
    auto bytes = info[0].As<Napi::Uint8Array>();
    if (ditto_merge_file_append(usable(info.Env()), bytes.Data(), (int64_t)bytes.ByteLength()) != 0) throw failure(info.Env());
    return info.Env().Undefined();
}

Napi::Value AddonMergeFile::zeros(const Napi::CallbackInfo& info) {
    int64_t n = info[0].As<Napi::Number>().Int64Value();
    if (n < 0) throw Napi::RangeError::New(info.Env(), "zeros: n must not be negative");
    if (ditto_merge_file_append(usable(info.Env()), nullptr, n) != 0) throw failure(info.Env());
    return info.Env().Undefined();
}

Napi::Value AddonMergeFile::copy(const Napi::CallbackInfo& info) {
    int64_t offset = info[0].As<Napi::Number>().Int64Value(), n = info[1].As<Napi::Number>().Int64Value();
    if (ditto_merge_file_copy(usable(info.Env()), offset, n) != 0) throw failure(info.Env());
    return info.Env().Undefined();
}

// merge(offset, baseType, a, b, nOut, nIn, rank, factor, outType, kernel?) -> true, or false when a
// base value is refused (nothing appended)
Napi::Value AddonMergeFile::merge(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int64_t offset = info[0].As<Napi::Number>().Int64Value();
    MergeArgs m = MergeArgs::read(info, 1, "merge");
    int rc = ditto_merge_file_merge(usable(env), offset, m.baseType, m.a.Data(), m.b.Data(), m.nOut, m.nIn, m.rank, m.factor, m.outType,
                                    m.kernelOrNull());
    if (rc == 1) return Napi::Boolean::New(env, false);
    if (rc == -2)
        throw Napi::RangeError::New(env, "merge: base type " + std::to_string(m.baseType) + " or output type " + std::to_string(m.outType) +
                                         " is not supported for rows of " + std::to_string(m.nIn) + " values");
    if (rc == -3) throw Napi::Error::New(env, "merge: kernel " + m.kernel + " is unknown or this CPU lacks it");
    if (rc != 0) throw failure(env);
    return Napi::Boolean::New(env, true);
}

Napi::Value AddonMergeFile::finish(const Napi::CallbackInfo& info) {
    if (ditto_merge_file_finish(usable(info.Env())) != 0) throw failure(info.Env());
    return info.Env().Undefined();
}

Napi::Value AddonMergeFile::close(const Napi::CallbackInfo& info) {
    if (file) ditto_merge_file_close(file);
    file = nullptr;
    return info.Env().Undefined();
}

Napi::Value AddonMergeFile::direct(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), ditto_merge_file_direct(usable(info.Env())) != 0);
}

Napi::Value openMergeFile(const Napi::CallbackInfo& info) {
    std::vector<napi_value> args;
    for (size_t i = 0; i < info.Length(); i++) args.push_back(info[i]);
    return AddonMergeFile::constructor->New(args);
}
