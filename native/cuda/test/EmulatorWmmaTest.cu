// WMMA products, atomics across blocks, bf16 rounding, cp.async, shared memory and launch
// checks, each against host values (see EmulatorTest.cu).
#include <cstring>
#include <random>
#include <vector>

#include "EmulatorTestUtil.h"

using namespace ditto::test;
using namespace ditto::test::emu;
namespace wmma = nvcuda::wmma;

namespace {

// Warp w: d_w = c_w + reps * a_w b_w, a_w (16 x 16, LA) at a + w*16*lda, b_w (LB) at
// b + w*16*ldb, c_w row-major at c + w*16*ldc; d_w stored column-major at d + w*256.
template <class LA, class LB>
__global__ void wmmaTiles(float* d, const bf16* a, const bf16* b, const float* c, int lda, int ldb, int ldc, int reps) {
    int w = threadIdx.x / 32;
    wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, LA> fa;
    wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, LB> fb;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
    wmma::load_matrix_sync(fa, a + w * 16 * lda, lda);
    wmma::load_matrix_sync(fb, b + w * 16 * ldb, ldb);
    wmma::load_matrix_sync(acc, c + w * 16 * ldc, ldc, wmma::mem_row_major);
    for (int r = 0; r < reps; r++) wmma::mma_sync(acc, fa, fb, acc);
    wmma::store_matrix_sync(d + w * 256, acc, 16, wmma::mem_col_major);
}

// Element (r, c) of a 16 x 16 tile stored with leading dimension ld.
size_t at(bool rowMajor, int r, int c, int ld) { return rowMajor ? (size_t)r * ld + c : (size_t)c * ld + r; }

template <class LA, class LB>
void checkWmma(const char* what, int reps, bool exact) {
    const int warps = 4, lda = 24, ldb = 40, ldc = 20;
    const bool aRow = std::is_same<LA, wmma::row_major>::value, bRow = std::is_same<LB, wmma::row_major>::value;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> uni(-2.0f, 2.0f);
    auto value = [&](int i) { return exact ? (float)((i * 29 + 3) % 41 - 20) / 8.0f : uni(rng); };
    std::vector<bf16> a(warps * 16 * lda), b(warps * 16 * ldb);
    std::vector<float> c(warps * 16 * ldc), want(warps * 256);
    for (size_t i = 0; i < a.size(); i++) a[i] = toBf16(value((int)i));
    for (size_t i = 0; i < b.size(); i++) b[i] = toBf16(value((int)i + 7));
    for (size_t i = 0; i < c.size(); i++) c[i] = value((int)i + 11);
    for (int w = 0; w < warps; w++)
        for (int r = 0; r < 16; r++)
            for (int col = 0; col < 16; col++) {
                double s = 0;
                for (int k = 0; k < 16; k++)
                    s += (double)toFloat(a[w * 16 * lda + at(aRow, r, k, lda)]) * toFloat(b[w * 16 * ldb + at(bRow, k, col, ldb)]);
                want[w * 256 + col * 16 + r] = (float)(c[w * 16 * ldc + r * ldc + col] + reps * s);
            }
    Buffer<bf16> dA(a), dB(b);
    Buffer<float> dC(c), dD(warps * 256);
    dittoLaunch(wmmaTiles<LA, LB>, dim3(1), dim3(warps * 32), 0, (cudaStream_t)0, dD.p, (const bf16*)dA.p, (const bf16*)dB.p,
                (const float*)dC.p, lda, ldb, ldc, reps);
    expectLaunched(what);
    // Exact inputs (multiples of 1/8, small) make every product and sum exact in fp32; random
    // ones differ from the double sum by fp32 rounding, measured 4.8e-7 of the values' scale.
    if (exact) expectClose(what, dD.get(), want, 0.0);
    else expectClose(what, dD.get(), want, 2e-6, 1.0);
}

__global__ void atomics(float* f, int* i, unsigned long long* u) {
    atomicAdd(&f[0], 1.0f);
    atomicAdd(&f[1 + blockIdx.x % 4], 0.5f);
    atomicAdd(&i[0], 1);
    atomicMax(&i[1], (int)(blockIdx.x * 1000 + threadIdx.x));
    atomicAdd(u, 3ull);
}

__global__ void bf16Convert(unsigned short* bits, float* back, const float* in, int n) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t < n) {
        bf16 h = toBf16(in[t]);
        bits[t] = __bfloat16_as_ushort(h);
        back[t] = toFloat(h);
    }
}

