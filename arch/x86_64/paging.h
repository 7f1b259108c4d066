// x86-64 page tables (4 levels). Private to arch/x86_64; the portable
// interface is arch/mmu.h.
#pragma once

#include <stdint.h>

namespace x86 {

// Pages of the kernel image that mmu_init must leave unmapped (the guard
// pages under the boot CPU's static stacks). Call before arch::mmu_init.
void register_image_guard_page(uintptr_t va);

uint64_t kernel_pml4_phys();

} // namespace x86
