// A read-only, memory-mapped GGUF file: metadata values and tensor views. Independent of ggml;
// only the container format (v2/v3) is understood here, the tensor encodings live in Dequantize.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ditto {

// ggml tensor type ids as stored in GGUF.
enum GgmlType : uint32_t {
    GGML_F32 = 0, GGML_F16 = 1, GGML_Q4_0 = 2, GGML_Q4_1 = 3, GGML_Q5_0 = 6, GGML_Q5_1 = 7, GGML_Q8_0 = 8,
    GGML_Q4_K = 12, GGML_Q5_K = 13, GGML_Q6_K = 14, GGML_BF16 = 30
};

struct GgufValue {
    enum Kind { Int, Float, Bool, String, Array } kind = Int;
    int64_t i = 0;
    double f = 0;
    std::string s;
    uint64_t arrayLength = 0;
};

struct GgufTensor {
    std::string name;
    uint32_t type = 0;
    std::vector<int64_t> ne;  // ggml order: ne[0] is the contiguous (row) length
    const uint8_t* data = nullptr;
    int64_t elements() const;
};

class GgufFile {
public:
    // Throws std::runtime_error naming the file and the problem.
    explicit GgufFile(const std::string& path);
    ~GgufFile();
    GgufFile(const GgufFile&) = delete;
    GgufFile& operator=(const GgufFile&) = delete;

    const std::string& path() const { return filePath; }
    const GgufValue* find(const std::string& key) const;
    std::string getString(const std::string& key) const;
    int64_t getInt(const std::string& key) const;
    int64_t getInt(const std::string& key, int64_t fallback) const;
    double getFloat(const std::string& key, double fallback) const;
    const GgufTensor* tensor(const std::string& name) const;
    const GgufTensor& requireTensor(const std::string& name) const;

private:
    std::string filePath;
    void* mapping = nullptr;
    size_t mappingSize = 0;
    std::map<std::string, GgufValue> metadata;
    std::map<std::string, GgufTensor> tensors;
};

}  // namespace ditto