// 64 floats per block through cp.async into dynamic shared memory; before[t] is read before
// the wait (NaN in the emulator, which copies at the wait).
__global__ void cpAsyncCopy(float* out, float* before, const float* in) {
    DITTO_DYNAMIC_SHARED(float, tile);
    int t = threadIdx.x;  // 16 threads, 16 bytes each
    cpAsync16(tile + t * 4, in + blockIdx.x * 64 + t * 4);
    cpAsyncCommit();
    before[blockIdx.x * 16 + t] = tile[t * 4];
    cpAsyncWait<0>();
    __syncthreads();
    for (int k = 0; k < 4; k++) out[blockIdx.x * 64 + k * 16 + t] = tile[k * 16 + t];
}

// Shared memory before any write (NaN in the emulator), and a DITTO_SHARED declared in a loop,
// which is one array for all iterations as in CUDA.
__global__ void sharedBasics(float* unwritten, int* loopSum, int dynFloats) {
    DITTO_DYNAMIC_SHARED(float, dyn);
    int t = threadIdx.x;
    {
        DITTO_SHARED(float, fresh, 64);
        unwritten[t * 2] = fresh[t];
    }
    unwritten[t * 2 + 1] = dyn[(t * 97) % dynFloats];
    __syncthreads();
    for (int it = 0; it < 3; it++) {
        DITTO_SHARED(int, slot, 64);
        if (it == 0) slot[t] = 0;
        slot[t] += it + 1;
        if (it == 2) loopSum[t] = slot[t];
    }
}

__global__ void touchDynamic(float* out, int floats) {
    DITTO_DYNAMIC_SHARED(float, dyn);
    for (int i = threadIdx.x; i < floats; i += blockDim.x) dyn[i] = (float)i;
    __syncthreads();
    float s = 0;
    for (int i = threadIdx.x; i < floats; i += blockDim.x) s += dyn[floats - 1 - i];
    out[threadIdx.x] = s;
}

}  // namespace

KERNEL_TEST(emulator_wmma) {
    checkWmma<wmma::row_major, wmma::row_major>("a row, b row", 1, true);
    checkWmma<wmma::row_major, wmma::col_major>("a row, b col", 1, true);
    checkWmma<wmma::col_major, wmma::row_major>("a col, b row", 1, true);
    checkWmma<wmma::col_major, wmma::col_major>("a col, b col, twice", 2, true);
    checkWmma<wmma::row_major, wmma::col_major>("random, twice", 2, false);
}

KERNEL_TEST(emulator_atomics_across_blocks) {
    const int blocks = 64, threads = 256;
    Buffer<float> f(std::vector<float>(5, 0.0f));
    Buffer<int> i(std::vector<int>{0, -1});
    Buffer<unsigned long long> u(std::vector<unsigned long long>{0});
    dittoLaunch(atomics, dim3(blocks), dim3(threads), 0, (cudaStream_t)0, f.p, i.p, u.p);
    expectLaunched("atomics");
    float q = blocks / 4 * threads * 0.5f;
    expectClose("float atomicAdd", f.get(), {blocks * threads * 1.0f, q, q, q, q}, 0.0);
    std::vector<int> gi = i.get();
    unsigned long long gu = u.get()[0];
    std::printf("  int atomicAdd %d, atomicMax %d, u64 atomicAdd %llu\n", gi[0], gi[1], gu);
    if (gi[0] != blocks * threads || gi[1] != (blocks - 1) * 1000 + threads - 1 || gu != 3ull * blocks * threads)
        failCurrentTest("integer atomics");
}

KERNEL_TEST(emulator_bf16_rounding) {
    // float bits -> bf16 bits under round-to-nearest-even.
    const uint32_t cases[][2] = {
        {0x3f800000u, 0x3f80u}, {0x3f808000u, 0x3f80u},  // 1 + 2^-8: a tie, to the even 1.0
        {0x3f818000u, 0x3f82u}, {0x3f808001u, 0x3f81u},  // a tie to even upwards; just above a tie
        {0x3f807fffu, 0x3f80u}, {0xbf808000u, 0xbf80u},  // just below a tie; a negative tie
        {0x7f7fffffu, 0x7f80u}, {0x7f7f7fffu, 0x7f7fu},  // the largest float rounds to inf
        {0x7f800000u, 0x7f80u}, {0xff800000u, 0xff80u},  // infinities
        {0x00018000u, 0x0002u}, {0x00010001u, 0x0001u},  // subnormals
        {0x7fc00000u, 0x7fffu},                          // NaN
    };
    const int n = sizeof cases / sizeof cases[0];
    std::vector<float> in(n);
    for (int k = 0; k < n; k++) std::memcpy(&in[k], &cases[k][0], 4);
    Buffer<float> dIn(in), back(n);
    Buffer<unsigned short> bits(n);
    dittoLaunch(bf16Convert, dim3(1), dim3(32), 0, (cudaStream_t)0, bits.p, back.p, (const float*)dIn.p, n);
    expectLaunched("bf16Convert");
    std::vector<unsigned short> dev = bits.get();
    std::vector<float> devBack = back.get();
    int bad = 0;
    for (int k = 0; k < n; k++) {
        unsigned host = __bfloat16_as_ushort(toBf16(in[k]));
        bool isNan = cases[k][1] == 0x7fffu;
        bool ok = isNan ? std::isnan(toFloat(__ushort_as_bfloat16((unsigned short)host))) && std::isnan(devBack[k]) && host == 0x7fffu
                        : host == cases[k][1] && dev[k] == cases[k][1];
        uint32_t backBits;
        std::memcpy(&backBits, &devBack[k], 4);
        if (!isNan && backBits != cases[k][1] << 16) ok = false;
        if (!ok) std::printf("  0x%08x: host 0x%04x, device 0x%04x, want 0x%04x\n", cases[k][0], host, dev[k], cases[k][1]);
        bad += !ok;
    }
    std::printf("  %d of %d conversions wrong\n", bad, n);
    if (bad) failCurrentTest("bf16 rounding");
}

