// The arguments that mergeTensor and AddonMergeFile.merge share, from info[first] on:
// baseType, a, b, nOut, nIn, rank, factor, outType, kernel?
#pragma once
#include <napi.h>

#include <string>

struct MergeArgs {
    int baseType, rank, outType;
    Napi::Float32Array a, b;
    int64_t nOut, nIn;
    double factor;
    std::string kernel;

    const char* kernelOrNull() const { return kernel.empty() ? nullptr : kernel.c_str(); }

    // what: the JavaScript name, for the error when a or b does not match the shape
    static MergeArgs read(const Napi::CallbackInfo& info, size_t first, const char* what) {
        MergeArgs m;
        m.baseType = info[first].As<Napi::Number>().Int32Value();
        m.a = info[first + 1].As<Napi::Float32Array>();
        m.b = info[first + 2].As<Napi::Float32Array>();
        m.nOut = info[first + 3].As<Napi::Number>().Int64Value();
        m.nIn = info[first + 4].As<Napi::Number>().Int64Value();
        m.rank = info[first + 5].As<Napi::Number>().Int32Value();
        m.factor = info[first + 6].As<Napi::Number>().DoubleValue();
        m.outType = info[first + 7].As<Napi::Number>().Int32Value();
        m.kernel = info.Length() > first + 8 && info[first + 8].IsString() ? info[first + 8].As<Napi::String>().Utf8Value() : "";
        if (m.nOut < 0 || m.nIn < 0 || m.rank < 0 || (int64_t)m.a.ElementLength() != (int64_t)m.rank * m.nIn ||
            (int64_t)m.b.ElementLength() != m.nOut * m.rank)
            throw Napi::RangeError::New(info.Env(), std::string(what) + ": a must hold rank*nIn and b nOut*rank floats");
        return m;
    }
};
