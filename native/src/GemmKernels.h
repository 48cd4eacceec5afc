// Micro-kernels of the float products and their choice at run time.
// Operands are packed in slivers: A in MR-row slivers ([kc][MR], rows consecutive), B in NR-column
// slivers ([kc][NR]). Every kernel reads this one layout; the AVX-512 kernel takes two slivers of
// each at once (a 12 x 32 tile in 24 zmm accumulators), the AVX2 and portable kernels one (6 x 16).
#pragma once
#include <cstddef>

namespace ditto {

constexpr int MR = 6, NR = 16;
constexpr int MAX_TILE_ROWS = 2 * MR, MAX_TILE_COLS = 2 * NR;

enum class GemmIsa { Portable = 0, Avx2 = 1, Avx512 = 2 };

// C tile += (or, with overwrite, =) alpha * op(A)-rows * op(B)-columns over kc steps.
// a: packed when lda == 0 (sliver s at a + s * MR * kc), else row r at a + r * lda, consecutive
//    along p; `rows` (1..tile rows) of them are valid, rows beyond repeat the last valid one.
// b: row p of the first sliver at b + p * ldb, of the second at b + bNext + p * ldb; `cols` valid.
// The kernel writes the tile that kernelTile(isa, rows, cols) names, so the caller passes a
// scratch tile (ldc = that width) when rows or cols fall short of it.
using MicroKernel = void (*)(int kc, const float* a, int lda, int rows, const float* b, int ldb, int bNext, int cols, float* c, int ldc,
                             float alpha, bool overwrite);

void microKernelPortable(int kc, const float* a, int lda, int rows, const float* b, int ldb, int bNext, int cols, float* c, int ldc, float alpha,
                         bool overwrite);
void microKernelAvx2(int kc, const float* a, int lda, int rows, const float* b, int ldb, int bNext, int cols, float* c, int ldc, float alpha,
                     bool overwrite);
void microKernelAvx512(int kc, const float* a, int lda, int rows, const float* b, int ldb, int bNext, int cols, float* c, int ldc, float alpha,
                       bool overwrite);
// Packs one full A sliver, dst[p * MR + r] = src[r][p] for p < kc (AVX-512F; CPUs that have it).
void packSliverAvx512(const float* const* src, int kc, float* dst);

// Largest tile of an ISA (the step of the blocking loops).
inline int tileRows(GemmIsa isa) { return isa == GemmIsa::Avx512 ? 2 * MR : MR; }
inline int tileCols(GemmIsa isa) { return isa == GemmIsa::Avx512 ? 2 * NR : NR; }
// The tile a kernel computes for `rows` x `cols` valid values.
inline void kernelTile(GemmIsa isa, int rows, int cols, int& tr, int& tc) {
    tr = isa == GemmIsa::Avx512 && rows > MR ? 2 * MR : MR;
    tc = isa == GemmIsa::Avx512 && cols > NR ? 2 * NR : NR;
}
MicroKernel kernelOf(GemmIsa isa);

bool cpuHasIsa(GemmIsa isa);
const char* isaName(GemmIsa isa);  // "portable", "avx2", "avx512f"

// The ISA the products on this thread use: a self-test override on this thread, else the one
// chosen once per process: DITTO_GEMM_KERNEL (portable | avx2 | avx512f) when the CPU has it,
// else the widest the CPU has.
GemmIsa activeIsa();
GemmIsa processIsa();
// Self-test hook: force an ISA for the products this thread starts (their workers follow it)
// until clearThreadIsa.
void setThreadIsa(GemmIsa isa);
void clearThreadIsa();

// Cache blocks: a KC x tile-width sliver of B stays in L1, an MC x KC block of A in L2, a KC x NC
// panel of B in the L2/L3 share of a core. Derived from the cache sizes the CPU reports
// (sysconf, /sys/devices/system/cpu/cpu0/cache), or DITTO_GEMM_BLOCKS="kc,mc,nc".
struct GemmBlocking {
    int kc, mc, nc;
};
const GemmBlocking& gemmBlocking(GemmIsa isa);
// Self-test hook: blocks for the products this thread starts (nullptr: the CPU's), so small
// matrices take every blocking loop more than once.
void setThreadBlocking(const GemmBlocking* blocks);
const GemmBlocking& activeBlocking(GemmIsa isa);

struct CpuCaches {
    size_t l1d, l2, l3;
    int cores;
};
const CpuCaches& cpuCaches();

}  // namespace ditto
