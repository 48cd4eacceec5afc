// Matrix products on the GPU. Row-major, the meaning of native/src/Gemm.h:
//   C[M x N] = alpha * op(A)[M x K] * op(B)[K x N] + beta * C + bias[column]
// op(A) is A[M x K] (lda >= K) or, transA, A stored [K x M] (lda >= M); likewise B. A and B bf16,
// C float or bf16, fp32 accumulation; beta == 0 never reads C; bias (fp32, one per column of C,
// optional) is added after alpha and beta, as cuBLASLt's bias epilogue does. With bf16 C,
// cuBLASLt adds the bias rounded to bf16 (its documented bias type is the output's), the own
// kernel adds it in fp32.
//
// Two backends behind one GemmEngine:
// - cuBLASLt (CublasLt.h, loaded at run time): the row-major product is the column-major
//   C^T = op(B)^T op(A)^T, so B is cuBLASLt's "A" and A its "B". Descriptors, layouts and the
//   heuristic's algorithm are cached per shape (every parameter and the pointers' alignment).
// - the own kernel ("wmma"): tensor cores through nvcuda::wmma (bf16 16x16x16, fp32 accumulate),
//   block tiles 128x128x32 (8 warps) or 64x64x32 (4 warps, when 128-tiles would leave SMs idle),
//   operands staged in shared memory by a 3-stage cp.async pipeline where 16-byte aligned.
// A GemmEngine is used from one host thread; calls on different streams must be ordered, as
// they share the cuBLASLt workspace.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "../compat/Cuda.h"
#include "CublasLt.h"

