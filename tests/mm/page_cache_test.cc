// Unit tests for kernel/mm/page_cache.h: watermarks, batch refill/drain under one buddy lock
// acquisition, the remote-free policy, draining and the page ledger.
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "tests/mm/mm_test_support.h"

namespace scythe::mm::test {
namespace {

constexpr pfn_t kBase = Arena::kBasePfn;

struct CacheFixture {
    using Cache = PageCache<HP, Buddy, 16>;
    CacheFixture(std::size_t pages, PageCacheConfig cfg)
        : frames(pages), buddy(frames.data(), kBase, pages), cache(buddy, cfg) {
        buddy.add_range(kBase, pages);
    }
    std::vector<PageFrame> frames;
    Buddy buddy;
    Cache cache;
};

TEST(PageCache, WatermarksRefillAndDrainInBatches) {
    lf::HostCpu cpu;
    CacheFixture f(256, {.high = 8, .low = 2, .batch = 4});
    auto locks0 = f.buddy.stats().lock_acquires;

    std::vector<pfn_t> held;
    held.push_back(f.cache.alloc()); // miss: refills 4, hands out 1
    EXPECT_EQ(f.cache.cached_pages(cpu.id()), 3u);
    EXPECT_EQ(f.buddy.free_pages(), 252u);
    for (int i = 0; i < 3; ++i)
        held.push_back(f.cache.alloc()); // hits
    EXPECT_EQ(f.cache.cached_pages(cpu.id()), 0u);
    held.push_back(f.cache.alloc()); // miss again
    auto s = f.cache.cpu_stats(cpu.id());
    EXPECT_EQ(s.hits, 3u);
    EXPECT_EQ(s.misses, 2u);
    EXPECT_EQ(s.refilled, 8u);
    EXPECT_EQ(f.buddy.stats().lock_acquires, locks0 + 2); // one per refill

    for (int i = 0; i < 4; ++i)
        held.push_back(f.cache.alloc()); // 3 hits + 1 miss
    ASSERT_EQ(held.size(), 9u);
    EXPECT_EQ(f.cache.cached_pages(cpu.id()), 3u);
    // Free all 9: the stack grows to 9 > high (8) at the 6th free and drains to low (2).
    for (pfn_t p : held)
        f.cache.free(p);
    s = f.cache.cpu_stats(cpu.id());
    EXPECT_EQ(s.drains, 1u);
    EXPECT_EQ(s.drained, 7u);
    EXPECT_EQ(f.cache.cached_pages(cpu.id()), 5u);
    EXPECT_EQ(f.buddy.stats().lock_acquires, locks0 + 4); // 3 refills + 1 drain

    EXPECT_EQ(f.buddy.free_pages() + f.cache.cached_pages(), 256u);
    f.cache.drain_local();
    EXPECT_EQ(f.cache.cached_pages(), 0u);
    EXPECT_EQ(f.buddy.free_pages(), 256u);
    EXPECT_TRUE(f.buddy.check_invariants());
}

TEST(PageCache, LifoReuseIsLocal) {
    lf::HostCpu cpu;
    CacheFixture f(64, {.high = 8, .low = 2, .batch = 4});
    pfn_t a = f.cache.alloc();
    f.cache.free(a);
    EXPECT_EQ(f.cache.alloc(), a); // the hottest page comes back first
    f.cache.free(a);
    f.cache.drain_local();
}

TEST(PageCache, RemoteFreesGoToTheFreeingCpuAndOverflowDrains) {
    lf::HostCpu cpu;
    CacheFixture f(512, {.high = 12, .low = 4, .batch = 8});
    std::vector<pfn_t> pages;
    for (int i = 0; i < 40; ++i)
        pages.push_back(f.cache.alloc());
    std::size_t mine = f.cache.cached_pages(cpu.id());
    std::size_t other = 0;
    std::thread t([&] {
        lf::HostCpu remote;
        other = remote.id();
        for (pfn_t p : pages)
            f.cache.free(p);
    });
    t.join();
    EXPECT_EQ(f.cache.cached_pages(cpu.id()), mine); // the allocating CPU's stack is untouched
    auto rs = f.cache.cpu_stats(other);
    EXPECT_EQ(rs.frees, 40u);
    EXPECT_GE(rs.drains, 1u);
    EXPECT_LE(f.cache.cached_pages(other), 12u);
    PageLedger l = page_ledger(f.buddy, f.cache);
    EXPECT_EQ(l.in_use(), 0u);
    f.cache.drain_all_quiescent();
    EXPECT_EQ(f.buddy.free_pages(), 512u);
    EXPECT_TRUE(f.buddy.check_invariants());
}

TEST(PageCache, ExhaustionAndBlocksBypass) {
    lf::HostCpu cpu;
    CacheFixture f(32, {.high = 8, .low = 2, .batch = 4});
    pfn_t big = f.cache.alloc_block(4); // 16 pages, straight from the buddy
    ASSERT_NE(big, kNoPfn);
    EXPECT_EQ(f.cache.cached_pages(), 0u);
    std::vector<pfn_t> got;
    for (pfn_t p; (p = f.cache.alloc()) != kNoPfn;)
        got.push_back(p);
    EXPECT_EQ(got.size(), 16u);
    EXPECT_EQ(f.cache.cpu_stats(cpu.id()).failures, 1u);
    for (pfn_t p : got)
        f.cache.free(p);
    f.cache.free_block(big, 4);
    f.cache.drain_local();
    EXPECT_EQ(f.buddy.free_pages(), 32u);
}

TEST(PageCacheDeathTest, DoubleFreeIntoTheCacheStops) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            lf::HostCpu cpu;
            CacheFixture f(32, {.high = 8, .low = 2, .batch = 4});
            pfn_t p = f.cache.alloc();
            f.cache.free(p);
            f.cache.free(p);
        },
        "assertion failed");
}

} // namespace
} // namespace scythe::mm::test
