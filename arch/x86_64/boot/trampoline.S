/* AP start-up trampoline. smpboot.cpp copies the bytes between
 * ap_trampoline_start and ap_trampoline_end to TRAMPOLINE_PHYS (below 1 MiB),
 * fills in ap_trampoline_cr3 / ap_trampoline_entry, and sends INIT-SIPI-SIPI.
 * Each AP starts in real mode at CS:IP = (TRAMPOLINE_PHYS >> 4):0 and walks
 * real -> protected -> long mode, then jumps to ap_entry64 in the kernel.
 *
 * All APs may run this at the same time: it writes no memory and uses no
 * stack until ap_entry64 hands each AP its own one. */
#include "../layout.h"

/* Address of a trampoline label once copied (all offsets are assemble-time). */
#define TADDR(x) (TRAMPOLINE_PHYS + (x) - ap_trampoline_start)

    .section .rodata.trampoline, "a"
    .code16
    .global ap_trampoline_start
ap_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl (ap_tramp_gdtr - ap_trampoline_start) /* DS-relative in real mode */
    movl %cr0, %eax
    orl $1, %eax /* PE */
    movl %eax, %cr0
    ljmpl $0x08, $TADDR(ap_tramp32)

    .code32
ap_tramp32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $(1 << 5), %eax /* PAE */
    movl %eax, %cr4
    movl TADDR(ap_trampoline_cr3), %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx /* EFER.LME */
    rdmsr
    orl $(1 << 8), %eax
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16)), %eax /* PG, WP */
    movl %eax, %cr0
    ljmp $0x18, $TADDR(ap_tramp64)

    .code64
ap_tramp64:
    movq TADDR(ap_trampoline_entry), %rax /* absolute: low addresses fit a disp32 */
    jmp *%rax

    .balign 8
ap_tramp_gdt:
    .quad 0
    .quad 0x00cf9b000000ffff /* 0x08: 32-bit code, accessed (so the CPU never writes it) */
    .quad 0x00cf93000000ffff /* 0x10: data */
    .quad 0x00af9b000000ffff /* 0x18: 64-bit code */
ap_tramp_gdt_end:
ap_tramp_gdtr:
    .word ap_tramp_gdt_end - ap_tramp_gdt - 1
    .long TADDR(ap_tramp_gdt)

    .balign 8
    .global ap_trampoline_cr3
ap_trampoline_cr3:
    .quad 0
    .global ap_trampoline_entry
ap_trampoline_entry:
    .quad 0
    .global ap_trampoline_end
ap_trampoline_end:

/* First kernel code an AP runs, on the trampoline's page tables. It takes a
 * ticket to pick one of the stacks the boot CPU prepared (APs arrive in any
 * order), then calls x86_64_ap_main(ticket). */
    .text
    .global ap_entry64
ap_entry64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorl %eax, %eax
    movw %ax, %fs
    movw %ax, %gs
    movl $1, %eax
    lock xaddl %eax, ap_boot_ticket(%rip)
    movq ap_stack_tops(, %rax, 8), %rsp
    xorl %ebp, %ebp
    movl %eax, %edi
    call x86_64_ap_main
1:  cli
    hlt
    jmp 1b