namespace ditto::cuda {

namespace gemm_detail {

constexpr int BK = 32;   // k extent of a block tile: two WMMA k-steps
constexpr int PAD = 8;   // bf16 elements appended to each shared row: spreads rows over banks, keeps 16-byte rows
constexpr int SLD = 36;  // float row stride of a warp's 16x32 epilogue staging tile

__device__ inline float loadC(const float* p) { return *p; }
__device__ inline float loadC(const bf16* p) { return toFloat(*p); }
__device__ inline void storeC(float* p, float v) { *p = v; }
__device__ inline void storeC(bf16* p, float v) { *p = toBf16(v); }

struct alignas(128) SmemUnit { uint32_t w[32]; };  // WMMA needs 256-bit aligned tile pointers

// Copies the tile rows [r0, r0+ROWS) x cols [c0, c0+COLS) of a row-major matrix (row stride ld,
// rowLimit x colLimit valid) into shared memory (row stride dstLd), zeros outside the matrix.
// 8-element (16-byte) chunks go through cp.async when the matrix allows it (vec) and the chunk
// is inside; the rest element by element.
template <int ROWS, int COLS, int THREADS>
__device__ inline void loadTile(bf16* dst, int dstLd, const bf16* src, int ld, int rowLimit, int colLimit, int r0,
                                int c0, bool vec, int tid) {
    constexpr int CHUNKS_PER_ROW = COLS / 8;
    constexpr int CHUNKS = ROWS * CHUNKS_PER_ROW;
    static_assert(CHUNKS % THREADS == 0, "tile chunks must split evenly over the block");
#pragma unroll
    for (int it = 0; it < CHUNKS / THREADS; it++) {
        int c = tid + it * THREADS;
        int r = c / CHUNKS_PER_ROW, cc = (c % CHUNKS_PER_ROW) * 8;
        int gr = r0 + r, gc = c0 + cc;
        bf16* d = dst + r * dstLd + cc;
        if (vec && gr < rowLimit && gc + 8 <= colLimit) {
            cpAsync16(d, src + (int64_t)gr * ld + gc);
        } else {
#pragma unroll
            for (int e = 0; e < 8; e++)
                d[e] = (gr < rowLimit && gc + e < colLimit) ? src[(int64_t)gr * ld + gc + e] : toBf16(0.0f);
        }
    }
}

// Shared-memory geometry of one block tile (host and device agree on the size through it).
// Per stage and operand:
//   op(A): [BM][BK+PAD] (row-major fragments) or, transA, [BK][BM+PAD] (col-major fragments);
//   op(B): [BK][BN+PAD] (row-major) or, transB, [BN][BK+PAD] (col-major);
// so a transposed operand is read along its contiguous storage dimension and never transposed
// in memory: the fragment layout absorbs it. The epilogue reuses the space.
template <int BM, int BN, int WM, int WN, bool TA, bool TB>
struct Tile {
    static constexpr int STAGES = 3;  // two tiles in flight while one is multiplied
    static constexpr int WARPS_N = BN / WN, WARPS = (BM / WM) * WARPS_N, THREADS = WARPS * 32;
    static constexpr int A_LD = TA ? BM + PAD : BK + PAD;
    static constexpr int B_LD = TB ? BK + PAD : BN + PAD;
    static constexpr int A_ELEMS = TA ? BK * A_LD : BM * A_LD;
    static constexpr int B_ELEMS = TB ? BN * B_LD : BK * B_LD;
    static constexpr int STAGE_ELEMS = A_ELEMS + B_ELEMS;
    static constexpr int MAIN_BYTES = STAGES * STAGE_ELEMS * 2;
    static constexpr int EPI_BYTES = WARPS * 16 * SLD * 4;
    static constexpr int SMEM_BYTES = MAIN_BYTES > EPI_BYTES ? MAIN_BYTES : EPI_BYTES;
    static_assert(A_ELEMS % 16 == 0 && STAGE_ELEMS % 16 == 0, "fragment pointers must stay 32-byte aligned");
};

// One block computes a BM x BN tile of C; warp w owns the WM x WN sub-tile at
// ((w / (BN/WN)) * WM, (w % (BN/WN)) * WN). Dynamic shared memory: Tile::SMEM_BYTES.
template <int BM, int BN, int WM, int WN, bool TA, bool TB, typename Tout>
__global__ void __launch_bounds__((BM / WM) * (BN / WN) * 32, BM >= 128 ? 1 : 4)
wmmaGemmKernel(int M, int N, int K, float alpha, const bf16* __restrict__ A, int lda, const bf16* __restrict__ B,
               int ldb, float beta, Tout* __restrict__ C, int ldc, const float* __restrict__ bias, bool vecA, bool vecB) {
    using namespace nvcuda;
    using T = Tile<BM, BN, WM, WN, TA, TB>;
    constexpr int WARPS_N = T::WARPS_N, THREADS = T::THREADS, STAGES = T::STAGES;
    constexpr int A_LD = T::A_LD, B_LD = T::B_LD, A_ELEMS = T::A_ELEMS, STAGE_ELEMS = T::STAGE_ELEMS;
    constexpr int FM = WM / 16, FN = WN / 16;
    static_assert(WN == 32, "the epilogue maps a warp's 32 lanes to its 32 columns");
    DITTO_DYNAMIC_SHARED(SmemUnit, smemRaw);
    bf16* smem = reinterpret_cast<bf16*>(smemRaw);

    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int wm = (warp / WARPS_N) * WM, wn = (warp % WARPS_N) * WN;

    using LayoutA = typename std::conditional<TA, wmma::col_major, wmma::row_major>::type;
    using LayoutB = typename std::conditional<TB, wmma::col_major, wmma::row_major>::type;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[FM][FN];
#pragma unroll
    for (int i = 0; i < FM; i++)
#pragma unroll
        for (int j = 0; j < FN; j++) wmma::fill_fragment(acc[i][j], 0.0f);

    auto loadStage = [&](int stage, int k0) {
        bf16* sA = smem + stage * STAGE_ELEMS;
        bf16* sB = sA + A_ELEMS;
        if (TA) loadTile<BK, BM, THREADS>(sA, A_LD, A, lda, K, M, k0, m0, vecA, tid);
        else loadTile<BM, BK, THREADS>(sA, A_LD, A, lda, M, K, m0, k0, vecA, tid);
        if (TB) loadTile<BN, BK, THREADS>(sB, B_LD, B, ldb, N, K, n0, k0, vecB, tid);
        else loadTile<BK, BN, THREADS>(sB, B_LD, B, ldb, K, N, k0, n0, vecB, tid);
    };

    // Multi-stage cp.async pipeline, one barrier per k-tile: at iteration kt the tile kt has
    // landed (all but the STAGES-2 newest groups are complete) and, past the barrier, every warp
    // is done with the stage of tile kt-1, which is refilled with tile kt+STAGES-1. A group is
    // committed every iteration, empty or not, so the wait count stays exact.
    const int nk = (K + BK - 1) / BK;
#pragma unroll
    for (int s = 0; s < STAGES - 1; s++) {
        if (s < nk) loadStage(s, s * BK);
        cpAsyncCommit();
    }
    for (int kt = 0; kt < nk; kt++) {
        cpAsyncWait<STAGES - 2>();
        __syncthreads();
        int next = kt + STAGES - 1;
        if (next < nk) loadStage(next % STAGES, next * BK);
        cpAsyncCommit();
        const bf16* sA = smem + (kt % STAGES) * STAGE_ELEMS;
        const bf16* sB = sA + A_ELEMS;
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, LayoutA> fa[FM];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, LayoutB> fb[FN];
#pragma unroll
            for (int i = 0; i < FM; i++)
                wmma::load_matrix_sync(fa[i], TA ? sA + kk * A_LD + wm + i * 16 : sA + (wm + i * 16) * A_LD + kk, A_LD);
#pragma unroll
            for (int j = 0; j < FN; j++)
                wmma::load_matrix_sync(fb[j], TB ? sB + (wn + j * 16) * B_LD + kk : sB + kk * B_LD + wn + j * 16, B_LD);
#pragma unroll
            for (int i = 0; i < FM; i++)
#pragma unroll
                for (int j = 0; j < FN; j++) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
    }
    cpAsyncWait<0>();  // only empty groups remain; no copy may land in the epilogue's space
    __syncthreads();   // every warp is done with the operands before the epilogue reuses them

    // Epilogue: each warp stages one 16 x 32 strip of its accumulators at a time in shared memory;
    // lane l then owns column wn + l, so each row of the strip is one coalesced store.
    float* stage = reinterpret_cast<float*>(smemRaw) + warp * 16 * SLD;
    const int gn = n0 + wn + lane;
    const float biasValue = (bias && gn < N) ? bias[gn] : 0.0f;
#pragma unroll
    for (int i = 0; i < FM; i++) {
#pragma unroll
        for (int j = 0; j < FN; j++) wmma::store_matrix_sync(stage + j * 16, acc[i][j], SLD, wmma::mem_row_major);
        __syncwarp();
        if (gn < N) {
            for (int r = 0; r < 16; r++) {
                int gm = m0 + wm + i * 16 + r;
                if (gm >= M) break;
                Tout* out = C + (int64_t)gm * ldc + gn;
                float v = alpha * stage[r * SLD + lane];
                if (beta != 0.0f) v += beta * loadC(out);
                storeC(out, v + biasValue);
            }
        }
        __syncwarp();
    }
}

// out[i] = bf16(bias[i]): cuBLASLt's bias epilogue reads the bias in the output's type.
template <typename Tin>  // a template, so that every file including this header may instantiate it
__global__ void biasToBf16(bf16* out, const Tin* bias, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) out[i] = toBf16(bias[i]);
}

template <int BM, int BN, int WM, int WN, bool TA, bool TB, typename Tout>
void launchWmmaT(dim3 grid, cudaStream_t stream, int M, int N, int K, float alpha, const bf16* A, int lda, const bf16* B,
                 int ldb, float beta, Tout* C, int ldc, const float* bias, bool vecA, bool vecB) {
    constexpr int bytes = Tile<BM, BN, WM, WN, TA, TB>::SMEM_BYTES;
    auto kernel = wmmaGemmKernel<BM, BN, WM, WN, TA, TB, Tout>;
    if (bytes > 48 * 1024) {  // above the default dynamic limit: opt in once per kernel
        static const cudaError_t optIn = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
        DITTO_CUDA_CHECK(optIn);
    }
    dittoLaunch(kernel, grid, dim3(Tile<BM, BN, WM, WN, TA, TB>::THREADS), bytes, stream, M, N, K, alpha, A, lda, B, ldb, beta,
                C, ldc, bias, vecA, vecB);
}

template <int BM, int BN, int WM, int WN, typename Tout>
void launchWmma(cudaStream_t stream, bool transA, bool transB, int M, int N, int K, float alpha, const bf16* A, int lda,
                const bf16* B, int ldb, float beta, Tout* C, int ldc, const float* bias) {
    if ((M + BM - 1) / BM > 65535) throw std::runtime_error("gemm: M=" + std::to_string(M) + " exceeds the grid's row-tile limit");
    dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM);
    bool vecA = reinterpret_cast<uintptr_t>(A) % 16 == 0 && lda % 8 == 0;
    bool vecB = reinterpret_cast<uintptr_t>(B) % 16 == 0 && ldb % 8 == 0;
    if (!transA && !transB) launchWmmaT<BM, BN, WM, WN, false, false>(grid, stream, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, vecA, vecB);
    else if (!transA) launchWmmaT<BM, BN, WM, WN, false, true>(grid, stream, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, vecA, vecB);
    else if (!transB) launchWmmaT<BM, BN, WM, WN, true, false>(grid, stream, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, vecA, vecB);
    else launchWmmaT<BM, BN, WM, WN, true, true>(grid, stream, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, vecA, vecB);
}