KERNEL_TEST(emulator_cp_async) {
    const int blocks = 3;
    std::vector<float> in = ramp(blocks * 64, 0.5f);
    Buffer<float> dIn(in), out(blocks * 64), before(blocks * 16);
    dittoLaunch(cpAsyncCopy, dim3(blocks), dim3(16), 64 * sizeof(float), (cudaStream_t)0, out.p, before.p, (const float*)dIn.p);
    expectLaunched("cpAsyncCopy");
    expectClose("copied tile", out.get(), in, 0.0);
#if defined(DITTO_CUDA_EMU)
    int early = 0;
    for (float x : before.get()) early += !std::isnan(x);
    std::printf("  reads before cpAsyncWait that saw the data: %d (want 0)\n", early);
    if (early) failCurrentTest("cp.async copied before the wait");
#endif
}

KERNEL_TEST(emulator_shared_memory) {
    const int threads = 64, dynFloats = 1000;
    Buffer<float> unwritten(threads * 2);
    Buffer<int> loopSum(threads);
    dittoLaunch(sharedBasics, dim3(2), dim3(threads), dynFloats * sizeof(float), (cudaStream_t)0, unwritten.p, loopSum.p, dynFloats);
    expectLaunched("sharedBasics");
    expectClose("DITTO_SHARED in a loop", [&] {
        std::vector<float> v;
        for (int x : loopSum.get()) v.push_back((float)x);
        return v;
    }(), std::vector<float>(threads, 6.0f), 0.0);
#if defined(DITTO_CUDA_EMU)
    int filled = 0;
    for (float x : unwritten.get()) filled += std::isnan(x);
    Buffer<float> fresh(16);
    for (float x : fresh.get()) filled += std::isnan(x);
    std::printf("  NaN reads of unwritten shared and fresh device memory: %d of %d\n", filled, threads * 2 + 16);
    if (filled != threads * 2 + 16) failCurrentTest("the NaN fill");
#endif
}

KERNEL_TEST(emulator_launch_checks) {
    Buffer<float> out(1024);
    dittoLaunch(touchDynamic, dim3(1), dim3(1025), 0, (cudaStream_t)0, out.p, 16);
    cudaError_t tooMany = cudaGetLastError(), after = cudaGetLastError();
    const int floats = 100 * 1024 / 4;
    dittoLaunch(touchDynamic, dim3(1), dim3(256), floats * sizeof(float), (cudaStream_t)0, out.p, floats);
    cudaError_t tooMuchSmem = cudaGetLastError();
    DITTO_CUDA_CHECK(cudaFuncSetAttribute(touchDynamic, cudaFuncAttributeMaxDynamicSharedMemorySize, floats * (int)sizeof(float)));
    dittoLaunch(touchDynamic, dim3(1), dim3(256), floats * sizeof(float), (cudaStream_t)0, out.p, floats);
    cudaError_t optedIn = cudaGetLastError();
    std::printf("  1025 threads: %s; then: %s; 100 KiB dynamic: %s; after opting in: %s\n", cudaGetErrorName(tooMany),
                cudaGetErrorName(after), cudaGetErrorName(tooMuchSmem), cudaGetErrorName(optedIn));
    if (tooMany != cudaErrorInvalidConfiguration || after != cudaSuccess || tooMuchSmem != cudaErrorInvalidValue || optedIn != cudaSuccess)
        failCurrentTest("launch errors");
    std::vector<float> want(256, 0.0f);
    for (int t = 0; t < 256; t++)
        for (int i = t; i < floats; i += 256) want[t] += (float)(floats - 1 - i);
    std::vector<float> got = out.get();
    got.resize(256);
    expectClose("100 KiB of dynamic shared memory", got, want, 0.0);
}
