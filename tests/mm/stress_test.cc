// Stress for the allocator stack (buddy -> per-CPU page caches -> magazine slab caches): 16
// threads play 16 CPUs (on however few cores), bounded by operation counts, no sleeps, no
// timing asserts. Objects and pages pass between threads through shared slots, so most frees
// are remote frees. Every page and object is stamped with an owner tag and a "live" mark that
// is swapped atomically on alloc and free: a second allocation of something live, or a free of
// something not live, is counted as an error. At the end everything is freed and drained, and
// the accounting must show that every page and every object came back.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <latch>
#include <random>
#include <thread>
#include <vector>

#include "tests/mm/mm_test_support.h"

namespace scythe::mm::test {
namespace {

constexpr int kThreads = 16;
constexpr std::uint64_t kLive = 0x5C17E000ull << 32; // high half of a live stamp
constexpr std::uint64_t kFreed = 0xF4EEDull << 32;
constexpr std::uint64_t kHighMask = 0xFFFFFFFFull << 32;

std::uint64_t make_tag(int thread, std::uint32_t seq) {
    return (static_cast<std::uint64_t>(thread) << 24) | (seq & 0xFFFFFF);
}

template <class Body>
void run_cpus(Body body) {
    std::latch start(kThreads);
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t) {
        ts.emplace_back([&, t] {
            lf::HostCpu cpu;
            start.arrive_and_wait(); // all CPUs start together: more overlap, more contention
            body(t);
        });
    }
    for (auto& th : ts)
        th.join();
}

TEST(MmStress, PagesAcrossCpusWithRemoteFrees) {
    constexpr std::size_t kPages = 2048;
    constexpr std::size_t kSlots = 1536;
    constexpr int kOps = 100000;
    // Small watermarks: refills and drains are frequent, so the buddy lock sees real traffic,
    // and memory is tight enough that some allocations fail (and must fail cleanly).
    MemStack<64> m(kPages, {.high = 24, .low = 8, .batch = 8});
    std::vector<std::atomic<std::uint8_t>> held(kPages);
    std::vector<std::atomic<pfn_t>> slots(kSlots);
    for (auto& s : slots)
        s.store(kNoPfn);
    std::atomic<int> errors{0};
    std::atomic<std::uint64_t> failures{0};

    auto take = [&](pfn_t p, std::uint64_t tag) {
        if (held[p - Arena::kBasePfn].exchange(1, std::memory_order_relaxed) != 0)
            errors++;
        auto* w = static_cast<std::uint64_t*>(m.arena.to_virt(p));
        w[0] = kLive | tag;
        w[kPageSize / 8 - 1] = tag;
    };
    auto give = [&](pfn_t p) {
        auto* w = static_cast<std::uint64_t*>(m.arena.to_virt(p));
        if ((w[0] & kHighMask) != kLive || (w[0] & ~kHighMask) != w[kPageSize / 8 - 1])
            errors++;
        w[0] = kFreed;
        if (held[p - Arena::kBasePfn].exchange(0, std::memory_order_relaxed) != 1)
            errors++;
        m.cache.free(p);
    };

    run_cpus([&](int t) {
        std::mt19937 rng(1000 + t);
        std::vector<pfn_t> local;
        for (int op = 0; op < kOps; ++op) {
            std::uint32_t r = rng();
            if (r % 4 == 0) { // private pages: local alloc/free
                if (local.size() < 32 && (r & 16)) {
                    pfn_t p = m.cache.alloc();
                    if (p == kNoPfn) {
                        failures++;
                        continue;
                    }
                    take(p, make_tag(t, op));
                    local.push_back(p);
                } else if (!local.empty()) {
                    give(local.back());
                    local.pop_back();
                }
            } else { // shared slots: whatever is found was most likely allocated by another CPU
                auto& slot = slots[(r >> 8) % kSlots];
                // acq_rel: the acquire pairs with the release of the thread that stored the page,
                // so its stamp is visible; the release publishes ours.
                pfn_t old = slot.exchange(kNoPfn, std::memory_order_acq_rel);
                if (old != kNoPfn) {
                    give(old);
                    continue;
                }
                pfn_t p = m.cache.alloc();
                if (p == kNoPfn) {
                    failures++;
                    continue;
                }
                take(p, make_tag(t, op));
                pfn_t prev = slot.exchange(p, std::memory_order_acq_rel);
                if (prev != kNoPfn)
                    give(prev);
            }
            if (op % 4096 == 4095)
                m.cache.drain_local();
        }
        for (pfn_t p : local)
            give(p);
    });

    lf::HostCpu cpu;
    for (auto& s : slots)
        if (pfn_t p = s.exchange(kNoPfn); p != kNoPfn)
            give(p);
    EXPECT_EQ(errors.load(), 0);
    PageCacheCpuStats st = m.cache.stats();
    EXPECT_GT(st.hits, 0u);
    EXPECT_GT(st.drains, 0u);
    EXPECT_EQ(st.failures, failures.load());
    EXPECT_EQ(m.ledger().in_use(), 0u);
    m.cache.drain_all_quiescent();
    EXPECT_EQ(m.cache.cached_pages(), 0u);
    EXPECT_EQ(m.buddy.free_pages(), kPages);
    EXPECT_EQ(m.buddy.free_blocks(Buddy::kMaxOrder), kPages >> Buddy::kMaxOrder);
    EXPECT_TRUE(m.buddy.check_invariants());
    for (auto& h : held)
        ASSERT_EQ(h.load(), 0);
}

TEST(MmStress, ObjectsAcrossCpusComeBackToTheBuddy) {
    constexpr std::size_t kPages = 4096;
    constexpr std::size_t kSlots = 1024;
    constexpr int kOps = 100000;
    using Source = MemStack<>::Source;
    using Objects = SlabCache<HP, HostLock, Source>;
    MemStack<> m(kPages, {.high = 48, .low = 16, .batch = 16});
    PageLedger before = m.ledger();
    std::atomic<int> errors{0};
    {
        // Sizes of the kernel's future clients: pid nodes, threads, page-table pages.
        Objects pid(m.source, "pid", 40);
        Objects thread(m.source, "thread", 320, 64);
        Objects ptpage(m.source, "ptpage", 4096, 4096);
        Objects* caches[3] = {&pid, &thread, &ptpage};
        const std::size_t sizes[3] = {40, 320, 4096};
        CacheRegistry<HostLock> reg;
        for (Objects* c : caches)
            reg.add(c->stats_node());

        struct Slot {
            std::atomic<void*> obj{nullptr};
        };
        std::vector<Slot> slots[3] = {std::vector<Slot>(kSlots), std::vector<Slot>(kSlots),
                                      std::vector<Slot>(kSlots / 8)};

        // Word 1 (word 0 is the slab free-list link while free) holds the live stamp; the last
        // word a copy of the tag.
        auto take = [&](int c, void* p, std::uint64_t tag) {
            auto* w = static_cast<std::uint64_t*>(p);
            std::uint64_t old = std::atomic_ref<std::uint64_t>(w[1]).exchange(kLive | tag);
            if ((old & kHighMask) == kLive)
                errors++; // handed out while still live
            w[sizes[c] / 8 - 1] = tag;
        };
        auto give = [&](int c, void* p) {
            auto* w = static_cast<std::uint64_t*>(p);
            std::uint64_t tag = w[sizes[c] / 8 - 1];
            std::uint64_t old = std::atomic_ref<std::uint64_t>(w[1]).exchange(kFreed);
            if (old != (kLive | tag))
                errors++; // not live, or overwritten by someone else
            caches[c]->free(p);
        };

        run_cpus([&](int t) {
            std::mt19937 rng(2000 + t);
            for (int op = 0; op < kOps; ++op) {
                std::uint32_t r = rng();
                int c = (r % 16) < 7 ? 0 : (r % 16) < 14 ? 1 : 2;
                auto& slot = slots[c][(r >> 8) % slots[c].size()];
                // acq_rel: as in the page stress, hands the stamp over with the object.
                void* old = slot.obj.exchange(nullptr, std::memory_order_acq_rel);
                if (old != nullptr) {
                    give(c, old);
                    continue;
                }
                void* p = caches[c]->alloc();
                if (p == nullptr) {
                    errors++; // this workload fits in memory: a failure here is a leak
                    continue;
                }
                take(c, p, make_tag(t, op));
                void* prev = slot.obj.exchange(p, std::memory_order_acq_rel);
                if (prev != nullptr)
                    give(c, prev);
                if (op % 8192 == 8191)
                    caches[c]->reap(); // reaping races with everything else
            }
        });

        lf::HostCpu cpu;
        for (int c = 0; c < 3; ++c)
            for (auto& s : slots[c])
                if (void* p = s.obj.exchange(nullptr); p != nullptr)
                    give(c, p);
        EXPECT_EQ(errors.load(), 0);
        EXPECT_EQ(reg.live_objects(), 0u);
        for (Objects* c : caches) {
            CacheStats s = c->stats();
            EXPECT_GT(s.hits, s.misses) << s.name; // magazines absorb most of the traffic
            c->drain_all_quiescent();
            c->reap();
            s = c->stats();
            EXPECT_EQ(s.live, 0u) << s.name;
            EXPECT_EQ(s.slabs, 0u) << s.name;
            EXPECT_EQ(s.pages, 0u) << s.name;
            EXPECT_EQ(s.magazines, 0u) << s.name;
            reg.remove(c->stats_node());
        }
    }
    m.cache.drain_all_quiescent();
    EXPECT_TRUE(m.ledger().balanced_with(before));
    EXPECT_EQ(m.buddy.free_pages(), kPages);
    EXPECT_TRUE(m.buddy.check_invariants());
}

} // namespace
} // namespace scythe::mm::test
