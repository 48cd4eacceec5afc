// The emulator's scheduler: blocks of a grid on a small pool of OS threads, each CUDA thread of
// a block a fiber. A worker runs its block's fibers one at a time until each reaches a barrier
// (__syncthreads or a warp operation) or exits; released fibers resume in an order shuffled by
// a seeded generator, so code that needs a barrier it lacks reads the NaN fill or another
// fiber's stale value instead of passing by luck. Results do not depend on the OS threads: the
// order within a block comes from (seed, launch number, block index) alone.
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "EmuFiber.h"
#include "EmuScheduler.h"

thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
thread_local dim3 blockDim;
thread_local dim3 gridDim;

namespace ditto_emu {

thread_local Worker* tlsWorker = nullptr;
thread_local Fiber* tlsFiber = nullptr;

static void* mapOrDie(size_t bytes) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        std::fprintf(stderr, "ditto CUDA emulator: cannot map %zu bytes\n", bytes);
        std::abort();
    }
    return p;
}

static size_t pageSize() { return (size_t)sysconf(_SC_PAGESIZE); }

std::string kernelName(const char* text) {
    int depth = 0;
    const char* p = text;
    for (; *p; p++) {
        if (*p == '<' || *p == '(') depth++;
        else if (*p == '>' || *p == ')') depth--;
        else if (*p == ',' && depth <= 0) break;
    }
    return std::string(text, p);
}

void fail(const char* fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    Worker* w = tlsWorker;
    if (w && w->spec) {
        std::fprintf(stderr, "ditto CUDA emulator: kernel %s, block (%u,%u,%u)", w->name.c_str(), blockIdx.x, blockIdx.y,
                     blockIdx.z);
        if (tlsFiber) std::fprintf(stderr, ", thread (%u,%u,%u)", tlsFiber->tid.x, tlsFiber->tid.y, tlsFiber->tid.z);
        std::fprintf(stderr, ": %s\n", msg);
    } else {
        std::fprintf(stderr, "ditto CUDA emulator: %s\n", msg);
    }
    std::fflush(stderr);
    std::abort();
}

static uint64_t splitmix(uint64_t& s) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Appends the fibers to the ready queue in a random order.
static void pushShuffled(Worker& w, Fiber** fibers, unsigned n) {
    for (unsigned i = n; i > 1; i--) {
        unsigned j = (unsigned)(splitmix(w.rng) % i);
        Fiber* t = fibers[i - 1];
        fibers[i - 1] = fibers[j];
        fibers[j] = t;
    }
    for (unsigned i = 0; i < n; i++) {
        fibers[i]->state = FiberState::Ready;
        w.ready.push_back(fibers[i]);
    }
}

// AddressSanitizer is told about every stack switch, so an ASan build of the emulated kernels
// (which then checks their global-memory accesses) does not mistake fibers for stack corruption.
#if defined(__SANITIZE_ADDRESS__)
extern "C" void __sanitizer_start_switch_fiber(void** fakeStackSave, const void* bottom, size_t size);
extern "C" void __sanitizer_finish_switch_fiber(void* fakeStackSave, const void** bottomOld, size_t* sizeOld);
#else
static inline void __sanitizer_start_switch_fiber(void**, const void*, size_t) {}
static inline void __sanitizer_finish_switch_fiber(void*, const void**, size_t*) {}
#endif

// Under AddressSanitizer the shared memory a block did not ask for is poisoned, so a kernel
// indexing past its shared arrays is reported too.
#if defined(__SANITIZE_ADDRESS__)
extern "C" void __asan_poison_memory_region(void const volatile* addr, size_t size);
extern "C" void __asan_unpoison_memory_region(void const volatile* addr, size_t size);
#else
static inline void __asan_poison_memory_region(void const volatile*, size_t) {}
static inline void __asan_unpoison_memory_region(void const volatile*, size_t) {}
#endif

static void resumeFiber(Worker& w, Fiber* f) {
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, f->stack, w.stackBytes);
    switchContext(w.sched, f->ctx);
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
}

static void yieldToScheduler(Fiber* f, bool exiting = false) {
    Worker& w = *tlsWorker;
    __sanitizer_start_switch_fiber(exiting ? nullptr : &f->asanFakeStack, w.schedStackBottom, w.schedStackSize);
    switchContext(f->ctx, w.sched);
    __sanitizer_finish_switch_fiber(f->asanFakeStack, &w.schedStackBottom, &w.schedStackSize);
}

static void completeCopies(Fiber* f, unsigned belowGroup) {
    size_t kept = 0;
    for (CpAsyncCopy& c : f->copies) {
        if (c.group < belowGroup) std::memcpy(c.dst, c.src, 16);
        else f->copies[kept++] = c;
    }
    f->copies.resize(kept);
}

static void fiberEntry() {
    __sanitizer_finish_switch_fiber(nullptr, &tlsWorker->schedStackBottom, &tlsWorker->schedStackSize);
    tlsWorker->spec->body(tlsWorker->spec->ctx);
    Fiber* f = tlsFiber;
    completeCopies(f, ~0u);
    f->state = FiberState::Exited;
    tlsWorker->exited++;
    yieldToScheduler(f, true);
    __builtin_trap();
}