inline uint32_t pointerAlignment(const void* p) {  // largest power of two <= 256 dividing the address
    uintptr_t a = reinterpret_cast<uintptr_t>(p);
    uint32_t al = 256;
    while (al > 1 && a % al != 0) al /= 2;
    return al;
}

}  // namespace gemm_detail

class GemmEngine {
public:
    enum class Backend { Auto, Wmma, CublasLt };
    static constexpr size_t kWorkspaceBytes = 32u << 20;

    // Auto: the own kernel when DITTO_GEMM=wmma, else cuBLASLt when it loads, else the own kernel.
    // CublasLt: throws when the library is missing. A broken library throws in both.
    explicit GemmEngine(Backend choice = Backend::Auto) {
        const char* env = std::getenv("DITTO_GEMM");
        if (choice == Backend::Wmma || (choice == Backend::Auto && env && std::strcmp(env, "wmma") == 0)) {
            note = choice == Backend::Wmma ? "own kernel requested" : "DITTO_GEMM=wmma";
        } else {
            ltApi = lt::load(note);
            if (!ltApi && choice == Backend::CublasLt) throw std::runtime_error("cuBLASLt is not available: " + note);
        }
        if (ltApi) {
            lt::check(ltApi->create(&handle), "cublasLtCreate");
            cudaError_t e = cudaMalloc(&workspace, kWorkspaceBytes);
            if (e != cudaSuccess) {
                ltApi->destroy(handle);
                throw std::runtime_error(std::string("cudaMalloc of the 32 MiB cuBLASLt workspace failed: ") + cudaGetErrorString(e));
            }
            note = ltApi->source;
        }
        int device = 0;
        if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetAttribute(&smCount, cudaDevAttrMultiProcessorCount, device) != cudaSuccess)
            smCount = 132;
    }
    ~GemmEngine() {
        if (!ltApi) return;
        for (auto& kv : plans) destroyPlan(kv.second);
        cudaFree(biasBf16);
        cudaFree(workspace);
        ltApi->destroy(handle);
    }
    GemmEngine(const GemmEngine&) = delete;
    GemmEngine& operator=(const GemmEngine&) = delete;

    const char* backend() const { return ltApi ? "cublaslt" : "wmma"; }
    // What an Auto engine would use, without creating one (no handle, no workspace).
    static const char* autoBackend() {
        const char* env = std::getenv("DITTO_GEMM");
        std::string whyNot;
        return (env && std::strcmp(env, "wmma") == 0) || !lt::load(whyNot) ? "wmma" : "cublaslt";
    }
    // The library in use, or why cuBLASLt is not used.
    const std::string& backendNote() const { return note; }
    size_t cachedPlans() const { return plans.size(); }

    template <typename Tout>
    void run(cudaStream_t stream, bool transA, bool transB, int M, int N, int K, float alpha, const bf16* A, int lda,
             const bf16* B, int ldb, float beta, Tout* C, int ldc, const float* bias) {
        static_assert(std::is_same<Tout, float>::value || std::is_same<Tout, bf16>::value, "C is float or bf16");
        checkShape(transA, transB, M, N, K, lda, ldb, ldc);
        if (M == 0 || N == 0) return;
        if (ltApi && K > 0) {
            runCublasLt(stream, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
            return;
        }
        using namespace gemm_detail;
        int64_t bigTiles = (int64_t)((M + 127) / 128) * ((N + 127) / 128);
        if (bigTiles >= smCount)
            launchWmma<128, 128, 64, 32, Tout>(stream, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
        else
            launchWmma<64, 64, 32, 32, Tout>(stream, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
        cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) throw std::runtime_error(std::string("gemm kernel launch failed: ") + cudaGetErrorString(e));
    }

private:
    struct Plan {
        lt::MatmulDesc desc = nullptr;
        lt::Layout a = nullptr, b = nullptr, c = nullptr;
        lt::MatmulAlgo algo{};
        size_t workspaceBytes = 0;
    };
    struct Key {
        int64_t v[13];  // every parameter of makePlan, pointers by their alignment
        bool operator<(const Key& o) const { return std::memcmp(v, o.v, sizeof v) < 0; }
    };

    static void checkShape(bool transA, bool transB, int M, int N, int K, int lda, int ldb, int ldc) {
        if (M < 0 || N < 0 || K < 0 || lda < (transA ? M : K) || ldb < (transB ? K : N) || ldc < N || lda < 1 || ldb < 1 || ldc < 1)
            throw std::runtime_error("gemm: bad shape M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" +
                                     std::to_string(K) + " lda=" + std::to_string(lda) + " ldb=" + std::to_string(ldb) +
                                     " ldc=" + std::to_string(ldc));
    }

    template <typename Tout>
    void runCublasLt(cudaStream_t stream, bool transA, bool transB, int M, int N, int K, float alpha, const bf16* A, int lda,
                     const bf16* B, int ldb, float beta, Tout* C, int ldc, const float* bias) {
        using gemm_detail::pointerAlignment;
        const bool bf16Out = std::is_same<Tout, bf16>::value;
        const void* biasArg = bias;
        if (bias && bf16Out) {  // the epilogue reads the bias in C's type
            if (biasCapacity < (size_t)N) {
                cudaFree(biasBf16);
                biasBf16 = nullptr;
                biasCapacity = 0;
                DITTO_CUDA_CHECK(cudaMalloc(&biasBf16, (size_t)N * sizeof(bf16)));
                biasCapacity = N;
            }
            int blocks = (N + 255) / 256 < 1024 ? (N + 255) / 256 : 1024;
            dittoLaunch(gemm_detail::biasToBf16<float>, dim3(blocks), dim3(256), 0, stream, biasBf16, bias, N);
            DITTO_CUDA_CHECK(cudaGetLastError());
            biasArg = biasBf16;
        }
        const int32_t outType = bf16Out ? lt::R_16BF : lt::R_32F;
        Key key{{transA, transB, M, N, K, lda, ldb, ldc, outType, pointerAlignment(A), pointerAlignment(B),
                 pointerAlignment(C), biasArg ? pointerAlignment(biasArg) : 0}};
        auto it = plans.find(key);
        if (it == plans.end()) it = plans.emplace(key, makePlan(transA, transB, M, N, K, lda, ldb, ldc, outType, biasArg, A, B, C)).first;
        Plan& p = it->second;
        if (biasArg) lt::check(ltApi->matmulDescSetAttribute(p.desc, lt::DESC_BIAS_POINTER, &biasArg, sizeof biasArg), "cublasLtMatmulDescSetAttribute(BIAS_POINTER)");
        // Column-major view: D (N x M, ld ldc) = op(B)^T (N x K) * op(A)^T (K x M).
        lt::check(ltApi->matmul(handle, p.desc, &alpha, B, p.a, A, p.b, &beta, C, p.c, C, p.c, &p.algo, workspace,
                              p.workspaceBytes, stream), "cublasLtMatmul");
    }

    void destroyPlan(Plan& p, lt::Preference pref = nullptr) {
        if (pref) ltApi->preferenceDestroy(pref);
        if (p.desc) ltApi->matmulDescDestroy(p.desc);
        if (p.a) ltApi->matrixLayoutDestroy(p.a);
        if (p.b) ltApi->matrixLayoutDestroy(p.b);
        if (p.c) ltApi->matrixLayoutDestroy(p.c);
    }

    // Descriptors and the heuristic's first algorithm for one shape, output type, bias presence and
    // pointer alignment (the algorithm may rely on the alignment it was chosen for).
    Plan makePlan(bool transA, bool transB, int M, int N, int K, int lda, int ldb, int ldc, int32_t outType, const void* bias,
                  const void* A, const void* B, const void* C) {
        Plan p;
        lt::Preference pref = nullptr;
        int32_t opB = transB ? lt::OP_T : lt::OP_N, opA = transA ? lt::OP_T : lt::OP_N;
        int32_t scaleType = lt::R_32F, pointerMode = lt::POINTER_MODE_HOST;
        uint32_t epilogue = bias ? lt::EPILOGUE_BIAS : lt::EPILOGUE_DEFAULT;
        uint64_t maxWorkspace = kWorkspaceBytes;
        // cuBLASLt's "A" is our B and its "B" our A; C and D are the same matrix.
        uint32_t align[4] = {gemm_detail::pointerAlignment(B), gemm_detail::pointerAlignment(A),
                             gemm_detail::pointerAlignment(C), gemm_detail::pointerAlignment(C)};
        lt::HeuristicResult result{};
        int found = 0;
        auto step = [&](lt::Status st, const char* name) {
            if (st == lt::STATUS_SUCCESS) return;
            destroyPlan(p, pref);
            lt::check(st, name);
        };
        step(ltApi->matmulDescCreate(&p.desc, lt::COMPUTE_32F, lt::R_32F), "cublasLtMatmulDescCreate");
        step(ltApi->matmulDescSetAttribute(p.desc, lt::DESC_SCALE_TYPE, &scaleType, sizeof scaleType), "cublasLtMatmulDescSetAttribute(SCALE_TYPE)");
        step(ltApi->matmulDescSetAttribute(p.desc, lt::DESC_POINTER_MODE, &pointerMode, sizeof pointerMode), "cublasLtMatmulDescSetAttribute(POINTER_MODE)");
        step(ltApi->matmulDescSetAttribute(p.desc, lt::DESC_TRANSA, &opB, sizeof opB), "cublasLtMatmulDescSetAttribute(TRANSA)");
        step(ltApi->matmulDescSetAttribute(p.desc, lt::DESC_TRANSB, &opA, sizeof opA), "cublasLtMatmulDescSetAttribute(TRANSB)");
        step(ltApi->matmulDescSetAttribute(p.desc, lt::DESC_EPILOGUE, &epilogue, sizeof epilogue), "cublasLtMatmulDescSetAttribute(EPILOGUE)");
        // the heuristic reads the bias pointer for its alignment
        if (bias) step(ltApi->matmulDescSetAttribute(p.desc, lt::DESC_BIAS_POINTER, &bias, sizeof bias), "cublasLtMatmulDescSetAttribute(BIAS_POINTER)");
        // Row-major B [K x N] (ldb) is column-major N x K; transposed, B [N x K] is column-major K x N.
        step(ltApi->matrixLayoutCreate(&p.a, lt::R_16BF, transB ? K : N, transB ? N : K, ldb), "cublasLtMatrixLayoutCreate(B)");
        step(ltApi->matrixLayoutCreate(&p.b, lt::R_16BF, transA ? M : K, transA ? K : M, lda), "cublasLtMatrixLayoutCreate(A)");
        step(ltApi->matrixLayoutCreate(&p.c, outType, N, M, ldc), "cublasLtMatrixLayoutCreate(C)");
        step(ltApi->preferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
        step(ltApi->preferenceSetAttribute(pref, lt::PREF_MAX_WORKSPACE_BYTES, &maxWorkspace, sizeof maxWorkspace), "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)");
        for (int i = 0; i < 4; i++)
            step(ltApi->preferenceSetAttribute(pref, lt::PREF_MIN_ALIGNMENT_A_BYTES + i, &align[i], sizeof align[i]), "cublasLtMatmulPreferenceSetAttribute(MIN_ALIGNMENT)");
        lt::Status s = ltApi->algoGetHeuristic(handle, p.desc, p.a, p.b, p.c, p.c, pref, 1, &result, &found);
        step(s == lt::STATUS_SUCCESS && found < 1 ? lt::STATUS_NOT_SUPPORTED : s, "cublasLtMatmulAlgoGetHeuristic");
        ltApi->preferenceDestroy(pref);
        p.algo = result.algo;
        p.workspaceBytes = result.workspaceSize;
        return p;
    }

    const lt::Api* ltApi = nullptr;
    lt::Handle handle = nullptr;
    void* workspace = nullptr;
    bf16* biasBf16 = nullptr;  // the bias converted for bf16 outputs
    size_t biasCapacity = 0;
    int smCount = 132;
    std::string note;
    std::map<Key, Plan> plans;
};

// C = alpha * op(A) op(B) + beta * C (+ bias per column); see the top of this file.
template <typename Tout>
void gemm(GemmEngine& engine, cudaStream_t stream, bool transA, bool transB, int M, int N, int K, float alpha,
          const bf16* A, int lda, const bf16* B, int ldb, float beta, Tout* C, int ldc, const float* bias = nullptr) {
    engine.run<Tout>(stream, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
}

}  // namespace ditto::cuda
