// Physical pages: the buddy allocator over all RAM, fronted by per-CPU page
// caches (kernel/mm/kmem.h). Single pages (the common case: page tables,
// stacks, slabs) come from the local cache; multi-page requests go to the
// buddy as one block of the next power of two.
#include "kernel/mm/pmm.h"

#include <new>

#include "arch/mmu.h"
#include "kernel/console.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmem.h"
#include "kernel/panic.h"

namespace kernel::mm {
namespace {

using scythe::mm::kNoPfn;
using scythe::mm::PageFrame;
using scythe::mm::pfn_t;

constexpr uint64_t kLowMemoryEnd = 0x100000; // real-mode area, BIOS, AP trampoline
constexpr uint64_t kBootMapped = 1ull << 30; // the boot page tables map the first 1 GiB

// Constructed in pmm_init (they need the frame array), never destroyed.
alignas(Buddy) unsigned char buddy_storage[sizeof(Buddy)];
alignas(PageCache) unsigned char cache_storage[sizeof(PageCache)];
alignas(SlabPageSource) unsigned char source_storage[sizeof(SlabPageSource)];
Buddy* the_buddy = nullptr;
PageCache* the_cache = nullptr;
SlabPageSource* the_source = nullptr;
const DirectMap direct_map;
CacheRegistry registry;

uint64_t page_up(uint64_t a) {
    return (a + kPageSize - 1) & ~(kPageSize - 1);
}
uint64_t page_down(uint64_t a) {
    return a & ~(kPageSize - 1);
}

void reserve(uint64_t start, uint64_t end, pfn_t span) {
    const pfn_t first = page_down(start) / kPageSize;
    pfn_t last = page_up(end) / kPageSize;
    if (last > span)
        last = span;
    if (first < last)
        the_buddy->reserve(first, last - first);
}

// Smallest order whose block holds `count` pages.
unsigned order_for(size_t count) {
    unsigned order = 0;
    while ((size_t(1) << order) < count)
        order++;
    return order;
}

} // namespace

Buddy& buddy() {
    return *the_buddy;
}
PageCache& page_cache() {
    return *the_cache;
}
SlabPageSource& slab_page_source() {
    return *the_source;
}
CacheRegistry& cache_registry() {
    return registry;
}

void pmm_init(const BootInfo& boot) {
    uint64_t top = 0;
    for (int i = 0; i < boot.ram_count; i++)
        if (boot.ram[i].base + boot.ram[i].length > top)
            top = boot.ram[i].base + boot.ram[i].length;
    const pfn_t span = page_down(top) / kPageSize;
    const size_t frames_bytes = page_up(span * sizeof(PageFrame));

    // The frame array goes in the first RAM range above the kernel and the
    // modules that holds it, inside what the boot page tables map.
    uint64_t floor = boot.kernel_end;
    for (int m = 0; m < boot.module_count; m++)
        if (boot.modules[m].end > floor)
            floor = boot.modules[m].end;
    uint64_t frames_phys = 0;
    for (int i = 0; i < boot.ram_count && !frames_phys; i++) {
        const uint64_t start = page_up(boot.ram[i].base > floor ? boot.ram[i].base : floor);
        const uint64_t end = page_down(boot.ram[i].base + boot.ram[i].length);
        if (start < end && end - start >= frames_bytes && start + frames_bytes <= kBootMapped)
            frames_phys = start;
    }
    if (!frames_phys)
        panic("pmm: no room for %zu bytes of page frames", frames_bytes);
    auto* frames = static_cast<PageFrame*>(arch::phys_to_virt(frames_phys));

    the_buddy = new (buddy_storage) Buddy(frames, 0, span);
    reserve(0, kLowMemoryEnd, span);
    reserve(boot.kernel_start, boot.kernel_end, span);
    for (int m = 0; m < boot.module_count; m++)
        reserve(boot.modules[m].start, boot.modules[m].end, span);
    reserve(frames_phys, frames_phys + frames_bytes, span);
    for (int i = 0; i < boot.ram_count; i++) {
        const pfn_t first = page_up(boot.ram[i].base) / kPageSize;
        pfn_t last = page_down(boot.ram[i].base + boot.ram[i].length) / kPageSize;
        if (last > span)
            last = span;
        if (first < last)
            the_buddy->add_range(first, last - first);
    }
    the_cache = new (cache_storage) PageCache(*the_buddy);
    the_source = new (source_storage) SlabPageSource(*the_cache, direct_map);
    kinfo("pmm: %zu MiB RAM, %zu MiB free, buddy orders 0-%u, page frames at %#lx\n",
          the_buddy->total_pages() * kPageSize >> 20, the_buddy->free_pages() * kPageSize >> 20,
          kMaxOrder, frames_phys);
    heap_init();
}

uint64_t alloc_pages(size_t count) {
    const unsigned order = order_for(count);
    if (order > kMaxOrder)
        return 0;
    const pfn_t pfn = the_cache->alloc_block(order);
    if (pfn == kNoPfn)
        return 0;
    const uint64_t phys = pfn * kPageSize;
    memset(arch::phys_to_virt(phys), 0, kPageSize << order);
    return phys;
}

void free_pages(uint64_t phys, size_t count) {
    // The buddy stops on a double free or a wrong count (not a block head of that order).
    the_cache->free_block(phys / kPageSize, order_for(count));
}

size_t free_page_count() {
    // Pages in per-CPU caches are free as far as any user is concerned.
    return the_buddy->free_pages() + the_cache->cached_pages();
}
size_t total_page_count() {
    return the_buddy->total_pages();
}

} // namespace kernel::mm
