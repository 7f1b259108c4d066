// Physical page allocator: a buddy allocator over all of RAM, fronted by
// per-CPU page caches (kernel/mm/kmem.h), so a single-page alloc or free
// touches only the calling CPU's cache. Multi-page requests take one block of
// the next power of two (at most 2^kMaxOrder pages). Pages below 1 MiB, the
// kernel image, the boot modules and the page-frame array are never handed
// out. Callable with interrupts off and from interrupt context.
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

size_t free_page_count(); // free in the buddy + sitting in per-CPU caches
size_t total_page_count();

} // namespace kernel::mm
