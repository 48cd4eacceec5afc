// Fiber contexts for the emulator's scheduler: a hand-written switch on x86-64 (callee-saved
// registers and the stack pointer only, no system call; ucontext's swapcontext saves the signal
// mask with a syscall at every switch), ucontext elsewhere or with -DDITTO_EMU_UCONTEXT.
// Internal to compat/*.cpp.
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) && !defined(DITTO_EMU_UCONTEXT)
extern "C" void ditto_emu_switch(void** save, void* to);

namespace ditto_emu {
struct FiberContext {
    void* sp = nullptr;
};
inline void switchContext(FiberContext& from, FiberContext& to) { ditto_emu_switch(&from.sp, to.sp); }
// The new context "returns" into entry with the stack aligned as after a call; entry must
// never return.
inline void initContext(FiberContext& c, char* stackLo, size_t bytes, void (*entry)()) {
    uint64_t* sp = reinterpret_cast<uint64_t*>(reinterpret_cast<uintptr_t>(stackLo + bytes) & ~uintptr_t(15));
    *--sp = 0;  // entry's return address
    *--sp = reinterpret_cast<uint64_t>(entry);
    for (int i = 0; i < 6; i++) *--sp = 0;  // rbp rbx r12 r13 r14 r15
    c.sp = sp;
}
}  // namespace ditto_emu
#else
#include <ucontext.h>

namespace ditto_emu {
struct FiberContext {
    ucontext_t uc;
};
inline void switchContext(FiberContext& from, FiberContext& to) { swapcontext(&from.uc, &to.uc); }
inline void initContext(FiberContext& c, char* stackLo, size_t bytes, void (*entry)()) {
    getcontext(&c.uc);
    c.uc.uc_stack.ss_sp = stackLo;
    c.uc.uc_stack.ss_size = bytes;
    c.uc.uc_link = nullptr;
    makecontext(&c.uc, entry, 0);
}
}  // namespace ditto_emu
#endif
