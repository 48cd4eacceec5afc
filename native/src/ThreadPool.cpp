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

// Restores the nesting flag however a task leaves (an exception included).
struct InsideScope {
    bool was;
    int worker;
    explicit InsideScope(int w) : was(tlsInside), worker(tlsWorker) { tlsInside = true; tlsWorker = w; }
    ~InsideScope() { tlsInside = was; tlsWorker = worker; }
};

void ThreadPool::runTasks(int worker) {
    InsideScope scope(worker);
    for (;;) {
        int task = nextTask.fetch_add(1, std::memory_order_relaxed);
        if (task >= jobTasks) break;
        try {
            (*job)(task, worker);
        } catch (...) {
            // An exception must not leave a worker thread (std::terminate): keep the first for
            // the caller and let the others find no task left.
            std::lock_guard<std::mutex> lock(mutex);
            if (!failure) failure = std::current_exception();
            nextTask.store(jobTasks, std::memory_order_relaxed);
        }
    }
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
        InsideScope scope(tlsInside ? tlsWorker : 0);
        for (int t = 0; t < nTasks; t++) fn(t, tlsWorker);
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
    if (failure) {
        std::exception_ptr e = failure;
        failure = nullptr;
        std::rethrow_exception(e);
    }
}

}  // namespace ditto
