// kernel/mm/mm_stats.h: memory accounting that tests (host and QEMU) can check.
//
// What: plain snapshot structs for the page layers and the slab caches, a registry of slab
// caches so the kernel can list every cache's statistics at run time, and a ledger that
// answers "did the workload give back everything it took?":
//
//   auto before = page_ledger(buddy, cache);   ... workload, then drain ...
//   auto after  = page_ledger(buddy, cache);
//   assert(after.balanced_with(before));       // free + cached pages back to where they were
//
// Snapshots read counters that other CPUs are updating (relaxed loads): exact when the system
// is quiescent (the test's threads joined, or every CPU drained), approximate otherwise.
//
// Synchronisation table:
//   CacheRegistry::add / remove / for_each     any CPUs concurrently (Lock)
//   snapshot structs                            plain values
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/mm/mm_common.h"

namespace scythe::mm {

// One CPU's page cache counters (page_cache.h), or their sum over CPUs.
struct PageCacheCpuStats {
    std::uint64_t cached; // pages on the stack now
    std::uint64_t hits;   // allocs served locally
    std::uint64_t misses; // allocs that had to refill
    std::uint64_t frees;
    std::uint64_t drains;   // batch drains
    std::uint64_t refilled; // pages refilled from the buddy
    std::uint64_t drained;  // pages returned to the buddy
    std::uint64_t failures; // allocs that returned kNoPfn

    PageCacheCpuStats& operator+=(const PageCacheCpuStats& o) noexcept {
        cached += o.cached;
        hits += o.hits;
        misses += o.misses;
        frees += o.frees;
        drains += o.drains;
        refilled += o.refilled;
        drained += o.drained;
        failures += o.failures;
        return *this;
    }
};

// One slab cache (slab.h).
struct CacheStats {
    const char* name;
    std::size_t object_size;     // after rounding to the alignment
    std::size_t slab_bytes;      // bytes per slab (2^order pages)
    std::uint64_t slabs;         // slabs held from the page source
    std::uint64_t pages;         // pages held from the page source (objects and magazines)
    std::uint64_t capacity;      // object slots in those slabs
    std::uint64_t live;          // objects handed out and not yet freed
    std::uint64_t in_magazines;  // free objects parked in per-CPU and depot magazines
    std::uint64_t free_in_slabs; // free slots on slab free lists
    std::uint64_t hits;          // per-CPU magazine hits, summed
    std::uint64_t misses;        // went to the depot or the slabs, summed
    std::uint64_t depot_full;    // full magazines in the depot
    std::uint64_t depot_empty;   // empty magazines in the depot
    std::uint64_t magazines;     // magazines in existence
};

struct CacheCpuStats {
    std::uint64_t allocs;
    std::uint64_t frees;
    std::uint64_t hits;   // served by the loaded/previous magazine
    std::uint64_t misses; // needed the depot or the slab layer
};

// Pages accounted for by the page layers.
struct PageLedger {
    std::uint64_t total;  // pages managed by the buddy
    std::uint64_t free;   // on buddy free lists
    std::uint64_t cached; // in per-CPU page caches (free as far as users are concerned)

    std::uint64_t in_use() const noexcept { return total - free - cached; }
    // Everything taken since `before` has been given back (caches may hold it).
    bool balanced_with(const PageLedger& before) const noexcept {
        return total == before.total && free + cached == before.free + before.cached;
    }
};

template <class Buddy, class Cache>
PageLedger page_ledger(const Buddy& buddy, const Cache& cache) noexcept {
    return {buddy.total_pages(), buddy.free_pages(), cache.cached_pages()};
}

// A slab cache's entry in the registry: type-erased, embedded in the cache.
struct CacheStatsNode {
    using Fn = CacheStats (*)(const void* cache);
    const void* cache = nullptr;
    Fn read = nullptr;
    CacheStatsNode* next = nullptr;
    CacheStatsNode* prev = nullptr;

    CacheStats stats() const noexcept { return read(cache); }
};

// Every slab cache registered at creation; the kernel's "print memory statistics" and the
// QEMU leak tests walk it.
template <BasicLock Lock>
class CacheRegistry {
public:
    void add(CacheStatsNode& n) noexcept {
        LockGuard<Lock> g(lock_);
        n.prev = nullptr;
        n.next = head_;
        if (head_ != nullptr)
            head_->prev = &n;
        head_ = &n;
        ++count_;
    }
    void remove(CacheStatsNode& n) noexcept {
        LockGuard<Lock> g(lock_);
        if (n.prev != nullptr)
            n.prev->next = n.next;
        else
            head_ = n.next;
        if (n.next != nullptr)
            n.next->prev = n.prev;
        n.next = n.prev = nullptr;
        --count_;
    }
    // fn(const CacheStats&) for every cache, under the registry lock (fn must not register).
    template <class Fn>
    void for_each(Fn&& fn) noexcept {
        LockGuard<Lock> g(lock_);
        for (CacheStatsNode* n = head_; n != nullptr; n = n->next)
            fn(n->stats());
    }
    std::size_t size() noexcept {
        LockGuard<Lock> g(lock_);
        return count_;
    }
    // Sum of live objects over all caches: zero once every workload has freed what it took.
    std::uint64_t live_objects() noexcept {
        std::uint64_t sum = 0;
        for_each([&](const CacheStats& s) { sum += s.live; });
        return sum;
    }
    // Pages the slab caches hold from the page layers (objects and magazines).
    std::uint64_t held_pages() noexcept {
        std::uint64_t sum = 0;
        for_each([&](const CacheStats& s) { sum += s.pages; });
        return sum;
    }

private:
    Lock lock_{};
    CacheStatsNode* head_ = nullptr;
    std::size_t count_ = 0;
};

} // namespace scythe::mm
