// Draining the per-CPU layers and printing what every allocator holds.
#include "kernel/mm/kmem.h"

#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/xcall.h"

namespace kernel::mm {

void drain_local_caches() {
    for_each_heap_cache([](SlabCache& c) { c.drain_local(); });
    page_cache().drain_local();
}

void reap_caches() {
    for_each_heap_cache([](SlabCache& c) { c.reap(); });
}

void drain_all_caches() {
    xcall_all([](void*) { drain_local_caches(); }, nullptr, XcallWait::Yes);
    reap_caches();
    page_cache().drain_local();
}

void print_stats() {
    const scythe::mm::BuddyStats b = buddy().stats();
    const PageCache& pc = page_cache();
    kprintf("mm: buddy: %lu pages, %lu free, %lu in per-CPU caches; %lu block allocs, %lu frees, "
            "%lu failures, %lu lock acquisitions\n",
            b.total_pages, b.free_pages, uint64_t(pc.cached_pages()), b.allocs, b.frees, b.failures,
            b.lock_acquires);
    scythe::mm::PageCacheCpuStats sum{};
    for (uint32_t i = 0; i < cpus_enumerated(); i++) {
        const scythe::mm::PageCacheCpuStats s = pc.cpu_stats(i);
        sum += s;
        if (s.hits + s.misses + s.frees)
            kprintf("mm: page cache cpu %u: %lu cached, %lu hits, %lu misses, %lu frees, "
                    "%lu drains\n",
                    i, s.cached, s.hits, s.misses, s.frees, s.drains);
    }
    kprintf("mm: page cache total: %lu hits, %lu misses, %lu refilled, %lu drained, %lu failures\n",
            sum.hits, sum.misses, sum.refilled, sum.drained, sum.failures);
    cache_registry().for_each([](const scythe::mm::CacheStats& s) {
        kprintf("mm: cache %s: %zu-byte objects, %lu live, %lu in magazines, %lu free in %lu "
                "slabs (%lu pages), %lu hits, %lu misses\n",
                s.name, s.object_size, s.live, s.in_magazines, s.free_in_slabs, s.slabs, s.pages,
                s.hits, s.misses);
    });
}

} // namespace kernel::mm
