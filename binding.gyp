{
  "targets": [
    {
      "target_name": "ditto_engine",
      "sources": [
        "native/src/BatchLayout.cpp",
        "native/src/CApi.cpp",
        "native/src/Dequantize.cpp",
        "native/src/DequantSelfTest.cpp",
        "native/src/Engine.cpp",
        "native/src/FmaPeak.cpp",
        "native/src/Gemm.cpp",
        "native/src/GemmBf16.cpp",
        "native/src/GemmKernelAvx512.cpp",
        "native/src/GemmKernels.cpp",
        "native/src/GemmSelfTest.cpp",
        "native/src/GgufFile.cpp",
        "native/src/GpuLibraryLoader.cpp",
        "native/src/GradCheck.cpp",
        "native/src/HalfEncode.cpp",
        "native/src/LoraMerge.cpp",
        "native/src/MergeDecode.cpp",
        "native/src/MergeFileWriter.cpp",
        "native/src/MergeTensor.cpp",
        "native/src/Model.cpp",
        "native/src/Quantize.cpp",
        "native/src/QuantGroupsAvx2.cpp",
        "native/src/Q8Encode.cpp",
        "native/src/ThreadPool.cpp",
        "native/src/UniformFill.cpp",
        "native/src/VecMath.cpp",
        "native/src/WeightDecode.cpp",
        "native/addon/AddonEngine.cpp",
        "native/addon/AddonMergeFile.cpp",
        "native/addon/addon.cpp"
      ],
      "libraries": ["-ldl"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-Wall", "-Wno-unused-function"],
      "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17"}
    }
  ]
}
