// The emulator's internal state (compat/*.cpp only): fibers, warps, and the per-OS-thread
// worker that runs one block at a time.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "EmuFiber.h"
#include "EmuRuntime.h"
#include "EmuWmma.h"

namespace ditto_emu {

constexpr size_t kStaticSmemLimit = 48 * 1024;
constexpr size_t kSmemOptinLimit = 227 * 1024;

enum class FiberState : uint8_t { Ready, AtBarrier, AtWarp, Exited };

struct CpAsyncCopy {
    void* dst;
    const void* src;
    unsigned group;
};

struct Fiber {
    FiberContext ctx;
    char* guard = nullptr;  // the PROT_NONE page below the stack
    char* stack = nullptr;
    uint3 tid{};
    unsigned lane = 0, warp = 0;
    FiberState state = FiberState::Ready;
    unsigned warpOps = 0, barriers = 0, cpGroup = 0;
    std::vector<CpAsyncCopy> copies;
    void* asanFakeStack = nullptr;
};

struct WarpStage {
    uint64_t v[32];
    float a[256], b[256];
    const char* op = "";
    unsigned arrived = 0;
};

struct Warp {
    unsigned lanes = 0, laneMask = 0;
    WarpStage stage[2];
};

struct SharedSlot {
    const void* site;
    size_t offset, bytes;
};

struct Worker {
    FiberContext sched;
    const void* schedStackBottom = nullptr;  // for AddressSanitizer's fiber switches
    size_t schedStackSize = 0;
    size_t stackBytes = 0;
    std::vector<Fiber*> fibers;  // by linear thread index; reused across blocks
    std::vector<Fiber*> order;
    std::deque<Fiber*> ready;
    std::vector<Warp> warps;
    const LaunchSpec* spec = nullptr;
    std::string name;
    unsigned nThreads = 0, atBarrier = 0, exited = 0;
    int barrierCount[2] = {0, 0};
    uint64_t rng = 0;
    unsigned char* dynamic = nullptr;     // this block's dynamic shared memory
    unsigned char* dynamicEnd = nullptr;  // a guard page follows
    size_t dynamicCapacity = 0;
    unsigned char* staticArena = nullptr;
    size_t staticUsed = 0;
    std::vector<SharedSlot> slots;
};

extern thread_local Worker* tlsWorker;
extern thread_local Fiber* tlsFiber;

std::string kernelName(const char* text);
void runBlock(Worker& w, uint64_t linearBlock, uint64_t launchNumber, uint64_t seed);
int maxDynamicSmem(const void* kernel);
void setLastError(cudaError_t e);

}  // namespace ditto_emu
