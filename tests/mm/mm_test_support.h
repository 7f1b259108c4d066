// tests/mm/mm_test_support.h: host-side plumbing for the kernel/mm allocator tests: a lock, page
// sources backed by aligned_alloc or by an arena with a fake direct map, and the allocator
// stack instantiated the way the kernel will (buddy -> per-CPU page cache -> slab caches).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "kernel/mm/buddy.h"
#include "kernel/mm/mm_stats.h"
#include "kernel/mm/page_cache.h"
#include "kernel/mm/page_source.h"
#include "kernel/mm/slab.h"
#include "lockfree/host/platform.h"

namespace scythe::mm::test {

using HP = lf::HostPlatform;
using HostLock = std::mutex; // has lock()/unlock(): models BasicLock
using Buddy = BuddyAllocator<HP, HostLock, 10>;

// Slabs from aligned_alloc, with a count of outstanding pages and an optional budget.
class HostPageSource {
public:
    explicit HostPageSource(std::int64_t budget_pages = -1) : budget_(budget_pages) {}
    ~HostPageSource() = default;

    void* alloc_pages(unsigned order) noexcept {
        std::int64_t n = std::int64_t{1} << order;
        if (budget_ >= 0 && outstanding_.load() + n > budget_)
            return nullptr;
        std::size_t bytes = kPageSize << order;
        void* p = std::aligned_alloc(bytes, bytes);
        if (p != nullptr)
            outstanding_.fetch_add(n);
        return p;
    }
    void free_pages(void* p, unsigned order) noexcept {
        std::free(p);
        outstanding_.fetch_sub(std::int64_t{1} << order);
    }
    std::int64_t outstanding() const noexcept { return outstanding_.load(); }

private:
    std::int64_t budget_;
    std::atomic<std::int64_t> outstanding_{0};
};

// `pages` pages of zeroed host memory standing in for physical RAM at pfn kBasePfn.., aligned
// so that naturally aligned pfn blocks are naturally aligned addresses (as the kernel's
// direct map guarantees).
class Arena {
public:
    static constexpr pfn_t kBasePfn = 0x10000; // a multiple of 2^MaxOrder
    static constexpr std::size_t kAlign = kPageSize << 10;

    explicit Arena(std::size_t pages)
        : pages_(pages),
          base_(static_cast<char*>(std::aligned_alloc(kAlign, round(pages * kPageSize)))),
          frames_(pages) {
        std::memset(base_, 0, pages * kPageSize);
    }
    ~Arena() { std::free(base_); }
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;

    void* to_virt(pfn_t pfn) const noexcept { return base_ + (pfn - kBasePfn) * kPageSize; }
    pfn_t to_pfn(const void* p) const noexcept {
        return kBasePfn + static_cast<pfn_t>(static_cast<const char*>(p) - base_) / kPageSize;
    }
    PageFrame* frames() noexcept { return frames_.data(); }
    std::size_t pages() const noexcept { return pages_; }

private:
    static std::size_t round(std::size_t b) { return (b + kAlign - 1) / kAlign * kAlign; }
    std::size_t pages_;
    char* base_;
    std::vector<PageFrame> frames_;
};

// The kernel's stack in miniature: buddy over the arena, per-CPU page caches, slab page source.
template <std::size_t Capacity = 256>
struct MemStack {
    using Cache = PageCache<HP, Buddy, Capacity>;
    using Source = CachePageSource<Cache, Arena>;

    explicit MemStack(std::size_t pages, PageCacheConfig cfg = {})
        : arena(pages), buddy(arena.frames(), Arena::kBasePfn, pages), cache(buddy, cfg),
          source(cache, arena) {
        buddy.add_range(Arena::kBasePfn, pages);
    }
    PageLedger ledger() const { return page_ledger(buddy, cache); }

    Arena arena;
    Buddy buddy;
    Cache cache;
    Source source;
};

} // namespace scythe::mm::test
