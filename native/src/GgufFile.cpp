#include "GgufFile.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "Dequantize.h"

namespace ditto {

int64_t GgufTensor::elements() const {
    int64_t n = 1;
    for (int64_t d : ne) n *= d;
    return n;
}

namespace {

// Bounds-checked little-endian cursor over the mapped bytes.
struct Cursor {
    const uint8_t* base;
    size_t size, pos;
    const std::string& path;

    void need(uint64_t n) {
        if (n > size - pos)
            throw std::runtime_error("GGUF file " + path + " is truncated at byte " + std::to_string(pos) +
                                     "; re-download or re-convert it");
    }
    template <typename T> T read() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, base + pos, sizeof(T));
        pos += sizeof(T);
        return v;
    }
    std::string readString() {
        uint64_t n = read<uint64_t>();
        need(n);
        std::string s(reinterpret_cast<const char*>(base + pos), n);
        pos += n;
        return s;
    }
};

enum : uint32_t {
    T_U8 = 0, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STRING, T_ARRAY, T_U64, T_I64, T_F64
};

size_t scalarSize(uint32_t t) {
    switch (t) {
        case T_U8: case T_I8: case T_BOOL: return 1;
        case T_U16: case T_I16: return 2;
        case T_U32: case T_I32: case T_F32: return 4;
        case T_U64: case T_I64: case T_F64: return 8;
        default: return 0;
    }
}

GgufValue readScalar(Cursor& c, uint32_t t) {
    GgufValue v;
    switch (t) {
        case T_U8: v.i = c.read<uint8_t>(); break;
        case T_I8: v.i = c.read<int8_t>(); break;
        case T_U16: v.i = c.read<uint16_t>(); break;
        case T_I16: v.i = c.read<int16_t>(); break;
        case T_U32: v.i = c.read<uint32_t>(); break;
        case T_I32: v.i = c.read<int32_t>(); break;
        case T_U64: v.i = (int64_t)c.read<uint64_t>(); break;
        case T_I64: v.i = c.read<int64_t>(); break;
        case T_F32: v.kind = GgufValue::Float; v.f = c.read<float>(); break;
        case T_F64: v.kind = GgufValue::Float; v.f = c.read<double>(); break;
        case T_BOOL: v.kind = GgufValue::Bool; v.i = c.read<uint8_t>(); break;
        case T_STRING: v.kind = GgufValue::String; v.s = c.readString(); break;
        default:
            throw std::runtime_error("GGUF file " + c.path + " has a metadata value of unknown type " + std::to_string(t));
    }
    if (v.kind == GgufValue::Int) v.f = (double)v.i;
    return v;
}

}  // namespace

