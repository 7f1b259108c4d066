// Unit tests of lockfree/rcu_hash.h on the host platform.
#include "lockfree/rcu_hash.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <new>
#include <set>
#include <thread>
#include <vector>

#include "lockfree/host/platform.h"

namespace {

using scythe::lf::HostCpu;
using scythe::lf::HostPlatform;
using scythe::lf::RcuHashNode;
using Rcu = scythe::lf::Rcu<HostPlatform>;

struct Proc : RcuHashNode<> {
    explicit Proc(std::uint64_t p = 0) : pid(p) {}
    std::uint64_t pid;
};

struct MixTraits {
    using Key = std::uint64_t;
    static Key key(const Proc& p) { return p.pid; }
    static std::uint64_t hash(Key k) { return scythe::lf::hash_mix64(k); }
};
struct IdentityTraits { // pids hash to themselves: buckets are the low bits
    using Key = std::uint64_t;
    static Key key(const Proc& p) { return p.pid; }
    static std::uint64_t hash(Key k) { return k; }
};
struct CollideTraits { // every key collides: one run, equality decides
    using Key = std::uint64_t;
    static Key key(const Proc& p) { return p.pid; }
    static std::uint64_t hash(Key) { return 42; }
};

struct CountingAlloc {
    std::atomic<std::int64_t>* live;
    void* allocate(std::size_t n, std::size_t align) noexcept {
        live->fetch_add(static_cast<std::int64_t>(n));
        return ::operator new (n, std::align_val_t{align}, std::nothrow);
    }
    void deallocate(void* p, std::size_t n, std::size_t align) noexcept {
        live->fetch_sub(static_cast<std::int64_t>(n));
        ::operator delete (p, std::align_val_t{align});
    }
};

template <class Traits>
using Table = scythe::lf::RcuHashTable<Proc, Traits, Rcu, CountingAlloc>;

template <class Traits>
struct Fixture {
    HostCpu cpu;
    std::atomic<std::int64_t> live{0};
    std::unique_ptr<Rcu> rcu = std::make_unique<Rcu>();
    std::unique_ptr<Table<Traits>> t;
    explicit Fixture(unsigned order = 0)
        : t(std::make_unique<Table<Traits>>(*rcu, CountingAlloc{&live}, order)) {
        rcu->online();
    }
    ~Fixture() {
        t.reset();
        rcu->offline();
        EXPECT_EQ(live.load(), 0) << "bucket levels leaked";
    }
};

template <class Traits>
void check_contents(Table<Traits>& t, Rcu& rcu, const std::deque<Proc>& procs,
                    const std::set<std::uint64_t>& present) {
    Rcu::ReadGuard g(rcu);
    for (const auto& p : procs) {
        Proc* f = t.lookup(p.pid);
        if (present.count(p.pid) != 0) {
            ASSERT_EQ(f, &p) << p.pid;
        } else {
            ASSERT_EQ(f, nullptr) << p.pid;
        }
    }
    // Every node is visited exactly once, in the bucket it hashes to.
    std::size_t seen = 0;
    for (std::size_t b = 0; b < t.bucket_count(); ++b) {
        t.for_each_in_bucket(b, [&](Proc& p) {
            EXPECT_EQ(t.bucket_of(p.pid), b);
            EXPECT_EQ(present.count(p.pid), 1u);
            ++seen;
        });
    }
    EXPECT_EQ(seen, present.size());
    std::size_t all = 0;
    t.for_each([&](Proc&) { ++all; });
    EXPECT_EQ(all, present.size());
    EXPECT_EQ(t.size(), present.size());
}

TEST(RcuHash, InsertLookupRemoveDuplicates) {
    Fixture<MixTraits> f;
    Proc a(1), b(2), a2(1);
    EXPECT_TRUE(f.t->insert(&a));
    EXPECT_TRUE(f.t->insert(&b));
    EXPECT_FALSE(f.t->insert(&a2)) << "duplicate key must be rejected";
    EXPECT_EQ(f.t->size(), 2u);
    {
        Rcu::ReadGuard g(*f.rcu);
        EXPECT_EQ(f.t->lookup(1), &a);
        EXPECT_EQ(f.t->lookup(2), &b);
        EXPECT_EQ(f.t->lookup(3), nullptr);
    }
    EXPECT_EQ(f.t->remove(1), &a);
    EXPECT_EQ(f.t->remove(1), nullptr);
    EXPECT_FALSE(f.t->remove(&a));
    EXPECT_TRUE(f.t->remove(&b));
    EXPECT_EQ(f.t->size(), 0u);
    f.rcu->synchronize(); // now a and b may be reused
    EXPECT_TRUE(f.t->insert(&a2));
    EXPECT_EQ(f.t->remove(1), &a2);
}

TEST(RcuHash, EmptyTable) {
    Fixture<MixTraits> f;
    Rcu::ReadGuard g(*f.rcu);
    EXPECT_EQ(f.t->lookup(0), nullptr);
    EXPECT_EQ(f.t->size(), 0u);
    int n = 0;
    f.t->for_each([&](Proc&) { ++n; });
    f.t->for_each_in_bucket(0, [&](Proc&) { ++n; });
    EXPECT_EQ(n, 0);
}

template <class Traits>
void grow_shrink_keeps_everything(unsigned initial) {
    Fixture<Traits> f(initial);
    std::deque<Proc> procs;
    for (std::uint64_t i = 0; i < 1000; ++i)
        procs.emplace_back(i * 3 + 1);
    std::set<std::uint64_t> present;
    for (std::size_t i = 0; i < procs.size(); i += 2) {
        ASSERT_TRUE(f.t->insert(&procs[i]));
        present.insert(procs[i].pid);
    }
    check_contents(*f.t, *f.rcu, procs, present);
    for (unsigned o : {3u, 7u, 10u, 2u, 0u, 9u, 4u}) {
        ASSERT_TRUE(f.t->resize(o));
        EXPECT_EQ(f.t->bucket_count(), std::size_t{1} << o);
        check_contents(*f.t, *f.rcu, procs, present);
        // Update at this order, then check again.
        for (std::size_t i = o % 3; i < procs.size(); i += 5) {
            if (present.erase(procs[i].pid) != 0) {
                ASSERT_EQ(f.t->remove(procs[i].pid), &procs[i]);
            } else {
                ASSERT_TRUE(f.t->insert(&procs[i]));
                present.insert(procs[i].pid);
            }
        }
        f.rcu->synchronize(); // removed nodes may be re-inserted after this
        check_contents(*f.t, *f.rcu, procs, present);
    }
    for (auto& p : procs) {
        if (present.count(p.pid) != 0) {
            ASSERT_TRUE(f.t->remove(&p));
        }
    }
    EXPECT_EQ(f.t->size(), 0u);
}

TEST(RcuHash, GrowShrinkMixedHash) {
    grow_shrink_keeps_everything<MixTraits>(0);
}
TEST(RcuHash, GrowShrinkIdentityHash) {
    grow_shrink_keeps_everything<IdentityTraits>(5);
}
TEST(RcuHash, AllKeysCollide) {
    grow_shrink_keeps_everything<CollideTraits>(2);
}

TEST(RcuHash, AutoResizeFollowsLoad) {
    Fixture<MixTraits> f;
    std::deque<Proc> procs;
    for (std::uint64_t i = 0; i < 4096; ++i)
        procs.emplace_back(i);
    for (auto& p : procs) {
        ASSERT_TRUE(f.t->insert(&p));
        f.t->auto_resize();
    }
    EXPECT_GE(f.t->bucket_count() * decltype(f.t)::element_type::kGrowLoad, procs.size() / 2);
    const unsigned grown = f.t->order();
    EXPECT_GE(grown, 10u);
    for (auto& p : procs) {
        ASSERT_TRUE(f.t->remove(&p));
        f.t->auto_resize();
    }
    EXPECT_LT(f.t->order(), grown);
    EXPECT_LE(f.t->order(), 3u); // below 8 buckets, 1/8 per bucket rounds to zero
}

// Lookups on other CPUs never miss a present key or find an absent one while the table grows
// and shrinks and a disjoint key range churns.
TEST(RcuHash, ResizeDuringLookups) {
    constexpr int kReaders = 3;
    constexpr std::uint64_t kStable = 512;
    HostCpu cpu;
    std::atomic<std::int64_t> live{0};
    auto rcu = std::make_unique<Rcu>();
    rcu->online();
    auto t = std::make_unique<Table<MixTraits>>(*rcu, CountingAlloc{&live}, 2);
    std::deque<Proc> stable, churn;
    for (std::uint64_t i = 0; i < kStable; ++i)
        stable.emplace_back(2 * i); // even: present
    for (std::uint64_t i = 0; i < kStable; ++i)
        churn.emplace_back(2 * i + 1); // odd: come and go
    for (auto& p : stable)
        ASSERT_TRUE(t->insert(&p));
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> lookups{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r) {
        readers.emplace_back([&, r] {
            HostCpu c;
            Rcu::OnlineScope on2(*rcu);
            std::uint64_t i = static_cast<std::uint64_t>(r) * 97;
            // do-while: every reader checks at least one batch even if it starts after `stop`.
            do {
                {
                    Rcu::ReadGuard g(*rcu);
                    for (int k = 0; k < 64; ++k, ++i) {
                        const std::uint64_t key = 2 * (i % kStable);
                        Proc* p = t->lookup(key);
                        ASSERT_NE(p, nullptr) << key;
                        ASSERT_EQ(p->pid, key);
                        Proc* q = t->lookup(key + 1); // churn key: absent or itself
                        if (q != nullptr) {
                            ASSERT_EQ(q->pid, key + 1);
                        }
                        ASSERT_EQ(t->lookup(10 * kStable + key), nullptr);
                    }
                }
                lookups.fetch_add(64, std::memory_order_relaxed);
                rcu->quiescent_state();
            } while (!stop.load(std::memory_order_relaxed));
        });
    }
    std::thread churner([&] {
        HostCpu c;
        Rcu::OnlineScope on2(*rcu);
        for (int round = 0; round < 20; ++round) {
            for (auto& p : churn)
                ASSERT_TRUE(t->insert(&p));
            for (auto& p : churn)
                ASSERT_TRUE(t->remove(&p));
            rcu->synchronize(); // before re-inserting the same nodes
        }
    });
    for (int round = 0; round < 40; ++round) {
        const unsigned o = static_cast<unsigned>((round * 7) % 11);
        while (!t->resize(o)) {
        }
        rcu->quiescent_state();
    }
    // Offline before blocking in join(): an online CPU that stops reporting quiescent states
    // would stall the churner's synchronize() forever (the QSBR contract).
    rcu->offline();
    churner.join();
    stop.store(true);
    for (auto& th : readers)
        th.join();
    EXPECT_GT(lookups.load(), 0u);
    EXPECT_EQ(t->size(), kStable);
    t.reset();
    EXPECT_EQ(live.load(), 0);
}

} // namespace
