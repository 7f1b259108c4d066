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
// Pages the kernel half's tables took from mm since mmu_init (never given back).
uint64_t kernel_table_pages();

// Uncached mapping of a device's registers; stays mapped forever.
void* map_mmio(uint64_t phys, size_t size);

// User address spaces (kernel/vm walks their tables through arch/pte.h).
//
// Every root's kernel half is a copy of the kernel root's, taken when the
// root is created and never updated: the kernel root's kernel-half entries
// are all created by mmu_init (direct map, image, stack and MMIO areas) and
// never change afterwards, so the copies cannot go stale. Mappings below
// those entries (kernel stacks, MMIO) are shared because the lower tables are.
//
// Fills a zeroed root table (one page, direct-mapped) with the kernel half.
void init_user_root(void* root);
// The kernel's own root: what a CPU runs on when it has no user space loaded.
uint64_t kernel_root_phys();
// Loads a root on this CPU (flushing the TLB's non-global entries).
void load_root(uint64_t root_phys);
uint64_t current_root_phys();
// This CPU's TLB only: one page, or every non-global (user) entry.
void flush_tlb_page(uintptr_t va);
void flush_tlb_user();
// End of the highest RAM range (set by mmu_init): bounds page frame numbers.
uint64_t ram_top();

// The virtual range reserved for kernel stacks (kernel/mm/kstack.cpp carves it).
uintptr_t kernel_stack_area_base();
size_t kernel_stack_area_size();

} // namespace arch

#include "arch/impl/mmu.h"
