/* Multiboot (v1) entry: QEMU -kernel or GRUB load the image at 1 MiB and jump
 * to _start32 in 32-bit protected mode, paging off, EAX = magic, EBX = info.
 * We switch to long mode on static boot page tables, then jump to the higher
 * half and call x86_64_boot_main(magic, info_phys).
 *
 * The image is linked at KERNEL_VMA + physical, so until paging is on every
 * address is written PHYS(symbol). */
#include "../layout.h"

#define PHYS(x) ((x) - KERNEL_VMA)

#define MB_MAGIC 0x1BADB002
/* bit 0: modules page aligned; bit 1: memory map wanted; bit 16: the address
 * fields below are valid (the "a.out kludge"). QEMU refuses to load an ELF64
 * image through its ELF path, but loads any format with the kludge. */
#define MB_FLAGS ((1 << 0) | (1 << 1) | (1 << 16))

    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long PHYS(multiboot_header) /* header_addr */
    .long PHYS(__image_start)    /* load_addr: the file is loaded from here ... */
    .long PHYS(__data_end)       /* load_end_addr: ... to here */
    .long PHYS(__bss_end)        /* bss_end_addr: zeroed up to here */
    .long PHYS(_start32)         /* entry_addr */

    .section .boot.text, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    movl %eax, %edi /* magic and info survive the mode switch in EDI/ESI */
    movl %ebx, %esi
    movl $PHYS(boot_stack_top), %esp

    /* Long mode needs CPUID leaf 0x80000001 EDX bit 29; without it, stop. */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    testl $(1 << 29), %edx
    jz no_long_mode

    movl %cr4, %eax
    orl $(1 << 5), %eax /* PAE: required by long mode */
    movl %eax, %cr4
    movl $PHYS(boot_pml4), %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx /* EFER */
    rdmsr
    orl $(1 << 8), %eax /* LME */
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax /* PG, WP (honour read-only pages in ring 0), PE */
    movl %eax, %cr0

    lgdt PHYS(boot_gdtr)
    ljmp $SEL_KCODE, $PHYS(start64_low)

no_long_mode:
    /* Say so on COM1 (already set up by the BIOS well enough for QEMU). */
    movl $PHYS(no_long_mode_msg), %esi
1:  lodsb
    testb %al, %al
    jz 2f
    movw $0x3f8, %dx
    outb %al, %dx
    jmp 1b
2:  hlt
    jmp 2b

    .code64
start64_low:
    /* Still running at the physical address: jump to the linked (higher-half) one. */
    movabsq $start64_high, %rax
    jmp *%rax

    .text
start64_high:
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorl %eax, %eax
    movw %ax, %fs /* null: FS/GS bases come from MSRs */
    movw %ax, %gs
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp /* the backtrace stops at a zero frame pointer */
    movl %edi, %edi /* zero-extend magic and info (upper halves are undefined) */
    movl %esi, %esi
    call x86_64_boot_main
3:  cli
    hlt
    jmp 3b

    .section .rodata
no_long_mode_msg:
    .asciz "scythe: this CPU has no long mode (x86-64); stopping\r\n"

/* Boot GDT: just enough to enter long mode; each CPU loads its own later. */
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9b000000ffff /* 0x08: 64-bit code, accessed */
    .quad 0x00cf93000000ffff /* 0x10: data, accessed */
boot_gdt_end:
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .long PHYS(boot_gdt)

/* Static boot page tables: the first 1 GiB (2 MiB pages) mapped three times,
 * at 0 (identity, for the instructions right after paging turns on), at the
 * direct map base and at KERNEL_VMA. The kernel replaces them in mmu_init. */
    .data
    .balign 4096
boot_pml4:
    .quad PHYS(boot_pdpt_low) + 3 /* [0] identity */
    .fill 255, 8, 0
    .quad PHYS(boot_pdpt_low) + 3 /* [256] direct map */
    .fill 254, 8, 0
    .quad PHYS(boot_pdpt_high) + 3 /* [511] kernel image */
boot_pdpt_low:
    .quad PHYS(boot_pd) + 3
    .fill 511, 8, 0
boot_pdpt_high:
    .fill 510, 8, 0
    .quad PHYS(boot_pd) + 3 /* [510]: 0xffffffff80000000 */
    .quad 0
boot_pd:
    .set page, 0
    .rept 512
    .quad (page << 21) | 0x83 /* present, writable, 2 MiB */
    .set page, page + 1
    .endr

/* The boot CPU's stack, with a guard page below it that mmu_init leaves unmapped. */
    .section .bss.boot_stack, "aw", @nobits
    .balign 4096
    .global boot_stack_guard
boot_stack_guard:
    .skip 4096
    .global boot_stack_bottom
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
    .global boot_stack_top
boot_stack_top:
