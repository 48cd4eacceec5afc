// Kernel launches in the emulator: CUDA's launch checks (an invalid configuration is reported by
// cudaGetLastError, as on a GPU), then the grid's blocks on a pool of OS threads. Launches run
// one at a time and return when the grid is done.
//   DITTO_EMU_THREADS   OS threads running blocks (default 2)
//   DITTO_EMU_STACK_KB  stack of each CUDA thread's fiber (default 64)
//   DITTO_EMU_SEED      seed of the fibers' order at barriers (default 1)
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "EmuScheduler.h"

long long clock64() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace ditto_emu {
namespace {

unsigned envUnsigned(const char* name, unsigned fallback, unsigned lo, unsigned hi) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    char* end = nullptr;
    unsigned long x = std::strtoul(v, &end, 10);
    if (*end || x < lo || x > hi) {
        std::fprintf(stderr, "ditto CUDA emulator: %s=%s is not a number in [%u, %u]; using %u\n", name, v, lo, hi, fallback);
        return fallback;
    }
    return (unsigned)x;
}

struct sigaction previousSegv;

// A fault in a fiber's guard page is a CUDA thread's stack overflow: say so, then abort. Other
// faults go to the handler that was there before (V8's, in Node).
void onSegv(int sig, siginfo_t* info, void* uctx) {
    Worker* w = tlsWorker;
    char* addr = static_cast<char*>(info->si_addr);
    if (w) {
        for (Fiber* f : w->fibers) {
            if (addr >= f->guard && addr < f->stack) {
                static const char head[] = "ditto CUDA emulator: kernel ";
                static const char tail[] = ": a CUDA thread overflowed its fiber stack (raise DITTO_EMU_STACK_KB, default 64)\n";
                ssize_t ignored = write(2, head, sizeof head - 1);
                ignored = write(2, w->name.data(), w->name.size());
                ignored = write(2, tail, sizeof tail - 1);
                (void)ignored;
                std::abort();
            }
        }
    }
    if (previousSegv.sa_flags & SA_SIGINFO) {
        previousSegv.sa_sigaction(sig, info, uctx);
    } else if (previousSegv.sa_handler == SIG_DFL || previousSegv.sa_handler == SIG_IGN) {
        signal(sig, SIG_DFL);  // the faulting instruction runs again and takes the default action
    } else {
        previousSegv.sa_handler(sig);
    }
}

class Pool {
public:
    Pool() {
        threads_ = envUnsigned("DITTO_EMU_THREADS", 2, 1, 256);
        stackBytes_ = (size_t)envUnsigned("DITTO_EMU_STACK_KB", 64, 16, 65536) * 1024;
        seed_ = envUnsigned("DITTO_EMU_SEED", 1, 0, 0xffffffffu);
        for (unsigned i = 0; i < threads_; i++) std::thread([this] { workerLoop(); }).detach();
    }

    void run(const LaunchSpec& spec) {
        std::unique_lock<std::mutex> lock(mutex_);
        job_ = &spec;
        name_ = kernelName(spec.text);
        total_ = (uint64_t)spec.grid.x * spec.grid.y * spec.grid.z;
        next_ = 0;
        busy_ = threads_;
        launchNumber_++;
        generation_++;
        wake_.notify_all();
        done_.wait(lock, [this] { return busy_ == 0; });
        job_ = nullptr;
    }

private:
    void workerLoop() {
        Worker w;
        w.stackBytes = stackBytes_;
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t dynBytes = (kSmemOptinLimit + page - 1) / page * page;
        auto* region = static_cast<unsigned char*>(
            mmap(nullptr, dynBytes + page + kStaticSmemLimit, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (region == MAP_FAILED) std::abort();
        mprotect(region + dynBytes, page, PROT_NONE);
        w.dynamicEnd = region + dynBytes;
        w.staticArena = region + dynBytes + page;
        // Room for the signal handler when a fiber's stack overflows.
        stack_t alt{};
        alt.ss_size = 64 * 1024;
        alt.ss_sp = std::malloc(alt.ss_size);
        sigaltstack(&alt, nullptr);
        tlsWorker = &w;
        uint64_t seen = 0;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return generation_ != seen; });
                seen = generation_;
                w.spec = job_;
                w.name = name_;
            }
            for (uint64_t b; (b = next_.fetch_add(1)) < total_;) runBlock(w, b, launchNumber_, seed_);
            std::lock_guard<std::mutex> lock(mutex_);
            if (--busy_ == 0) done_.notify_all();
        }
    }

    unsigned threads_;
    size_t stackBytes_;
    uint64_t seed_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const LaunchSpec* job_ = nullptr;
    std::string name_;
    uint64_t total_ = 0, generation_ = 0, launchNumber_ = 0;
    unsigned busy_ = 0;
    std::atomic<uint64_t> next_{0};
};

std::mutex launchMutex;
Pool* pool = nullptr;  // never destroyed: its threads outlive static destructors

void installSegvHandler() {
    struct sigaction sa {};
    sa.sa_sigaction = onSegv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previousSegv);
    // A forked child has none of the pool's threads: it starts a pool of its own.
    pthread_atfork(nullptr, nullptr, [] { pool = nullptr; });
}

}  // namespace

void launch(const LaunchSpec& spec) {
    const dim3 g = spec.grid, b = spec.block;
    uint64_t threads = (uint64_t)b.x * b.y * b.z;
    if (threads == 0 || threads > 1024 || b.x > 1024 || b.y > 1024 || b.z > 64 || g.x == 0 || g.y == 0 || g.z == 0 ||
        g.x > 0x7fffffffu || g.y > 65535 || g.z > 65535) {
        setLastError(cudaErrorInvalidConfiguration);
        return;
    }
    if (spec.dynamicSmem > (size_t)maxDynamicSmem(spec.kernel)) {
        setLastError(cudaErrorInvalidValue);
        return;
    }
    std::lock_guard<std::mutex> lock(launchMutex);
    static std::once_flag once;
    std::call_once(once, installSegvHandler);
    if (!pool) pool = new Pool();
    pool->run(spec);
}

}  // namespace ditto_emu
