// Kernel launches in the emulator: CUDA's launch checks (an invalid configuration is reported by
// cudaGetLastError, as on a GPU), then the grid's blocks on a pool of OS threads. Launches run
// one at a time and return when the grid is done.
//   DITTO_EMU_THREADS   OS threads running blocks, the launching one included (default 2)
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

// The launching thread runs blocks too, so a one-block launch wakes nobody; helper threads
// (DITTO_EMU_THREADS - 1) join in for larger grids. Blocks are taken under the mutex together
// with the job they belong to, so a helper that wakes late never runs a block of a newer launch
// with an older one's kernel.
class Pool {
public:
    Pool() {
        threads_ = envUnsigned("DITTO_EMU_THREADS", 2, 1, 256);
        stackBytes_ = (size_t)envUnsigned("DITTO_EMU_STACK_KB", 64, 16, 65536) * 1024;
        seed_ = envUnsigned("DITTO_EMU_SEED", 1, 0, 0xffffffffu);
        for (unsigned i = 1; i < threads_; i++) std::thread([this] { helperLoop(); }).detach();
    }

    void run(const LaunchSpec& spec) {
        Worker& w = localWorker();
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_ = &spec;
            name_ = kernelName(spec.text);
            total_ = (uint64_t)spec.grid.x * spec.grid.y * spec.grid.z;
            next_ = done_ = 0;
            launchNumber_++;
            if (total_ > 1) wake_.notify_all();
        }
        work(w);
        std::unique_lock<std::mutex> lock(mutex_);
        finished_.wait(lock, [this] { return done_ == total_; });
        job_ = nullptr;
    }

private:
    Worker& localWorker() {
        thread_local Worker* w = nullptr;
        if (!w) w = newWorker();
        return *w;
    }

    Worker* newWorker() {
        auto* w = new Worker();  // one per OS thread, kept for the thread's life
        w->stackBytes = stackBytes_;
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t dynBytes = (kSmemOptinLimit + page - 1) / page * page;
        auto* region = static_cast<unsigned char*>(
            mmap(nullptr, dynBytes + page + kStaticSmemLimit, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (region == MAP_FAILED) std::abort();
        mprotect(region + dynBytes, page, PROT_NONE);
        w->dynamicEnd = region + dynBytes;
        w->dynamicCapacity = dynBytes;
        w->staticArena = region + dynBytes + page;
        // Room for the signal handler when a fiber's stack overflows (unless the thread has one).
        stack_t old{};
        if (sigaltstack(nullptr, &old) == 0 && (old.ss_flags & SS_DISABLE)) {
            stack_t alt{};
            alt.ss_size = 64 * 1024;
            alt.ss_sp = std::malloc(alt.ss_size);
            sigaltstack(&alt, nullptr);
        }
        return w;
    }

    // Runs blocks of the current job until none is left.
    void work(Worker& w) {
        std::unique_lock<std::mutex> lock(mutex_);
        while (job_ && next_ < total_) {
            uint64_t b = next_++;
            w.spec = job_;
            if (w.name != name_) w.name = name_;
            uint64_t launch = launchNumber_;
            lock.unlock();
            tlsWorker = &w;
            runBlock(w, b, launch, seed_);
            tlsWorker = nullptr;
            w.spec = nullptr;
            lock.lock();
            if (++done_ == total_) finished_.notify_all();
        }
    }

    void helperLoop() {
        Worker& w = localWorker();
        uint64_t seen = 0;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return launchNumber_ != seen; });
                seen = launchNumber_;
            }
            work(w);
        }
    }

    unsigned threads_;
    size_t stackBytes_;
    uint64_t seed_;
    std::mutex mutex_;
    std::condition_variable wake_, finished_;
    const LaunchSpec* job_ = nullptr;
    std::string name_;
    uint64_t total_ = 0, next_ = 0, done_ = 0, launchNumber_ = 0;
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
    if (tlsFiber) fail("launches from device code (dynamic parallelism) are not supported");
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
