/* Virtual and physical layout constants shared by the x86-64 assembly and C++.
 * Plain #defines (no C++), so boot.S and the linker script can use them too. */
#pragma once

/* The kernel image is linked here + its physical address (top 2 GiB: -mcmodel=kernel). */
#define KERNEL_VMA 0xffffffff80000000
/* Physical load address of the image (1 MiB, above the BIOS and real-mode area). */
#define KERNEL_PHYS 0x100000
/* All physical memory is mapped here (PML4 slot 256). */
#define DIRECT_MAP_BASE 0xffff800000000000
/* Kernel stacks, each with an unmapped guard page below it (PML4 slot 508). */
#define KSTACK_AREA_BASE 0xfffffe0000000000
/* Uncached device mappings (PML4 slot 509). */
#define MMIO_AREA_BASE 0xfffffe8000000000

/* The AP trampoline is copied to this page below 1 MiB; SIPI vector = page number. */
#define TRAMPOLINE_PHYS 0x70000
/* Its temporary page tables (identity map of the first 2 MiB + the kernel's upper half). */
#define TRAMPOLINE_PML4 0x71000
#define TRAMPOLINE_PDPT 0x72000
#define TRAMPOLINE_PD 0x73000

/* GDT selectors (same layout on every CPU; user slots are ready for sysret). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x1b
#define SEL_UDATA 0x23
#define SEL_UCODE64 0x2b
#define SEL_TSS 0x30

#define BOOT_STACK_SIZE 16384
