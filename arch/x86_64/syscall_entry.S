/* Entry from user mode by SYSCALL, and the first drop to user mode.
 *
 * SYSCALL leaves RIP in RCX, RFLAGS in R11, masks RFLAGS with SFMASK (IF, TF,
 * DF, AC cleared) and switches neither stack nor GS. So: swapgs to reach the
 * per-CPU block, park the user RSP there, take the thread's kernel stack from
 * it (both slots in arch::CpuBlockHeader), and build the same TrapFrame that
 * isr.S builds (vector -1 marks a system call), so the C side and a later
 * return by iretq see one layout. The return goes by SYSRET: RCX and R11 are
 * reloaded from the frame's RIP and RFLAGS (Linux's ABI: they are clobbered).
 * x86_64_syscall_dispatch never lets RIP be non-canonical here: SYSRET would
 * fault in ring 0 on the user's stack (Intel). When signal delivery or
 * rt_sigreturn rewrote the frame, the return goes by IRETQ instead.
 *
 * Offsets in the per-CPU block: checked by static_asserts in usermode.cpp. */
#include "layout.h" /* same folder */
#include "trap_frame.inc" /* same folder */

#define PERCPU_ENTRY_SP 16
#define PERCPU_USER_RSP 24

    .text
    .global x86_64_syscall_entry
x86_64_syscall_entry:
    swapgs
    movq %rsp, %gs:PERCPU_USER_RSP
    movq %gs:PERCPU_ENTRY_SP, %rsp
    pushq $SEL_UDATA         /* ss */
    pushq %gs:PERCPU_USER_RSP /* rsp */
    pushq %r11               /* rflags */
    pushq $SEL_UCODE64       /* cs */
    pushq %rcx               /* rip */
    pushq $0                 /* error code */
    pushq $-1                /* vector: a system call */
    PUSH_GPRS
    /* On our own stack with the kernel's GS: interrupts may come in now. */
    sti
    movq %rsp, %rdi
    call x86_64_syscall_dispatch
    cli
    /* Non-zero: the frame was rewritten (a signal handler's entry, or
     * rt_sigreturn's saved context), and SYSRET would clobber RCX and R11
     * with RIP and RFLAGS: return by IRETQ with every register instead. */
    testq %rax, %rax
    jnz 1f
    POP_GPRS
    addq $16, %rsp       /* vector and error code */
    movq 0(%rsp), %rcx   /* rip */
    movq 16(%rsp), %r11  /* rflags */
    movq 24(%rsp), %rsp  /* the user's stack: NMIs and #MC use IST stacks */
    swapgs
    sysretq
1:  movq %rsp, %rdi
    jmp x86_64_resume_user_frame

/* void arch::enter_user(uintptr_t entry, uintptr_t sp): iretq into ring 3
 * with every general register zero, a clean x87/SSE state, IF set. */
    .global x86_64_enter_user
x86_64_enter_user:
    cli
    pushq $SEL_UDATA
    pushq %rsi
    pushq $0x202         /* IF, and the always-one bit 1 */
    pushq $SEL_UCODE64
    pushq %rdi
    fninit
    pushq $0x1f80        /* MXCSR power-on default: all exceptions masked */
    ldmxcsr (%rsp)
    addq $8, %rsp
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    pxor %xmm0, %xmm0
    swapgs
    iretq
