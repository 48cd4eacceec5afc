#include "ThreadPool.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
static inline void cpuRelax() { _mm_pause(); }
#else
static inline void cpuRelax() {}
#endif

namespace ditto {

// Parallel sections follow each other within microseconds; a thread that goes to sleep between
// them waits for the scheduler to wake it (long on a busy machine), so spin a little first.
static constexpr int spinIterations = 4000;

static thread_local bool tlsInside = false;
// Which worker slot the current task owns, so nested serial loops keep using its scratch buffers.
static thread_local int tlsWorker = 0;

bool insideParallelRegion() { return tlsInside; }

ThreadPool::ThreadPool(int threads) : nThreads(threads < 1 ? 1 : threads) {
    for (int w = 1; w < nThreads; w++) workers.emplace_back([this, w] { workerLoop(w); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex);
        stopping = true;
    }
    wake.notify_all();
    for (auto& t : workers) t.join();
}

void ThreadPool::runTasks(int worker) {
    bool wasInside = tlsInside;
    tlsInside = true;
    tlsWorker = worker;
    for (;;) {
        int task = nextTask.fetch_add(1, std::memory_order_relaxed);
        if (task >= jobTasks) break;
        (*job)(task, worker);
    }
    tlsInside = wasInside;
}

void ThreadPool::workerLoop(int worker) {
    unsigned long seen = 0;
    for (;;) {
        for (int i = 0; i < spinIterations && generation.load(std::memory_order_acquire) == seen && !stopping.load(); i++) cpuRelax();
        {
            std::unique_lock<std::mutex> lock(mutex);
            wake.wait(lock, [&] { return stopping || generation != seen; });
            if (stopping) return;
            seen = generation;
        }
        runTasks(worker);
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (--busyWorkers == 0) done.notify_one();
        }
    }
}

void ThreadPool::parallelFor(int nTasks, const std::function<void(int, int)>& fn) {
    if (nTasks <= 0) return;
    if (nThreads == 1 || nTasks == 1 || tlsInside) {
        bool wasInside = tlsInside;
        tlsInside = true;
        int worker = wasInside ? tlsWorker : 0;
        for (int t = 0; t < nTasks; t++) fn(t, worker);
        tlsInside = wasInside;
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex);
        job = &fn;
        jobTasks = nTasks;
        nextTask.store(0);
        busyWorkers = nThreads - 1;
        generation++;
    }
    wake.notify_all();
    runTasks(0);
    for (int i = 0; i < spinIterations && busyWorkers.load(std::memory_order_acquire) != 0; i++) cpuRelax();
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return busyWorkers == 0; });
    job = nullptr;
}

}  // namespace ditto
