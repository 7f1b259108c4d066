/* Interrupt and exception entry. One 16-byte stub per vector (isr_stubs +
 * 16 * vector) pushes a zero error code where the CPU pushes none, then the
 * vector, and joins isr_common, which saves the general registers into a
 * TrapFrame (traps.h) and calls x86_64_trap_dispatch(frame).
 *
 * From user mode (CS's RPL 3) the entry and exit swapgs, so GS base is the
 * kernel's per-CPU block while in the kernel; clac drops an AC flag the user
 * left set, so SMAP keeps guarding user pages in the handler. */
#include "../trap_frame.inc"

    .text
    .balign 16
    .global isr_stubs
isr_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    /* Vectors for which the CPU pushes an error code itself. */
    .if vec == 8 || vec == 10 || vec == 11 || vec == 12 || vec == 13 || vec == 14 || vec == 17 || vec == 21 || vec == 29 || vec == 30
    .else
    pushq $0
    .endif
    pushq $vec
    jmp isr_common
    .set vec, vec + 1
    .endr

isr_common:
    testb $3, 24(%rsp) /* the CS the CPU pushed, above vector and error code */
    jz 1f
    swapgs
    cmpb $0, x86_64_smap_on(%rip)
    je 1f
    clac
1:
    PUSH_GPRS
    cld /* the C++ ABI expects DF clear */
    movq %rsp, %rdi
    call x86_64_trap_dispatch
    cli /* a handler may have switched threads; no interrupt between swapgs and iretq */
    POP_GPRS
    addq $16, %rsp /* vector and error code */
    testb $3, 8(%rsp)
    jz 2f
    swapgs
2:
    iretq
