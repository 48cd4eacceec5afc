// nvcuda::wmma for the host emulation: bf16 16x16x16 with fp32 accumulate (the only shape the
// engine uses). Each lane holds 8 of a tile's 256 elements, lane l element i being tile entry
// i * 32 + l (row-major index): code must not rely on which elements a lane holds (CUDA leaves
// it unspecified), and this mapping differs from any hardware one. Loads and stores are per
// lane; mma_sync is warp-collective: lanes deposit their a and b elements, wait for the warp,
// then each computes its own 8 accumulator elements in fp32. Loads and stores check the
// alignment CUDA requires (a 256-bit aligned pointer, ldm a multiple of 16 bytes).
#pragma once
#include <cstdint>
#include <type_traits>

#include "EmuDevice.h"

namespace ditto_emu {
// Returns the warp's full a and b tiles (256 floats each, row-major, a: M x K, b: K x N).
void mmaExchange(const float* a8, const float* b8, const float** aTile, const float** bTile);
void wmmaCheck(const void* p, unsigned ldm, size_t elemBytes, const char* op);
constexpr int wmmaElement(unsigned lane, int i) { return i * 32 + (int)lane; }
}  // namespace ditto_emu

namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <class T, int size>
struct __frag_base {
    T x[size];
    enum { num_elements = size, num_storage_elements = size };
    typedef T element_type;
    typedef T storage_element_type;
};

template <class Use, int m, int n, int k, class T, class Layout = void>
class fragment;
template <class Layout>
class fragment<matrix_a, 16, 16, 16, __nv_bfloat16, Layout> : public __frag_base<__nv_bfloat16, 8> {};
template <class Layout>
class fragment<matrix_b, 16, 16, 16, __nv_bfloat16, Layout> : public __frag_base<__nv_bfloat16, 8> {};
template <>
class fragment<accumulator, 16, 16, 16, float> : public __frag_base<float, 8> {};

template <class Use, class T, class Layout>
inline void fill_fragment(fragment<Use, 16, 16, 16, T, Layout>& f, const typename std::common_type<T>::type& v) {
    for (int i = 0; i < 8; i++) f.x[i] = v;
}

// matrix_a is M x K (rows r = m index), matrix_b is K x N (rows r = k index); both 16 x 16.
template <class Use, class Layout>
inline void load_matrix_sync(fragment<Use, 16, 16, 16, __nv_bfloat16, Layout>& f, const __nv_bfloat16* p, unsigned ldm) {
    static_assert(std::is_same<Layout, row_major>::value || std::is_same<Layout, col_major>::value, "layout");
    ditto_emu::wmmaCheck(p, ldm, sizeof(__nv_bfloat16), "load_matrix_sync");
    unsigned lane = ditto_emu::laneId();
    for (int i = 0; i < 8; i++) {
        int e = ditto_emu::wmmaElement(lane, i), r = e / 16, c = e % 16;
        f.x[i] = std::is_same<Layout, row_major>::value ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
    }
}
inline void load_matrix_sync(fragment<accumulator, 16, 16, 16, float>& f, const float* p, unsigned ldm, layout_t layout) {
    ditto_emu::wmmaCheck(p, ldm, sizeof(float), "load_matrix_sync");
    unsigned lane = ditto_emu::laneId();
    for (int i = 0; i < 8; i++) {
        int e = ditto_emu::wmmaElement(lane, i), r = e / 16, c = e % 16;
        f.x[i] = layout == mem_row_major ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
    }
}
inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 16, float>& f, unsigned ldm, layout_t layout) {
    ditto_emu::wmmaCheck(p, ldm, sizeof(float), "store_matrix_sync");
    unsigned lane = ditto_emu::laneId();
    for (int i = 0; i < 8; i++) {
        int e = ditto_emu::wmmaElement(lane, i), r = e / 16, c = e % 16;
        (layout == mem_row_major ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r]) = f.x[i];
    }
}

template <class LA, class LB>
inline void mma_sync(fragment<accumulator, 16, 16, 16, float>& d, const fragment<matrix_a, 16, 16, 16, __nv_bfloat16, LA>& a,
                     const fragment<matrix_b, 16, 16, 16, __nv_bfloat16, LB>& b,
                     const fragment<accumulator, 16, 16, 16, float>& c, bool satf = false) {
    float a8[8], b8[8];
    for (int i = 0; i < 8; i++) {
        a8[i] = __bfloat162float(a.x[i]);
        b8[i] = __bfloat162float(b.x[i]);
    }
    const float *A, *B;
    ditto_emu::mmaExchange(a8, b8, &A, &B);
    unsigned lane = ditto_emu::laneId();
    for (int i = 0; i < 8; i++) {
        int e = ditto_emu::wmmaElement(lane, i), r = e / 16, col = e % 16;
        float s = c.x[i];
        for (int kk = 0; kk < 16; kk++) s += A[r * 16 + kk] * B[kk * 16 + col];
        d.x[i] = satf ? __saturatef(s) : s;
    }
}
}  // namespace wmma
}  // namespace nvcuda
