// Kernel address space: the direct map of physical memory, page mapping for
// kernel stacks and devices. Page table formats stay inside the arch.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace arch {

inline constexpr size_t kPageSize = 4096;

enum MapFlags : unsigned {
    kMapWrite = 1u << 0,
    kMapNoCache = 1u << 1, // device memory
};

inline void* phys_to_virt(uint64_t phys); // via the direct map: every physical byte has one
inline uint64_t virt_to_phys(const void* direct_mapped);

// Builds the kernel's own page tables (kernel image with guard pages left
// unmapped, direct map of RAM [0, phys_top) and of the low 4 GiB with the
// firmware tables and devices) and switches to them. Needs mm::pmm.
void mmu_init(uint64_t phys_top);

// Maps one 4 KiB page of the kernel half. Page tables come from mm::pmm.
bool map_page(uintptr_t va, uint64_t pa, unsigned flags);
void unmap_page(uintptr_t va);
bool is_mapped(uintptr_t va); // a read of va would not fault

// Uncached mapping of a device's registers; stays mapped forever.
void* map_mmio(uint64_t phys, size_t size);

// The virtual range reserved for kernel stacks (kernel/mm/kstack.cpp carves it).
uintptr_t kernel_stack_area_base();
size_t kernel_stack_area_size();

} // namespace arch

#include "arch/impl/mmu.h"