void syncthreads() {
    Fiber* f = tlsFiber;
    f->state = FiberState::AtBarrier;
    f->barriers++;
    tlsWorker->atBarrier++;
    yieldToScheduler(f);
}

int syncthreadsReduce(int pred, int kind) {
    Worker& w = *tlsWorker;
    unsigned slot = tlsFiber->barriers & 1u;
    w.barrierCount[slot] += pred != 0;
    syncthreads();
    int count = w.barrierCount[slot];
    return kind == 0 ? count : kind == 1 ? count == (int)w.nThreads : count > 0;
}

unsigned laneId() { return tlsFiber->lane; }
unsigned warpLaneMask() { return tlsWorker->warps[tlsFiber->warp].laneMask; }

// Stages alternate between consecutive warp operations: a lane that went ahead to the next
// operation writes the other stage while slower lanes still read this one.
static WarpStage& enterWarpOp(unsigned mask, const char* op) {
    Fiber* f = tlsFiber;
    Warp& warp = tlsWorker->warps[f->warp];
    if (mask != warp.laneMask)
        fail("%s with mask 0x%08x: only the mask of all the warp's lanes (0x%08x) is supported", op, mask, warp.laneMask);
    WarpStage& s = warp.stage[f->warpOps & 1u];
    f->warpOps++;
    if (s.arrived == 0) s.op = op;
    else if (s.op != op && std::strcmp(s.op, op) != 0)
        fail("lanes of warp %u reached different warp operations: %s and %s", f->warp, s.op, op);
    return s;
}

static void arriveWarpOp(WarpStage& s) {
    Fiber* f = tlsFiber;
    Worker& w = *tlsWorker;
    Warp& warp = w.warps[f->warp];
    f->state = FiberState::AtWarp;
    if (++s.arrived == warp.lanes) {
        s.arrived = 0;
        Fiber* lanes[32];
        for (unsigned l = 0; l < warp.lanes; l++) lanes[l] = w.fibers[f->warp * 32 + l];
        pushShuffled(w, lanes, warp.lanes);
    }
    yieldToScheduler(f);
}

const uint64_t* warpExchange(unsigned mask, uint64_t value, const char* op) {
    WarpStage& s = enterWarpOp(mask, op);
    s.v[tlsFiber->lane] = value;
    arriveWarpOp(s);
    return s.v;
}

void mmaExchange(const float* a8, const float* b8, const float** aTile, const float** bTile) {
    WarpStage& s = enterWarpOp(0xffffffffu, "mma_sync");
    unsigned lane = tlsFiber->lane;
    for (int i = 0; i < 8; i++) {
        s.a[wmmaElement(lane, i)] = a8[i];
        s.b[wmmaElement(lane, i)] = b8[i];
    }
    arriveWarpOp(s);
    *aTile = s.a;
    *bTile = s.b;
}

void wmmaCheck(const void* p, unsigned ldm, size_t elemBytes, const char* op) {
    if (reinterpret_cast<uintptr_t>(p) % 32 != 0) fail("%s: pointer %p is not 256-bit aligned", op, p);
    if ((ldm * elemBytes) % 16 != 0) fail("%s: ldm %u is not a multiple of 16 bytes", op, ldm);
}

static bool inShared(const Worker& w, const void* p, size_t bytes) {
    auto a = reinterpret_cast<const unsigned char*>(p);
    bool inDyn = a >= w.dynamic && a + bytes <= w.dynamic + w.spec->dynamicSmem;
    bool inStatic = a >= w.staticArena && a + bytes <= w.staticArena + w.staticUsed;
    return inDyn || inStatic;
}

void* sharedArray(const void* site, size_t bytes, size_t align) {
    Worker& w = *tlsWorker;
    for (const SharedSlot& s : w.slots) {
        if (s.site != site) continue;
        if (s.bytes != bytes) fail("one DITTO_SHARED declaration gave %zu and %zu bytes", s.bytes, bytes);
        return w.staticArena + s.offset;
    }
    size_t a = align < 16 ? 16 : align;
    size_t offset = (w.staticUsed + a - 1) / a * a;
    if (offset + bytes > kStaticSmemLimit)
        fail("static shared memory above 48 KiB (%zu bytes); nvcc rejects it: use DITTO_DYNAMIC_SHARED", offset + bytes);
    if (offset + bytes + w.spec->dynamicSmem > kSmemOptinLimit)
        fail("static (%zu) plus dynamic (%zu) shared memory above 227 KiB", offset + bytes, w.spec->dynamicSmem);
    __asan_unpoison_memory_region(w.staticArena + offset, bytes);
    std::memset(w.staticArena + offset, 0xff, bytes);
    w.slots.push_back({site, offset, bytes});
    w.staticUsed = offset + bytes;
    return w.staticArena + offset;
}

void* dynamicShared() { return tlsWorker->dynamic; }

