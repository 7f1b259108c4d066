// The kernel's instances of the scalable allocators: one buddy allocator over
// all RAM (buddy.h), per-CPU page caches in front of it (page_cache.h), and
// slab caches with per-CPU magazines (slab.h) for the heap's small sizes.
//
// Everything here may be used with interrupts off and from interrupt context
// (cross-call functions allocate): the per-CPU layers pin with IrqGuard rather
// than PreemptGuard, and the shared locks disable interrupts while held.
//
// pmm.h (pages) and heap.h (kmalloc) are the APIs the rest of the kernel uses;
// this header is for the memory code itself, statistics and tests.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/cpu.h"
#include "arch/mmu.h"
#include "kernel/lf_platform.h"
#include "kernel/mm/buddy.h"
#include "kernel/mm/mm_stats.h"
#include "kernel/mm/page_cache.h"
#include "kernel/mm/page_source.h"
#include "kernel/mm/slab.h"
#include "smp/spinlock.h"

namespace kernel::mm {

// A ticket lock that keeps interrupts off while held (the allocators'
// BasicLock). The saved state lives in the lock: only the holder touches it.
class IrqLock {
public:
    void lock() {
        const arch::IrqState s = arch::irq_save();
        lock_.lock();
        saved_ = s;
    }
    void unlock() {
        const arch::IrqState s = saved_;
        lock_.unlock();
        arch::irq_restore(s);
    }

private:
    smp::SpinLock lock_;
    arch::IrqState saved_ = 0;
};

struct DirectMap {
    void* to_virt(scythe::mm::pfn_t pfn) const {
        return arch::phys_to_virt(pfn << scythe::mm::kPageShift);
    }
    scythe::mm::pfn_t to_pfn(const void* p) const {
        return arch::virt_to_phys(p) >> scythe::mm::kPageShift;
    }
};

inline constexpr unsigned kMaxOrder = 10; // largest block: 4 MiB

using Buddy = scythe::mm::BuddyAllocator<LfPlatform, IrqLock, kMaxOrder>;
using PageCache = scythe::mm::PageCache<LfPlatform, Buddy, 128, LfPlatform::IrqGuard>;
using SlabPageSource = scythe::mm::CachePageSource<PageCache, DirectMap>;
using SlabCache = scythe::mm::SlabCache<LfPlatform, IrqLock, SlabPageSource, LfPlatform::IrqGuard>;
using CacheRegistry = scythe::mm::CacheRegistry<IrqLock>;

// Valid after pmm_init.
Buddy& buddy();
PageCache& page_cache();
SlabPageSource& slab_page_source();
CacheRegistry& cache_registry(); // every SlabCache, for statistics

// The heap's slab caches (heap.cpp), created at the end of pmm_init.
void heap_init();
// Calls fn on each of the heap's slab caches.
void for_each_heap_cache(void (*fn)(SlabCache&));

// Returns this CPU's cached pages and magazines to the shared layers. Run on
// every CPU (a cross-call), then reap_caches() once, then drain pages again
// everywhere: reaping frees slab pages into the reaping CPU's page cache.
void drain_local_caches();
void reap_caches();
// All three steps: every CPU's magazines and page cache back (a cross-call,
// waited for), empty slabs to the buddy, and this CPU's page cache, which
// the reaping filled, drained last. The leak checks' common first step.
void drain_all_caches();

// Buddy, per-CPU page caches and every slab cache, one line each.
void print_stats();

} // namespace kernel::mm
