// std::vector whose storage starts on a cache line. The float products load and store rows of C
// (and of A or B read in place) as whole 64-byte zmm vectors; a malloc'ed block starts 16 bytes
// past a line, so every such access straddled two lines, which cost the weight products 10-15%
// (native/test/weight_gemm_bench.cpp, AVX-512F on Zen 5). Row strides that are multiples of 16
// floats keep every row aligned.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace ditto {

namespace detail {
template <typename T> struct CacheLineAllocator {
    using value_type = T;
    CacheLineAllocator() = default;
    template <typename U> CacheLineAllocator(const CacheLineAllocator<U>&) {}
    T* allocate(size_t n) {
        if (n > (size_t)-1 / sizeof(T) - 64) throw std::bad_alloc();
        void* p = std::aligned_alloc(64, (n * sizeof(T) + 63) / 64 * 64);
        if (!p) throw std::bad_alloc();
        return static_cast<T*>(p);
    }
    void deallocate(T* p, size_t) { std::free(p); }
    template <typename U> bool operator==(const CacheLineAllocator<U>&) const { return true; }
    template <typename U> bool operator!=(const CacheLineAllocator<U>&) const { return false; }
};
}  // namespace detail

template <typename T> using AlignedVector = std::vector<T, detail::CacheLineAllocator<T>>;

}  // namespace ditto