GgufFile::GgufFile(const std::string& path) : filePath(path) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) throw std::runtime_error("cannot open model " + path + ": " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 24) {
        ::close(fd);
        throw std::runtime_error("model " + path + " is empty or unreadable; expected a GGUF file");
    }
    mappingSize = (size_t)st.st_size;
    mapping = mmap(nullptr, mappingSize, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (mapping == MAP_FAILED) {
        mapping = nullptr;
        throw std::runtime_error("cannot map model " + path + " into memory: " + std::strerror(errno));
    }
    try {
        Cursor c{static_cast<const uint8_t*>(mapping), mappingSize, 0, filePath};
        if (std::memcmp(c.base, "GGUF", 4) != 0)
            throw std::runtime_error("model " + path + " is not a GGUF file (bad magic); convert it with llama.cpp's convert_hf_to_gguf.py");
        c.pos = 4;
        uint32_t version = c.read<uint32_t>();
        if (version < 2 || version > 3)
            throw std::runtime_error("model " + path + " is GGUF version " + std::to_string(version) + "; only versions 2 and 3 are supported");
        uint64_t nTensors = c.read<uint64_t>(), nKv = c.read<uint64_t>();
        for (uint64_t k = 0; k < nKv; k++) {
            std::string key = c.readString();
            uint32_t t = c.read<uint32_t>();
            if (t == T_ARRAY) {
                uint32_t et = c.read<uint32_t>();
                uint64_t n = c.read<uint64_t>();
                GgufValue v;
                v.kind = GgufValue::Array;
                v.arrayLength = n;
                if (et == T_STRING) {
                    for (uint64_t j = 0; j < n; j++) { uint64_t len = c.read<uint64_t>(); c.need(len); c.pos += len; }
                } else {
                    size_t es = scalarSize(et);
                    if (!es) throw std::runtime_error("GGUF file " + path + ": array " + key + " has unsupported element type " + std::to_string(et));
                    if (n > (c.size - c.pos) / es)
                        throw std::runtime_error("GGUF file " + path + ": array " + key + " claims " + std::to_string(n) +
                                                 " values, more than the file holds; re-download or re-convert it");
                    c.pos += es * n;
                }
                metadata[key] = v;
            } else {
                metadata[key] = readScalar(c, t);
            }
        }
        std::vector<std::pair<GgufTensor, uint64_t>> infos;
        for (uint64_t i = 0; i < nTensors; i++) {
            GgufTensor t;
            t.name = c.readString();
            uint32_t nd = c.read<uint32_t>();
            if (nd > 4) throw std::runtime_error("GGUF file " + path + ": tensor " + t.name + " has " + std::to_string(nd) + " dimensions (max 4)");
            // Each dimension and the element count must fit the file: a damaged shape would
            // otherwise overflow the byte count below and pass the bounds check.
            uint64_t elements = 1;
            for (uint32_t d = 0; d < nd; d++) {
                uint64_t e = c.read<uint64_t>();
                if (e > ((uint64_t)1 << 40) || (e && elements > ((uint64_t)1 << 50) / e))
                    throw std::runtime_error("GGUF file " + path + ": tensor " + t.name + " has an impossible shape (dimension " +
                                             std::to_string(d) + " = " + std::to_string(e) + "); re-download or re-convert it");
                elements *= e;
                t.ne.push_back((int64_t)e);
            }
            t.type = c.read<uint32_t>();
            uint64_t offset = c.read<uint64_t>();
            infos.emplace_back(t, offset);
        }
        // general.alignment divides the data section: 0 or a non-power of two is a damaged file
        // (llama.cpp refuses it too), never a division by zero here.
        const GgufValue* alignValue = find("general.alignment");
        int64_t alignment = alignValue ? alignValue->i : 32;
        if (alignValue && alignValue->kind != GgufValue::Int)
            throw std::runtime_error("GGUF file " + path + ": general.alignment is not an integer; re-convert it");
        if (alignment <= 0 || alignment > (1 << 20) || (alignment & (alignment - 1)) != 0)
            throw std::runtime_error("GGUF file " + path + ": general.alignment is " + std::to_string(alignment) +
                                     ", not a power of two; re-download or re-convert it");
        uint64_t align = (uint64_t)alignment;
        uint64_t dataStart = (c.pos + align - 1) / align * align;
        for (auto& [t, offset] : infos) {
            uint64_t bytes = tensorBytes(t.type, t.elements());  // 0 for types we cannot decode: checked on use
            if (offset % align != 0)
                throw std::runtime_error("GGUF file " + path + ": tensor " + t.name + " has data offset " + std::to_string(offset) +
                                         ", not a multiple of general.alignment " + std::to_string(align) + "; re-convert it");
            if (dataStart > mappingSize || offset > mappingSize - dataStart || bytes > mappingSize - dataStart - offset)
                throw std::runtime_error("GGUF file " + path + " is truncated: tensor " + t.name + " ends past the end of the file (" +
                                         std::to_string(mappingSize) + " bytes); re-download or re-convert it");
            t.data = c.base + dataStart + offset;
            if (!tensors.emplace(t.name, t).second)
                throw std::runtime_error("GGUF file " + path + ": tensor " + t.name + " appears twice in the tensor table; re-convert it");
        }
    } catch (...) {
        munmap(mapping, mappingSize);
        mapping = nullptr;
        throw;
    }
}

GgufFile::~GgufFile() {
    if (mapping) munmap(mapping, mappingSize);
}

const GgufValue* GgufFile::find(const std::string& key) const {
    auto it = metadata.find(key);
    return it == metadata.end() ? nullptr : &it->second;
}

std::string GgufFile::getString(const std::string& key) const {
    const GgufValue* v = find(key);
    if (!v || v->kind != GgufValue::String)
        throw std::runtime_error("model " + filePath + " lacks the string metadata key " + key);
    return v->s;
}

int64_t GgufFile::getInt(const std::string& key) const {
    const GgufValue* v = find(key);
    if (!v || (v->kind != GgufValue::Int && v->kind != GgufValue::Bool))
        throw std::runtime_error("model " + filePath + " lacks the integer metadata key " + key);
    return v->i;
}

int64_t GgufFile::getInt(const std::string& key, int64_t fallback) const {
    const GgufValue* v = find(key);
    return v && (v->kind == GgufValue::Int || v->kind == GgufValue::Bool) ? v->i : fallback;
}

double GgufFile::getFloat(const std::string& key, double fallback) const {
    const GgufValue* v = find(key);
    return v && (v->kind == GgufValue::Float || v->kind == GgufValue::Int) ? v->f : fallback;
}

const GgufTensor* GgufFile::tensor(const std::string& name) const {
    auto it = tensors.find(name);
    return it == tensors.end() ? nullptr : &it->second;
}

const GgufTensor& GgufFile::requireTensor(const std::string& name) const {
    const GgufTensor* t = tensor(name);
    if (!t) throw std::runtime_error("model " + filePath + " lacks tensor " + name + "; is it a complete llama/qwen2/qwen3 GGUF?");
    return *t;
}

}  // namespace ditto
