// Unit tests for kernel/mm/slab_pool.h and kernel/mm/slab.h: object alignment and reuse, slab
// geometry, magazine exchange with the depot, statistics, reaping back to the page source, the
// cache registry, and the whole stack (slab -> page cache -> buddy) balancing its ledger.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/mm/mm_test_support.h"

namespace scythe::mm::test {
namespace {

using Pool = SlabPool<HP, HostLock, HostPageSource>;
using Objects = SlabCache<HP, HostLock, HostPageSource>;

TEST(SlabPool, GeometryAndAlignment) {
    HostPageSource src;
    struct Case {
        std::size_t size, align;
    };
    for (Case c : {Case{8, 8}, Case{24, 8}, Case{64, 64}, Case{100, 16}, Case{640, 64},
                   Case{4096, 4096}, Case{16384, 16}}) {
        Pool pool(src, c.size, c.align);
        EXPECT_GE(pool.object_size(), c.size);
        EXPECT_EQ(pool.object_size() % c.align, 0u);
        EXPECT_GE(pool.objects_per_slab(), 1u);
        // At most 1/8 of a slab wasted for these sizes.
        EXPECT_LE((pool.slab_bytes() - pool.objects_per_slab() * pool.object_size()) * 8,
                  pool.slab_bytes())
            << c.size;
        std::vector<void*> objs;
        std::set<std::uintptr_t> seen;
        for (std::uint32_t i = 0; i < 3 * pool.objects_per_slab(); ++i) {
            void* p = pool.alloc();
            ASSERT_NE(p, nullptr);
            ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % c.align, 0u);
            ASSERT_TRUE(seen.insert(reinterpret_cast<std::uintptr_t>(p)).second);
            std::memset(p, 0xab, c.size); // ASan: the whole object is addressable
            objs.push_back(p);
        }
        EXPECT_EQ(pool.slabs(), 3u);
        EXPECT_EQ(pool.inuse(), objs.size());
        pool.free_batch(objs.data(), objs.size());
        EXPECT_EQ(pool.inuse(), 0u);
        EXPECT_EQ(pool.slabs(), 1u); // one empty slab kept against thrash
        pool.reap();
        EXPECT_EQ(pool.slabs(), 0u);
        EXPECT_EQ(src.outstanding(), 0);
    }
}

TEST(SlabCache, ObjectReuseIsLifoOnOneCpu) {
    lf::HostCpu cpu;
    HostPageSource src;
    {
        Objects c(src, "reuse", 48, 16);
        void* a = c.alloc();
        void* b = c.alloc();
        c.free(a);
        EXPECT_EQ(c.alloc(), a);
        c.free(b);
        c.free(a);
        EXPECT_EQ(c.alloc(), a);
        EXPECT_EQ(c.alloc(), b);
        c.free(a);
        c.free(b);
    }
    EXPECT_EQ(src.outstanding(), 0);
}

TEST(SlabCache, MagazinesAreExchangedWholeWithTheDepot) {
    lf::HostCpu cpu; // stays registered, so the thread below is a different CPU
    HostPageSource src;
    Objects c(src, "mags", 64, 8, /*rounds=*/4);
    std::vector<void*> objs;
    std::size_t cpu0 = cpu.id();
    {
        for (int i = 0; i < 20; ++i)
            objs.push_back(c.alloc());
        // Frees: loaded fills (4), a new loaded (previous = full), then each further 4 push the
        // full previous to the depot: 20 frees leave loaded 4, previous 4, depot 3 full.
        for (void* p : objs)
            c.free(p);
        CacheStats s = c.stats();
        EXPECT_EQ(s.live, 0u);
        EXPECT_EQ(s.depot_full, 3u);
        EXPECT_EQ(s.in_magazines, 20u);
    }
    std::thread t([&] {
        lf::HostCpu other;
        auto before = c.cpu_stats(other.id());
        std::set<void*> mine;
        // First alloc misses and loads a whole full magazine from the depot; the next 3 hit it.
        for (int i = 0; i < 4; ++i)
            mine.insert(c.alloc());
        auto after = c.cpu_stats(other.id());
        EXPECT_EQ(after.misses - before.misses, 1u);
        EXPECT_EQ(after.hits - before.hits, 3u);
        EXPECT_EQ(c.stats().depot_full, 2u);
        for (void* p : mine)
            EXPECT_TRUE(std::find(objs.begin(), objs.end(), p) != objs.end());
        for (void* p : mine)
            c.free(p);
        c.drain_local();
    });
    t.join();
    EXPECT_GT(c.cpu_stats(cpu0).hits, 0u);
    c.drain_all_quiescent();
    c.reap();
    CacheStats s = c.stats();
    EXPECT_EQ(s.slabs, 0u);
    EXPECT_EQ(s.pages, 0u);
    EXPECT_EQ(s.magazines, 0u);
    EXPECT_EQ(src.outstanding(), 0);
}

TEST(SlabCache, StatisticsTrackLiveFreeAndSlabs) {
    lf::HostCpu cpu;
    HostPageSource src;
    Objects c(src, "stats", 200);
    std::vector<void*> objs;
    for (int i = 0; i < 500; ++i)
        objs.push_back(c.alloc());
    CacheStats s = c.stats();
    EXPECT_STREQ(s.name, "stats");
    EXPECT_EQ(s.live, 500u);
    EXPECT_EQ(s.capacity, s.slabs * c.objects_per_slab());
    EXPECT_EQ(s.live + s.in_magazines + s.free_in_slabs, s.capacity);
    for (int i = 0; i < 250; ++i)
        c.free(objs[i]);
    s = c.stats();
    EXPECT_EQ(s.live, 250u);
    EXPECT_EQ(s.live + s.in_magazines + s.free_in_slabs, s.capacity);
    EXPECT_EQ(s.hits + s.misses, 750u);
    for (int i = 250; i < 500; ++i)
        c.free(objs[i]);
    EXPECT_GT(c.stats().pages, 0u);
    std::size_t returned = c.reap(); // depot only: per-CPU magazines stay
    (void)returned;
    c.drain_local();
    c.reap();
    s = c.stats();
    EXPECT_EQ(s.live, 0u);
    EXPECT_EQ(s.slabs, 0u);
    EXPECT_EQ(s.pages, 0u);
    EXPECT_EQ(src.outstanding(), 0);
}

TEST(SlabCache, ExhaustedPageSourceGivesNullptr) {
    lf::HostCpu cpu;
    HostPageSource src(/*budget_pages=*/2); // one page of magazines, one slab
    Objects c(src, "tiny", 512, 8, 4);
    std::vector<void*> objs;
    for (void* p; (p = c.alloc()) != nullptr;)
        objs.push_back(p);
    EXPECT_EQ(objs.size(), c.objects_per_slab());
    EXPECT_EQ(c.alloc(), nullptr);
    for (void* p : objs)
        c.free(p);
    c.drain_local();
    c.reap();
    EXPECT_EQ(src.outstanding(), 0);
}

TEST(SlabCache, RegistryListsCachesAndLiveObjects) {
    lf::HostCpu cpu;
    HostPageSource src;
    CacheRegistry<HostLock> reg;
    Objects a(src, "proc", 512), b(src, "thread", 256);
    reg.add(a.stats_node());
    reg.add(b.stats_node());
    void* x = a.alloc();
    void* y = b.alloc();
    void* z = b.alloc();
    EXPECT_EQ(reg.size(), 2u);
    EXPECT_EQ(reg.live_objects(), 3u);
    std::set<std::string> names;
    reg.for_each([&](const CacheStats& s) { names.insert(s.name); });
    EXPECT_EQ(names, (std::set<std::string>{"proc", "thread"}));
    a.free(x);
    b.free(y);
    b.free(z);
    EXPECT_EQ(reg.live_objects(), 0u);
    reg.remove(a.stats_node());
    reg.remove(b.stats_node());
    EXPECT_EQ(reg.size(), 0u);
}

TEST(SlabCache, WholeStackBalancesItsPageLedger) {
    lf::HostCpu cpu;
    MemStack<> m(2048, {.high = 32, .low = 8, .batch = 16});
    PageLedger before = m.ledger();
    {
        SlabCache<HP, HostLock, MemStack<>::Source> small(m.source, "small", 96);
        SlabCache<HP, HostLock, MemStack<>::Source> pt(m.source, "ptpage", 4096, 4096);
        std::vector<void*> a, b;
        for (int i = 0; i < 1000; ++i)
            a.push_back(small.alloc());
        for (int i = 0; i < 40; ++i) {
            void* p = pt.alloc();
            ASSERT_NE(p, nullptr);
            ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % 4096, 0u);
            std::memset(p, 0, 4096);
            b.push_back(p);
        }
        EXPECT_GT(m.ledger().in_use(), 0u);
        for (void* p : a)
            small.free(p);
        for (void* p : b)
            pt.free(p);
    } // the caches drain and reap on destruction
    m.cache.drain_local();
    PageLedger after = m.ledger();
    EXPECT_TRUE(after.balanced_with(before));
    EXPECT_EQ(m.buddy.free_pages(), 2048u);
    EXPECT_TRUE(m.buddy.check_invariants());
}

void free_into_the_wrong_pool() {
    HostPageSource src;
    Pool a(src, 64, 8);
    Pool b(src, 64, 8);
    b.free(a.alloc());
}

TEST(SlabDeathTest, ForeignPointerStops) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(free_into_the_wrong_pool(), "assertion failed");
}

} // namespace
} // namespace scythe::mm::test
