// The emulator's refusals: code that deadlocks or misbehaves on a GPU (a __syncthreads that
// some threads skip, a warp operation with missing lanes, partial masks, misaligned WMMA or
// cp.async pointers, a fiber stack overflow) must abort with a message naming the kernel, not
// hang or pass. Each case runs in a forked child whose stderr is read back. Emulator only.
#if defined(DITTO_CUDA_EMU)
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "EmulatorTestUtil.h"

using namespace ditto::test;
using namespace ditto::test::emu;

namespace {

// Runs fn in a child process; returns its stderr, and whether it died of SIGABRT.
template <class F>
std::string childStderr(F fn, bool* aborted) {
    int fds[2];
    if (pipe(fds) != 0) return "pipe failed";
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        fn();
        cudaDeviceSynchronize();
        _exit(0);
    }
    close(fds[1]);
    std::string err;
    char buf[512];
    for (ssize_t k; (k = read(fds[0], buf, sizeof buf)) > 0;) err.append(buf, (size_t)k);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    *aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    return err;
}

template <class F>
void expectAbort(const char* what, const char* needle, F fn) {
    bool aborted = false;
    std::string err = childStderr(fn, &aborted);
    while (!err.empty() && err.back() == '\n') err.pop_back();
    std::printf("  %s: %s\n", what, err.c_str());
    if (!aborted) failCurrentTest((std::string(what) + ": the child did not abort").c_str());
    if (err.find(needle) == std::string::npos) failCurrentTest((std::string(what) + ": no '" + needle + "' in the message").c_str());
}

__global__ void earlyExitThenBarrier(float* out) {
    if (threadIdx.x < 16) return;
    __syncthreads();
    out[threadIdx.x] = 1.0f;
}

__global__ void shuffleWithExitedLane(float* out) {
    if (threadIdx.x == 5) return;
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (float)threadIdx.x, 1);
}

__global__ void barrierInsideWarpOp(float* out) {
    if (threadIdx.x % 32 == 0) __syncthreads();
    out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.0f, 1);
    if (threadIdx.x % 32 != 0) __syncthreads();
}

__global__ void halfMaskShuffle(float* out) {
    out[threadIdx.x] = __shfl_sync(0x0000ffffu, 1.0f, 0);
}

__global__ void misalignedWmma(float* out, const bf16* a) {
    nvcuda::wmma::fragment<nvcuda::wmma::matrix_a, 16, 16, 16, bf16, nvcuda::wmma::row_major> f;
    nvcuda::wmma::load_matrix_sync(f, a + 8, 16);
    out[threadIdx.x] = toFloat(f.x[0]);
}

__global__ void cpAsyncToGlobal(float* out, const float* in) {
    cpAsync16(out + threadIdx.x * 4, in + threadIdx.x * 4);
    cpAsyncWait<0>();
}

__global__ void bigStackFrame(float* out, int n) {
    volatile float local[32 * 1024];  // 128 KiB on a 64 KiB fiber stack
    for (int i = 0; i < n; i++) local[i] = (float)i;
    out[threadIdx.x] = local[n - 1];
}

}  // namespace

KERNEL_TEST(emulator_aborts_on_gpu_bugs) {
    Buffer<float> out(4096);
    Buffer<bf16> a(4096);
    float* o = out.p;
    const bf16* pa = a.p;
    expectAbort("threads exit before a barrier", "kernel earlyExitThenBarrier, block (0,0,0): divergent __syncthreads",
                [&] { dittoLaunch(earlyExitThenBarrier, dim3(1), dim3(64), 0, (cudaStream_t)0, o); });
    expectAbort("a lane exits before a shuffle", "deadlock: 31 threads wait in warp operations (warp 0: __shfl_xor_sync",
                [&] { dittoLaunch(shuffleWithExitedLane, dim3(1), dim3(64), 0, (cudaStream_t)0, o); });
    expectAbort("a barrier against a warp operation", "kernel barrierInsideWarpOp",
                [&] { dittoLaunch(barrierInsideWarpOp, dim3(1), dim3(64), 0, (cudaStream_t)0, o); });
    expectAbort("a half-warp mask", "only the mask of all the warp's lanes",
                [&] { dittoLaunch(halfMaskShuffle, dim3(1), dim3(32), 0, (cudaStream_t)0, o); });
    expectAbort("a misaligned WMMA load", "load_matrix_sync: pointer",
                [&] { dittoLaunch(misalignedWmma, dim3(1), dim3(32), 0, (cudaStream_t)0, o, pa); });
    expectAbort("cp.async into global memory", "is not this block's shared memory",
                [&] { dittoLaunch(cpAsyncToGlobal, dim3(1), dim3(4), 0, (cudaStream_t)0, o, (const float*)o + 64); });
    expectAbort("a fiber stack overflow", "overflowed its fiber stack",
                [&] { dittoLaunch(bigStackFrame, dim3(1), dim3(32), 0, (cudaStream_t)0, o, 32 * 1024); });
}
#endif
