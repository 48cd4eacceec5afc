// A fixed pool of worker threads with one blocking parallelFor. The engine's work is a sequence of
// data-parallel steps (a matrix product, a norm over rows, attention over heads), so a simple
// fork-join with dynamic task claiming is all it needs; the caller's thread works too.
#pragma once
#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ditto {

class ThreadPool {
public:
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return nThreads; }

    // fn(task, worker) for task in [0, nTasks); worker in [0, size()). Blocks until all finish.
    // Nested calls (from inside a task) run serially on the calling thread, so kernels may call
    // parallelFor without knowing whether they are already inside one.
    // A task that throws stops the claiming of further tasks; once every worker has left the job,
    // the first exception is rethrown here, and the pool is ready for the next call.
    void parallelFor(int nTasks, const std::function<void(int task, int worker)>& fn);

private:
    void workerLoop(int worker);
    void runTasks(int worker);

    int nThreads;
    std::vector<std::thread> workers;
    std::mutex mutex;
    std::condition_variable wake, done;
    const std::function<void(int, int)>* job = nullptr;
    int jobTasks = 0;
    std::atomic<int> nextTask{0};
    // written under the mutex; read without it only to spin briefly before blocking
    std::atomic<int> busyWorkers{0};
    std::atomic<unsigned long> generation{0};
    std::atomic<bool> stopping{false};
    std::exception_ptr failure;  // the first task exception of the current job, under the mutex
};

// The pool the current thread is running a task for, or nullptr: lets nested calls go serial.
bool insideParallelRegion();

}  // namespace ditto
