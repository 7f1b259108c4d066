// kernel/mm/page_cache.h: per-CPU caches of order-0 pages in front of the buddy allocator.
//
// What: each CPU keeps a small LIFO stack of free order-0 pfns. alloc() pops from the local
// stack and free() pushes onto it, under a PreemptGuard only: no lock, no atomic RMW, no write
// to a cache line another CPU writes. The buddy's lock is taken once per *batch*: an empty
// stack refills `batch` pages with one alloc_batch; a stack above `high` drains down to `low`
// with one free_batch (the coldest pages, from the bottom of the stack). This is Linux's
// per-CPU pageset (pcp high/batch) and FreeBSD UMA's bucket idea applied to pages.
//
// Remote frees: a page freed on a CPU other than the one that allocated it goes to the
// *freeing* CPU's cache. Pages have no home CPU; returning a page to its allocator's cache
// would need a remote write (or a lock) per page, which is what this layer exists to avoid.
// The imbalance that a producer/consumer pattern creates (one CPU frees what another
// allocates) is bounded by `high` per CPU and corrected by the batch drain: overflow goes
// back to the buddy in one lock acquisition, where the allocating CPU's next refill finds it.
//
// Exhaustion: alloc() returns kNoPfn when the local stack is empty and the buddy has no page.
// Other CPUs may still hold up to `high` pages each; a kernel slow path that wants them asks
// each CPU to drain_local() (cross-call) and retries. Nothing here blocks.
//
// Interrupts: the default Guard is the platform's PreemptGuard, which is enough as long as
// no interrupt handler allocates or frees pages. If one does, instantiate with
// Guard = P::IrqGuard (and an interrupt-safe buddy Lock).
//
// Synchronisation table:
//   alloc / free / drain_local                 any CPU concurrently (each on its own stack)
//   alloc_block / free_block (order > 0)       any CPU (pass-through to the buddy)
//   drain_cpu(c), drain_all_quiescent          only while no CPU uses cache c (all caches),
//                                              e.g. at shutdown or after joining test threads;
//                                              in the kernel use a cross-call to drain_local
//   cached_pages / cpu_stats / stats           any CPU, racy snapshot
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kernel/mm/mm_common.h"
#include "kernel/mm/mm_stats.h"
#include "lockfree/cache.h"

namespace scythe::mm {

struct PageCacheConfig {
    std::uint32_t high = 96;  // a free that leaves more than this many pages drains
    std::uint32_t low = 32;   // ... down to this many
    std::uint32_t batch = 32; // an alloc on an empty stack refills this many
};

// What the page cache needs from the buddy (BuddyAllocator in buddy.h models it).
template <class B>
concept PageBackend = requires(B& b, pfn_t pfn, pfn_t* out, std::size_t n, unsigned order) {
    { b.alloc_batch(n, out) } -> std::same_as<std::size_t>;
    b.free_batch(out, n);
    { b.alloc(order) } -> std::same_as<pfn_t>;
    b.free(pfn, order);
    { b.frame(pfn) } -> std::same_as<PageFrame&>;
};

// Footprint: P::kMaxCpus * (8 * Capacity + 64) bytes, in one object (the kernel's kMaxCpus is
// 256: 272 KiB at the default Capacity; a statically allocated instance is fine).
template <Platform P, PageBackend Buddy, std::size_t Capacity = 128,
          class Guard = typename P::PreemptGuard>
class PageCache {
public:
    PageCache(Buddy& buddy, PageCacheConfig cfg = {}) noexcept : buddy_(buddy), cfg_(cfg) {
        SCYTHE_MM_VERIFY(P, cfg.low < cfg.high && cfg.high < Capacity);
        SCYTHE_MM_VERIFY(P, cfg.batch >= 1 && cfg.batch <= cfg.high);
    }
    PageCache(const PageCache&) = delete;
    PageCache& operator=(const PageCache&) = delete;

    // One order-0 page, or kNoPfn.
    pfn_t alloc() noexcept {
        [[maybe_unused]] Guard g;
        Cpu& c = cpus_[P::cpu_id()].value;
        std::uint32_t n = c.count.load(std::memory_order_relaxed);
        if (n == 0) {
            c.misses.add();
            n = static_cast<std::uint32_t>(buddy_.alloc_batch(cfg_.batch, c.pages));
            if (n == 0) {
                c.failures.add();
                return kNoPfn;
            }
            c.refilled.add(n);
        } else {
            c.hits.add();
        }
        pfn_t pfn = c.pages[--n];
        c.count.store(n, std::memory_order_relaxed);
        buddy_.frame(pfn).owner_flags &= static_cast<std::uint8_t>(~PageFrame::kOwnerCached);
        return pfn;
    }

