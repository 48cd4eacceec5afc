// Finds and opens the CUDA engine library (dlopen), beside the module that holds this code.
#pragma once
#include <string>

#include "GpuEngine.h"

namespace ditto {

// The library, or nullptr with the reason and the fix in err. Opened once per process and kept.
// DITTO_CUDA_LIBRARY (a path) overrides where the real (not emulated) library is looked for.
const GpuLibrary* loadGpuLibrary(bool emulated, std::string* err);

}  // namespace ditto
