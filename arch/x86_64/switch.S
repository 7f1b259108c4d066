/* Kernel thread switch (arch/context.h). The System V ABI makes rbx, rbp and
 * r12-r15 callee-saved; everything else is already saved by the caller of
 * arch_context_switch, and the interrupt flag is off on both sides.
 *
 * Saved stack, from the saved stack pointer up:
 *     r15 r14 r13 r12 rbx rbp <return address>
 * A new thread's stack (context.cpp) has the same shape with the return
 * address pointing at arch_thread_trampoline, start in r12 and arg in r13. */

    .text
    .global arch_context_switch
    .type arch_context_switch, @function
arch_context_switch:           /* (uintptr_t* save_sp, uintptr_t load_sp) */
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
    .size arch_context_switch, . - arch_context_switch

    .global arch_thread_trampoline
    .type arch_thread_trampoline, @function
arch_thread_trampoline:
    movq %r13, %rdi
    xorl %ebp, %ebp            /* a zero frame pointer ends backtraces here */
    andq $-16, %rsp            /* the ABI's alignment at the call */
    call *%r12
    ud2                        /* start never returns */
    .size arch_thread_trampoline, . - arch_thread_trampoline
