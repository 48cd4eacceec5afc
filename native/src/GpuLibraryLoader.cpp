#include "GpuLibraryLoader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdlib>
#include <mutex>

namespace ditto {

namespace {

std::string moduleDir() {
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&loadGpuLibrary), &info) == 0 || !info.dli_fname) return ".";
    std::string path = info.dli_fname;
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

struct Loaded {
    const GpuLibrary* library = nullptr;
    std::string error;
};

Loaded open(bool emulated) {
    Loaded out;
    std::string path;
    const char* env = std::getenv("DITTO_CUDA_LIBRARY");
    if (!emulated && env && *env) path = env;
    else path = moduleDir() + (emulated ? "/libditto_cuda_emu.so" : "/libditto_cuda.so");
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
        out.error = emulated ? "the emulated CUDA engine (" + path + ") is not built; run npm run build:cuda"
                             : "this build has no CUDA engine (" + path +
                                   " is missing: nvcc was not found when ditto was installed); install the CUDA toolkit so that nvcc is on "
                                   "PATH and run npm run build:cuda";
        return out;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* e = dlerror();
        out.error = "could not load " + path + ": " + (e ? e : "unknown error") + "; rebuild it with npm run build:cuda";
        return out;
    }
    using Entry = const GpuLibrary* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "ditto_cuda_library"));
    const GpuLibrary* lib = entry ? entry() : nullptr;
    if (!lib || lib->abiVersion != kGpuLibraryAbi) {
        out.error = path + " is from another version of ditto; rebuild it with npm run build:cuda";
        return out;
    }
    out.library = lib;
    return out;
}

}  // namespace

const GpuLibrary* loadGpuLibrary(bool emulated, std::string* err) {
    static std::once_flag once[2];
    static Loaded loaded[2];
    int i = emulated ? 1 : 0;
    std::call_once(once[i], [&] { loaded[i] = open(emulated); });
    if (!loaded[i].library && err) *err = loaded[i].error;
    return loaded[i].library;
}

}  // namespace ditto
