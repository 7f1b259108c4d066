// Physical page allocator: one bitmap over all of RAM under one lock.
// Deliberately simple; the kernel-core issue replaces it with per-CPU caches
// over a buddy allocator. Pages below 1 MiB, the kernel image and the boot
// modules are never handed out.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.h"

namespace kernel::mm {

inline constexpr size_t kPageSize = 4096;

void pmm_init(const BootInfo& boot);

// Physical address of `count` contiguous free pages (zeroed), 0 if none.
uint64_t alloc_pages(size_t count);
inline uint64_t alloc_page() {
    return alloc_pages(1);
}
void free_pages(uint64_t phys, size_t count);
inline void free_page(uint64_t phys) {
    free_pages(phys, 1);
}

size_t free_page_count();
size_t total_page_count();

} // namespace kernel::mm
