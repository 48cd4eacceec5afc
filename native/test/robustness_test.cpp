// Failure paths the training engine must survive (run by test/engine/robustness.test.ts):
//   threadpool  an exception inside a task reaches the caller of parallelFor, every worker
//               is joined, and the pool runs the next job (no std::terminate)
//   oom MODEL   with the address space capped, a batch too big for memory fails with an error
//               naming the size and the fix, and the same engine then trains a small batch
// Prints "ok <name>" per passed check; exits non-zero on the first failure.
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "../include/ditto_engine.h"
#include "../src/ThreadPool.h"

static int fail(const std::string& what) {
    std::fprintf(stderr, "FAIL %s\n", what.c_str());
    return 1;
}

static int threadPool() {
    ditto::ThreadPool pool(4);
    for (int round = 0; round < 3; round++) {
        std::atomic<int> ran{0};
        try {
            pool.parallelFor(1000, [&](int task, int) {
                ran++;
                if (task == 137) throw std::runtime_error("task 137 failed");
            });
            return fail("parallelFor returned normally although a task threw");
        } catch (const std::runtime_error& e) {
            if (std::string(e.what()) != "task 137 failed") return fail(std::string("wrong exception: ") + e.what());
        }
        // nested (serial) calls propagate too
        try {
            pool.parallelFor(4, [&](int, int) { pool.parallelFor(3, [&](int t, int) { if (t == 2) throw std::runtime_error("nested"); }); });
            return fail("nested exception was lost");
        } catch (const std::runtime_error& e) {
            if (std::string(e.what()) != "nested") return fail(std::string("wrong nested exception: ") + e.what());
        }
        std::atomic<int> count{0};
        pool.parallelFor(1000, [&](int, int) { count++; });
        if (count != 1000) return fail("the pool lost tasks after an exception: " + std::to_string(count.load()));
    }
    std::puts("ok threadpool");
    return 0;
}

static int outOfMemory(const char* model) {
    char err[1024];
    ditto_open_options o;
    std::memset(&o, 0, sizeof o);
    o.model_path = model;
    o.rank = 4;
    o.alpha = 8;
    o.targets = 0x7f;
    o.threads = 2;
    o.seed = 1;
    o.activation_budget_mb = 64;
    ditto_engine* e = ditto_engine_open(&o, err, sizeof err);
    if (!e) return fail(std::string("open: ") + err);
    ditto_model_info info;
    ditto_engine_info(e, &info);
    auto batch = [&](int rows, int seq, double* loss, int64_t* n) {
        std::vector<int32_t> tok((size_t)rows * seq), tgt(tok.size()), seg(tok.size());
        for (size_t i = 0; i < tok.size(); i++) {
            tok[i] = (int32_t)((i * 7919) % (size_t)info.n_vocab);
            seg[i] = (int32_t)(i / seq);
        }
        for (size_t i = 0; i < tok.size(); i++) tgt[i] = (i + 1) % seq ? tok[i + 1] : -1;
        return ditto_engine_accumulate(e, rows, seq, tok.data(), tgt.data(), seg.data(), loss, n, err, sizeof err);
    };
    double loss;
    int64_t n;
    if (batch(1, 32, &loss, &n) != 0) return fail(std::string("small batch before the cap: ") + err);
    struct rlimit old;
    getrlimit(RLIMIT_AS, &old);
    struct rlimit cap = old;
    cap.rlim_cur = 1ull << 30;  // 1 GB of address space: the batch below needs ~2 GB
    if (setrlimit(RLIMIT_AS, &cap) != 0) return fail("setrlimit");
    int rc = batch(64, 4096, &loss, &n);
    setrlimit(RLIMIT_AS, &old);
    if (rc == 0) return fail("a ~2 GB batch under a 1 GB address-space cap did not fail");
    std::string message = err;
    if (message.find("out of memory") == std::string::npos || message.find(" GB") == std::string::npos ||
        message.find("--batch-size") == std::string::npos)
        return fail("the out-of-memory error does not name the size and the fix: " + message);
    std::printf("ok oom message: %s\n", err);
    if (batch(1, 32, &loss, &n) != 0) return fail(std::string("small batch after the failure: ") + err);
    if (!(loss > 0) || n != 31) return fail("small batch after the failure gave loss " + std::to_string(loss));
    ditto_adamw s = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 1.0f, (float)n};
    double norm;
    if (ditto_engine_optimizer_step(e, &s, &norm, err, sizeof err) != 0) return fail(std::string("optimizer step: ") + err);
    ditto_engine_close(e);
    std::puts("ok oom resumes");
    return 0;
}

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "threadpool") == 0) return threadPool();
    if (argc >= 3 && std::strcmp(argv[1], "oom") == 0) return outOfMemory(argv[2]);
    std::fprintf(stderr, "usage: robustness_test threadpool | oom MODEL.gguf\n");
    return 2;
}