void cpAsyncCopy16(void* dst, const void* src) {
    if (reinterpret_cast<uintptr_t>(dst) % 16 || reinterpret_cast<uintptr_t>(src) % 16)
        fail("cpAsync16(%p, %p): both addresses must be 16-byte aligned", dst, src);
    if (!inShared(*tlsWorker, dst, 16)) fail("cpAsync16: destination %p is not this block's shared memory", dst);
    tlsFiber->copies.push_back({dst, src, tlsFiber->cpGroup});
}
void cpAsyncCommitGroup() { tlsFiber->cpGroup++; }
void cpAsyncWaitGroup(int pending) {
    Fiber* f = tlsFiber;
    unsigned committed = f->cpGroup;
    completeCopies(f, committed > (unsigned)pending ? committed - (unsigned)pending : 0);
}

static void deadlock(Worker& w) {
    unsigned atWarp = 0;
    const Fiber* waiting = nullptr;
    for (unsigned i = 0; i < w.nThreads; i++)
        if (w.fibers[i]->state == FiberState::AtWarp) {
            atWarp++;
            if (!waiting) waiting = w.fibers[i];
        }
    tlsFiber = nullptr;
    if (atWarp) {
        const Warp& warp = w.warps[waiting->warp];
        fail("deadlock: %u threads wait in warp operations (warp %u: %s, %u of %u lanes arrived), %u at __syncthreads, "
             "%u exited", atWarp, waiting->warp, warp.stage[(waiting->warpOps - 1) & 1u].op,
             warp.stage[(waiting->warpOps - 1) & 1u].arrived, warp.lanes, w.atBarrier, w.exited);
    }
    fail("divergent __syncthreads: %u threads wait at it while %u exited", w.atBarrier, w.exited);
}

static Fiber* fiberAt(Worker& w, unsigned i) {
    while (w.fibers.size() <= i) {
        size_t page = pageSize();
        auto f = new Fiber();
        char* base = static_cast<char*>(mapOrDie(w.stackBytes + page));
        mprotect(base, page, PROT_NONE);  // a stack overflow faults here instead of corrupting a neighbour
        f->guard = base;
        f->stack = base + page;
        f->copies.reserve(16);
        w.fibers.push_back(f);
    }
    return w.fibers[i];
}

void runBlock(Worker& w, uint64_t linear, uint64_t launchNumber, uint64_t seed) {
    const LaunchSpec& spec = *w.spec;
    blockIdx = uint3{(unsigned)(linear % spec.grid.x), (unsigned)(linear / spec.grid.x % spec.grid.y),
                     (unsigned)(linear / ((uint64_t)spec.grid.x * spec.grid.y))};
    blockDim = spec.block;
    gridDim = spec.grid;
    unsigned n = spec.block.x * spec.block.y * spec.block.z;
    w.nThreads = n;
    size_t dynBytes = (spec.dynamicSmem + 127) / 128 * 128;
    w.dynamic = w.dynamicEnd - dynBytes;  // ends at a guard page: an overrun faults
    __asan_poison_memory_region(w.dynamicEnd - w.dynamicCapacity, w.dynamicCapacity);
    __asan_poison_memory_region(w.staticArena, kStaticSmemLimit);
    __asan_unpoison_memory_region(w.dynamic, spec.dynamicSmem);
    std::memset(w.dynamic, 0xff, spec.dynamicSmem);
    w.staticUsed = 0;
    w.slots.clear();
    unsigned nWarps = (n + 31) / 32;
    w.warps.resize(nWarps);
    for (unsigned i = 0; i < nWarps; i++) {
        Warp& warp = w.warps[i];
        warp.lanes = n - i * 32 < 32 ? n - i * 32 : 32;
        warp.laneMask = warp.lanes == 32 ? 0xffffffffu : (1u << warp.lanes) - 1u;
        warp.stage[0].arrived = warp.stage[1].arrived = 0;
    }
    std::vector<Fiber*>& order = w.order;
    order.resize(n);
    for (unsigned i = 0; i < n; i++) {
        Fiber* f = fiberAt(w, i);
        f->tid = uint3{i % spec.block.x, i / spec.block.x % spec.block.y, i / (spec.block.x * spec.block.y)};
        f->lane = i % 32;
        f->warp = i / 32;
        f->warpOps = f->barriers = f->cpGroup = 0;
        f->copies.clear();
        initContext(f->ctx, f->stack, w.stackBytes, fiberEntry);
        order[i] = f;
    }
    w.rng = seed ^ (launchNumber * 0xd1b54a32d192ed03ull) ^ (linear * 0x8cb92ba72f3d8dd7ull);
    w.atBarrier = w.exited = 0;
    w.barrierCount[0] = w.barrierCount[1] = 0;
    w.ready.clear();
    pushShuffled(w, order.data(), n);
    for (;;) {
        while (!w.ready.empty()) {
            Fiber* f = w.ready.front();
            w.ready.pop_front();
            tlsFiber = f;
            threadIdx = f->tid;
            resumeFiber(w, f);
        }
        tlsFiber = nullptr;
        if (w.exited == n) return;
        if (w.atBarrier != n) deadlock(w);
        w.atBarrier = 0;
        w.barrierCount[order[0]->barriers & 1u] = 0;  // the next barrier's slot
        pushShuffled(w, order.data(), n);
    }
}

}  // namespace ditto_emu
