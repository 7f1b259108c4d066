/* void x86_64_resume_user_frame(const TrapFrame* f): iretq into ring 3 with
 * every general register from f (a copy of a syscall frame, traps.h layout).
 * rflags: the user's, with IF forced on and IOPL cleared. */
#include "layout.h" /* same folder */

    .text
    .global x86_64_resume_user_frame
x86_64_resume_user_frame:
    cli
    pushq $SEL_UDATA
    pushq 160(%rdi)          /* rsp */
    movq 152(%rdi), %rax     /* rflags */
    andq $~0x3000, %rax
    orq $0x202, %rax
    pushq %rax
    pushq $SEL_UCODE64
    pushq 136(%rdi)          /* rip */
    movq 0(%rdi), %r15
    movq 8(%rdi), %r14
    movq 16(%rdi), %r13
    movq 24(%rdi), %r12
    movq 32(%rdi), %r11
    movq 40(%rdi), %r10
    movq 48(%rdi), %r9
    movq 56(%rdi), %r8
    movq 64(%rdi), %rbp
    movq 80(%rdi), %rsi
    movq 88(%rdi), %rdx
    movq 96(%rdi), %rcx
    movq 104(%rdi), %rbx
    movq 112(%rdi), %rax
    movq 72(%rdi), %rdi
    swapgs
    iretq
