// Stress tests of lockfree/rcu_hash.h: 16 threads play CPUs; bounded by operation counts.
//  - Lookups never return a wrong key or a reclaimed node, and a found node stays intact until
//    the section ends, while inserts, removes and resizes (grow and shrink) run. Removed nodes
//    are poisoned by their RCU callback and quarantined until the end.
//  - The insert/remove/lookup history of a concurrent run (with resizes going on) is
//    linearizable as a set, checked key by key (tests/lockfree/linearizability.h).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "lockfree/host/platform.h"
#include "lockfree/rcu_hash.h"
#include "tests/lockfree/linearizability.h"

namespace {

using scythe::lf::HostCpu;
using scythe::lf::HostPlatform;
using scythe::lf::RcuHashNode;
using scythe::lf::RcuHead;
using Rcu = scythe::lf::Rcu<HostPlatform>;

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kScale = 4;
#else
constexpr int kScale = 1;
#endif

constexpr std::uint64_t kLive = 0x11fe11fe11fe11feULL;
constexpr std::uint64_t kDead = 0xdeaddeaddeaddeadULL;

struct Proc;
struct ProcRcu { // standard layout: the callback gets back to its Proc through `owner`
    RcuHead head;
    Proc* owner;
};
struct Proc : RcuHashNode<> {
    std::uint64_t pid = 0;
    std::uint64_t magic = kLive;
    std::uint64_t check = 0; // ~pid while live
    ProcRcu rh{{}, this};
};

struct Traits {
    using Key = std::uint64_t;
    static Key key(const Proc& p) { return p.pid; }
    static std::uint64_t hash(Key k) { return scythe::lf::hash_mix64(k); }
};

struct HeapAlloc {
    void* allocate(std::size_t n, std::size_t align) noexcept {
        return ::operator new (n, std::align_val_t{align}, std::nothrow);
    }
    void deallocate(void* p, std::size_t, std::size_t align) noexcept {
        ::operator delete (p, std::align_val_t{align});
    }
};

using Table = scythe::lf::RcuHashTable<Proc, Traits, Rcu, HeapAlloc>;

std::mutex g_mu;
std::vector<Proc*> g_quarantine;
std::atomic<std::uint64_t> g_reclaimed{0};

Proc* make(std::uint64_t pid) {
    auto* p = new Proc;
    p->pid = pid;
    p->check = ~pid;
    return p;
}

void reclaim(RcuHead* h) {
    Proc* p = reinterpret_cast<ProcRcu*>(h)->owner;
    p->magic = kDead; // plain writes: TSan flags any reader still looking
    p->check = kDead;
    g_reclaimed.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> g(g_mu);
    g_quarantine.push_back(p);
}

void free_quarantine() {
    std::lock_guard<std::mutex> g(g_mu);
    for (Proc* p : g_quarantine)
        delete p;
    g_quarantine.clear();
}

// splitmix64: consecutive outputs are independent (xorshift's are not: the low bit of one
// output is a function of the previous one's low bits, which made "insert" and "remove" pick
// disjoint keys).
struct Rng {
    std::uint64_t x;
    std::uint64_t operator()() {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
};

bool intact(const Proc* p, std::uint64_t key) {
    return p->magic == kLive && p->pid == key && p->check == ~key;
}

TEST(RcuHashStress, LookupsNeverSeeWrongOrReclaimedNodes) {
    constexpr int kReaders = 9, kUpdaters = 5; // + 1 resizer + 1 reader that goes offline = 16
    constexpr std::uint64_t kKeys = 2048;
    const int reader_ops = 100000 / kScale;
    const int updater_ops = 20000 / kScale;
    const int resizes = 300 / kScale;

    HostCpu main_cpu;
    auto rcu = std::make_unique<Rcu>();
    auto t = std::make_unique<Table>(*rcu, HeapAlloc{}, 4);
    std::atomic<std::uint64_t> bad{0}, found{0}, inserted{0}, removed{0};
    std::vector<std::thread> ts;

    // Keys kKeys .. kKeys + kStable - 1 are inserted before the threads start and never removed
    // by updaters: every reader must find them whatever the interleaving (random keys alone may
    // all miss when, under a sanitizer on a loaded host, readers finish before updaters start).
    constexpr std::uint64_t kStable = 64;
    {
        Rcu::OnlineScope on(*rcu);
        for (std::uint64_t k = kKeys; k < kKeys + kStable; ++k)
            ASSERT_TRUE(t->insert(make(k)));
    }

    auto reader = [&](int id, bool churn) {
        HostCpu cpu;
        rcu->online();
        Rng rnd{0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(id + 1)};
        for (int i = 0; i < reader_ops; ++i) {
            {
                Rcu::ReadGuard g(*rcu);
                const std::uint64_t stable = kKeys + static_cast<std::uint64_t>(i) % kStable;
                if (Proc* s = t->lookup(stable); s != nullptr && intact(s, stable))
                    found.fetch_add(1, std::memory_order_relaxed);
                else
                    bad.fetch_add(1); // a stable key is always present
                const std::uint64_t k = rnd() % kKeys;
                if (Proc* p = t->lookup(k)) {
                    found.fetch_add(1, std::memory_order_relaxed);
                    if (!intact(p, k))
                        bad.fetch_add(1);
                    // Use it a little longer, then check it is still intact.
                    for (int j = 0; j < 4; ++j) {
                        const std::uint64_t k2 = rnd() % kKeys;
                        if (Proc* q = t->lookup(k2); q != nullptr && !intact(q, k2))
                            bad.fetch_add(1);
                    }
                    if (!intact(p, k))
                        bad.fetch_add(1);
                }
                if (i % 256 == 0) {
                    t->for_each_in_bucket(rnd() % t->bucket_count(), [&](Proc& q) {
                        if (!intact(&q, q.pid))
                            bad.fetch_add(1);
                    });
                }
            }
            if (i % 8 == 0)
                rcu->quiescent_state();
            if (churn && i % 500 == 499) {
                rcu->offline();
                std::this_thread::yield();
                rcu->online();
            }
        }
        rcu->offline();
    };
    for (int r = 0; r < kReaders; ++r)
        ts.emplace_back(reader, r, false);
    ts.emplace_back(reader, 100, true);
    for (int u = 0; u < kUpdaters; ++u) {
        ts.emplace_back([&, u] {
            HostCpu cpu;
            Rcu::OnlineScope on(*rcu);
            Rng rnd{0x2545f4914f6cdd1dULL * static_cast<std::uint64_t>(u + 7)};
            for (int i = 0; i < updater_ops; ++i) {
                const std::uint64_t k = rnd() % kKeys;
                if (rnd() & 1) {
                    Proc* p = make(k);
                    if (t->insert(p)) {
                        inserted.fetch_add(1, std::memory_order_relaxed);
                    } else {
                        delete p; // never published
                    }
                } else if (Proc* p = t->remove(k)) {
                    if (!intact(p, k))
                        bad.fetch_add(1);
                    removed.fetch_add(1, std::memory_order_relaxed);
                    rcu->call_rcu(&p->rh.head, reclaim);
                }
                if (i % 16 == 0)
                    rcu->quiescent_state();
            }
        });
    }
    ts.emplace_back([&] {
        HostCpu cpu;
        Rcu::OnlineScope on(*rcu);
        Rng rnd{12345};
        for (int i = 0; i < resizes; ++i) {
            if (i % 3 == 0) {
                t->auto_resize();
            } else {
                // 8 .. 4096 buckets (1 bucket holding ~1000 keys only measures ticket-lock
                // convoys).
                t->resize(3 + static_cast<unsigned>(rnd() % 10));
            }
            rcu->quiescent_state();
        }
    });
    for (auto& th : ts)
        th.join();

    rcu->barrier();
    EXPECT_EQ(bad.load(), 0u);
    EXPECT_GT(found.load(), 0u);
    EXPECT_EQ(t->size(), inserted.load() - removed.load() + kStable);
    EXPECT_EQ(g_reclaimed.load(), removed.load());
    std::printf("found=%llu inserted=%llu removed=%llu order=%u gp=%llu\n",
                static_cast<unsigned long long>(found.load()),
                static_cast<unsigned long long>(inserted.load()),
                static_cast<unsigned long long>(removed.load()), t->order(),
                static_cast<unsigned long long>(rcu->gp_completed()));
    // Tear down: unlink what is left, then free it all (nobody else is running). Online: the
    // walks below are read-side sections.
    Rcu::OnlineScope on(*rcu);
    std::vector<Proc*> rest;
    {
        Rcu::ReadGuard g(*rcu);
        t->for_each([&](Proc& p) { rest.push_back(&p); });
    }
    for (Proc* p : rest)
        ASSERT_TRUE(t->remove(p));
    EXPECT_EQ(t->size(), 0u);
    for (Proc* p : rest)
        delete p;
    t.reset();
    free_quarantine();
}

TEST(RcuHashStress, HistoryIsLinearizable) {
    using scythe::lin::Entry;
    using scythe::lin::SetModel;
    constexpr int kThreads = 8;
    constexpr std::uint64_t kKeys = 32;
    const int ops = 8000 / kScale;

    HostCpu main_cpu;
    auto rcu = std::make_unique<Rcu>();
    auto t = std::make_unique<Table>(*rcu, HeapAlloc{}, 1);
    scythe::lin::Clock clock;
    std::vector<std::vector<Entry<SetModel::Op>>> logs(kThreads);
    std::atomic<bool> stop{false};
    std::atomic<int> ready{0};
    std::vector<std::thread> ts;
    for (int th = 0; th < kThreads; ++th) {
        ts.emplace_back([&, th] {
            HostCpu cpu;
            Rcu::OnlineScope on(*rcu);
            // Start together so that operations really overlap (the gate is not a timing
            // assumption: the test is correct whatever the interleaving).
            ready.fetch_add(1);
            while (ready.load() < kThreads)
                std::this_thread::yield();
            Rng rnd{0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(th + 3)};
            auto& log = logs[static_cast<std::size_t>(th)];
            // Yield inside some operations' intervals, so that histories overlap even when the
            // machine runs one thread at a time (perturbation only; nothing waits on it).
            auto perturb = [](int i) {
                if (i % 16 == 5)
                    std::this_thread::yield();
            };
            log.reserve(static_cast<std::size_t>(ops));
            for (int i = 0; i < ops; ++i) {
                Entry<SetModel::Op> e;
                e.op.key = rnd() % kKeys;
                const std::uint64_t what = rnd() % 3;
                if (what == 0) {
                    e.op.kind = SetModel::Kind::kInsert;
                    Proc* p = make(e.op.key);
                    e.invoke = clock.tick();
                    perturb(i);
                    e.op.result = t->insert(p);
                    e.response = clock.tick();
                    if (!e.op.result)
                        delete p;
                } else if (what == 1) {
                    e.op.kind = SetModel::Kind::kRemove;
                    e.invoke = clock.tick();
                    perturb(i);
                    Proc* p = t->remove(e.op.key);
                    e.response = clock.tick();
                    e.op.result = p != nullptr;
                    if (p != nullptr)
                        rcu->call_rcu(&p->rh.head, reclaim);
                } else {
                    e.op.kind = SetModel::Kind::kLookup;
                    Rcu::ReadGuard g(*rcu);
                    e.invoke = clock.tick();
                    perturb(i);
                    Proc* p = t->lookup(e.op.key);
                    e.response = clock.tick();
                    e.op.result = p != nullptr;
                    if (p != nullptr && !intact(p, e.op.key))
                        ADD_FAILURE() << "bad node";
                }
                log.push_back(e);
                if (i % 4 == 0)
                    rcu->quiescent_state();
            }
        });
    }
    std::thread resizer([&] {
        HostCpu cpu;
        Rcu::OnlineScope on(*rcu);
        unsigned o = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            t->resize(o);
            o = (o + 3) % 7;
            rcu->quiescent_state();
        }
    });
    for (auto& th : ts)
        th.join();
    stop.store(true);
    resizer.join();
    rcu->barrier();

    Rcu::OnlineScope on(*rcu); // the teardown walks below are read-side sections
    std::vector<Entry<SetModel::Op>> all;
    for (auto& l : logs)
        all.insert(all.end(), l.begin(), l.end());
    std::uint64_t bad_key = ~0ULL;
    EXPECT_TRUE(scythe::lin::check_set_history(all, &bad_key)) << "key " << bad_key;
    // How much did operations overlap? (Informative: a history with no overlap proves little.)
    std::uint64_t overlapped = 0;
    for (std::size_t i = 1; i < all.size(); ++i)
        overlapped += all[i].response - all[i].invoke > 1;
    std::printf("ops=%zu with another op inside their interval=%llu\n", all.size(),
                static_cast<unsigned long long>(overlapped));

    std::vector<Proc*> rest;
    {
        Rcu::ReadGuard g(*rcu);
        t->for_each([&](Proc& p) { rest.push_back(&p); });
    }
    for (Proc* p : rest)
        ASSERT_TRUE(t->remove(p));
    for (Proc* p : rest)
        delete p;
    t.reset();
    free_quarantine();
}

} // namespace