    void free(pfn_t pfn) noexcept {
        PageFrame& f = buddy_.frame(pfn);
        // A page already in some cache, or not an allocated order-0 block, is a double/bad free.
        SCYTHE_MM_VERIFY(P, (f.owner_flags & PageFrame::kOwnerCached) == 0);
        SCYTHE_MM_VERIFY(P, (f.flags & PageFrame::kAllocated) != 0 && f.order == 0);
        f.owner_flags |= PageFrame::kOwnerCached;
        [[maybe_unused]] Guard g;
        Cpu& c = cpus_[P::cpu_id()].value;
        std::uint32_t n = c.count.load(std::memory_order_relaxed);
        c.pages[n++] = pfn;
        c.frees.add();
        if (n > cfg_.high)
            n = drain_to(c, n, cfg_.low);
        c.count.store(n, std::memory_order_relaxed);
    }

    // Blocks of order > 0 bypass the cache.
    pfn_t alloc_block(unsigned order) noexcept {
        return order == 0 ? alloc() : buddy_.alloc(order);
    }
    void free_block(pfn_t pfn, unsigned order) noexcept {
        if (order == 0)
            free(pfn);
        else
            buddy_.free(pfn, order);
    }

    // Returns every page of the calling CPU's cache to the buddy (one lock acquisition).
    void drain_local() noexcept {
        [[maybe_unused]] Guard g;
        drain_cpu_unguarded(P::cpu_id());
    }

    // Caller guarantees no CPU is using cache `cpu` (see the table at the top).
    void drain_cpu(std::size_t cpu) noexcept { drain_cpu_unguarded(cpu); }
    void drain_all_quiescent() noexcept {
        for (std::size_t i = 0; i < P::kMaxCpus; ++i)
            drain_cpu_unguarded(i);
    }

    std::size_t cached_pages() const noexcept {
        std::size_t sum = 0;
        for (const auto& c : cpus_)
            sum += c.value.count.load(std::memory_order_relaxed);
        return sum;
    }
    std::size_t cached_pages(std::size_t cpu) const noexcept {
        return cpus_[cpu].value.count.load(std::memory_order_relaxed);
    }

    PageCacheCpuStats cpu_stats(std::size_t cpu) const noexcept {
        const Cpu& c = cpus_[cpu].value;
        return {c.count.load(std::memory_order_relaxed),
                c.hits.get(),
                c.misses.get(),
                c.frees.get(),
                c.drains.get(),
                c.refilled.get(),
                c.drained.get(),
                c.failures.get()};
    }
    PageCacheCpuStats stats() const noexcept { // summed over CPUs
        PageCacheCpuStats s{};
        for (std::size_t i = 0; i < P::kMaxCpus; ++i)
            s += cpu_stats(i);
        return s;
    }

    const PageCacheConfig& config() const noexcept { return cfg_; }
    Buddy& backend() noexcept { return buddy_; }

private:
    // Written only by the owning CPU; counters are also read (racily) by stats readers.
    struct Cpu {
        std::atomic<std::uint32_t> count{0};
        Counter hits;   // alloc served from the stack
        Counter misses; // alloc found the stack empty (refill attempted)
        Counter frees;
        Counter drains;   // batch drains (high watermark or explicit)
        Counter refilled; // pages brought in by refills
        Counter drained;  // pages sent back by drains
        Counter failures; // alloc returned kNoPfn
        pfn_t pages[Capacity];
    };

    // Sends the coldest n - keep pages (bottom of the stack) to the buddy in one batch.
    std::uint32_t drain_to(Cpu& c, std::uint32_t n, std::uint32_t keep) noexcept {
        std::uint32_t out = n - keep;
        for (std::uint32_t i = 0; i < out; ++i)
            buddy_.frame(c.pages[i]).owner_flags &=
                static_cast<std::uint8_t>(~PageFrame::kOwnerCached);
        buddy_.free_batch(c.pages, out);
        for (std::uint32_t i = 0; i < keep; ++i)
            c.pages[i] = c.pages[out + i];
        c.drains.add();
        c.drained.add(out);
        return keep;
    }

    void drain_cpu_unguarded(std::size_t cpu) noexcept {
        Cpu& c = cpus_[cpu].value;
        std::uint32_t n = c.count.load(std::memory_order_relaxed);
        if (n == 0)
            return;
        c.count.store(drain_to(c, n, 0), std::memory_order_relaxed);
    }

    Buddy& buddy_;
    const PageCacheConfig cfg_;
    lf::CacheAligned<Cpu> cpus_[P::kMaxCpus];
};

} // namespace scythe::mm
