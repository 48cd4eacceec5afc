// The x86-64 fiber switch of EmuFiber.h: pushes the callee-saved registers, swaps stacks, pops.
// The SSE/x87 control words are not saved: every fiber of a worker runs with the same ones.
#if defined(__x86_64__) && !defined(DITTO_EMU_UCONTEXT)
asm(R"(
    .text
    .globl ditto_emu_switch
    .hidden ditto_emu_switch
    .type ditto_emu_switch, @function
    .p2align 4
ditto_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size ditto_emu_switch, .-ditto_emu_switch
    .section .note.GNU-stack,"",@progbits
    .text
)");
#endif
