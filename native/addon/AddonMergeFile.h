// The merged-file writer of `ditto adapter merge` as a JavaScript object (see ditto_merge_file_open).
// Its calls are synchronous: each merges or copies one tensor while the writer thread writes the
// chunks before it. A failure is thrown as a Node-style error (code such as "ENOSPC", syscall,
// path, errno) that the CLI's filesystem-error translation turns into `error:` / `fix:`.
#pragma once
#include <napi.h>

#include "../include/ditto_engine.h"

class AddonMergeFile : public Napi::ObjectWrap<AddonMergeFile> {
public:
    static Napi::Function define(Napi::Env env);
    static Napi::FunctionReference* constructor;
    AddonMergeFile(const Napi::CallbackInfo& info);
    ~AddonMergeFile() override;

private:
    Napi::Value append(const Napi::CallbackInfo& info);
    Napi::Value zeros(const Napi::CallbackInfo& info);
    Napi::Value copy(const Napi::CallbackInfo& info);
    Napi::Value merge(const Napi::CallbackInfo& info);
    Napi::Value finish(const Napi::CallbackInfo& info);
    Napi::Value close(const Napi::CallbackInfo& info);
    Napi::Value direct(const Napi::CallbackInfo& info);
    ditto_merge_file* usable(Napi::Env env);
    Napi::Error failure(Napi::Env env);

    ditto_merge_file* file = nullptr;
};

// openMergeFile(outPath, basePath, direct, chunkBytes?) -> AddonMergeFile; throws when a file cannot be opened
Napi::Value openMergeFile(const Napi::CallbackInfo& info);
