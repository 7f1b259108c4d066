// kernel/mm/page_source.h: CachePageSource, the PageSource (slab_pool.h) that slabs use in the
// kernel: order-0 slabs come from the per-CPU page cache, larger ones from the buddy, and pfns
// become pointers through a direct map of physical memory.
//
// DirectMap: an object with `void* to_virt(pfn_t) const` and `pfn_t to_pfn(const void*) const`.
// The kernel's maps all RAM at a fixed offset aligned to at least 2^MaxOrder pages, so a
// naturally aligned block of pages is naturally aligned in virtual memory too (which slabs
// need). The host tests map a malloc'd arena the same way.
//
// Synchronisation: as the page cache (any CPU concurrently).
#pragma once

#include <concepts>
#include <cstddef>

#include "kernel/mm/mm_common.h"

namespace scythe::mm {

template <class M>
concept DirectMap = requires(const M& m, pfn_t pfn, const void* p) {
    { m.to_virt(pfn) } -> std::same_as<void*>;
    { m.to_pfn(p) } -> std::same_as<pfn_t>;
};

// Cache: PageCache (page_cache.h) or anything with alloc_block(order) -> pfn_t (kNoPfn on
// failure) and free_block(pfn, order).
template <class Cache, DirectMap Map>
class CachePageSource {
public:
    CachePageSource(Cache& cache, const Map& map) noexcept : cache_(cache), map_(map) {}

    void* alloc_pages(unsigned order) noexcept {
        pfn_t pfn = cache_.alloc_block(order);
        return pfn == kNoPfn ? nullptr : map_.to_virt(pfn);
    }
    void free_pages(void* p, unsigned order) noexcept { cache_.free_block(map_.to_pfn(p), order); }

private:
    Cache& cache_;
    const Map& map_;
};

} // namespace scythe::mm
