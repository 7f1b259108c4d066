// Stress test of lockfree/rcu.h: 16 threads play CPUs (on however few cores there are).
// Bounded by operation counts; no sleeps, no timing asserts. Invariants checked:
//  - a reader never sees a reclaimed object, and one it found stays intact until its section
//    ends (objects are poisoned when their callback runs and kept in a quarantine until the end,
//    so the poison check is meaningful; TSan also sees any missing happens-before edge between a
//    reader's loads and the poisoning writes);
//  - every queued callback runs exactly once (barrier at the end; counts match);
//  - grace periods keep completing while readers come and go (synchronize returns, counted).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "lockfree/host/platform.h"
#include "lockfree/rcu.h"

namespace {

using scythe::lf::HostCpu;
using scythe::lf::HostPlatform;
using scythe::lf::RcuHead;
using Rcu = scythe::lf::Rcu<HostPlatform>;

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kScale = 4; // sanitizers are 5-20x slower
#else
constexpr int kScale = 1;
#endif

constexpr std::uint64_t kLive = 0x11fe11fe11fe11feULL;
constexpr std::uint64_t kDead = 0xdeaddeaddeaddeadULL;
constexpr int kWords = 6;

struct Obj {
    RcuHead head; // first member: the callback casts back
    std::uint64_t magic;
    std::uint64_t seq;
    std::uint64_t words[kWords]; // words[i] == seq * (i + 1) while live
    std::atomic<std::uint64_t>* freed;
};

std::mutex g_quarantine_mu;
std::vector<Obj*>* g_quarantine;

void reclaim(RcuHead* h) {
    Obj* o = reinterpret_cast<Obj*>(h);
    // Plain writes: if a reader could still be looking (a broken grace period), TSan reports a
    // race here and the readers' magic check fails.
    o->magic = kDead;
    for (auto& w : o->words)
        w = kDead;
    o->freed->fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> g(g_quarantine_mu);
    g_quarantine->push_back(o);
}

Obj* make(std::uint64_t seq, std::atomic<std::uint64_t>* freed) {
    auto* o = new Obj;
    o->magic = kLive;
    o->seq = seq;
    for (int i = 0; i < kWords; ++i)
        o->words[i] = seq * static_cast<std::uint64_t>(i + 1);
    o->freed = freed;
    return o;
}

bool intact(const Obj* o) {
    if (o->magic != kLive)
        return false;
    for (int i = 0; i < kWords; ++i)
        if (o->words[i] != o->seq * static_cast<std::uint64_t>(i + 1))
            return false;
    return true;
}

TEST(RcuStress, ReadersNeverSeeReclaimedObjects) {
    constexpr int kThreads = 16;
    constexpr int kUpdaters = 4;
    constexpr int kSlots = 8;
    const int reader_sections = 300000 / kScale;
    const int updates = 30000 / kScale;

    std::vector<Obj*> quarantine;
    g_quarantine = &quarantine;
    auto rcu = std::make_unique<Rcu>();
    std::atomic<std::uint64_t> freed{0};
    std::atomic<std::uint64_t> retired{0};
    std::atomic<std::uint64_t> syncs{0};
    std::atomic<std::uint64_t> bad{0};
    std::atomic<std::uint64_t> sections{0};
    std::atomic<Obj*> slots[kSlots];
    for (int i = 0; i < kSlots; ++i)
        slots[i].store(make(i, &freed));

    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t) {
        ts.emplace_back([&, t] {
            HostCpu cpu;
            rcu->online();
            std::uint64_t x = 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(t + 1);
            auto rnd = [&x] {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                return x;
            };
            if (t < kUpdaters) {
                for (int i = 0; i < updates; ++i) {
                    Obj* fresh =
                        make((static_cast<std::uint64_t>(t) << 32) | static_cast<std::uint64_t>(i),
                             &freed);
                    Obj* old = slots[rnd() % kSlots].exchange(fresh, std::memory_order_acq_rel);
                    retired.fetch_add(1, std::memory_order_relaxed);
                    if (i % 64 == 0) {
                        // Synchronous reclamation now and then (counts as quiescent while waiting).
                        rcu->synchronize();
                        syncs.fetch_add(1, std::memory_order_relaxed);
                        reclaim(&old->head);
                    } else {
                        rcu->call_rcu(&old->head, reclaim);
                    }
                    rcu->quiescent_state();
                    if (i % 512 == 0)
                        rcu->barrier();
                }
            } else {
                for (int i = 0; i < reader_sections; ++i) {
                    {
                        Rcu::ReadGuard g(*rcu);
                        Obj* o = slots[rnd() % kSlots].load(std::memory_order_acquire);
                        if (!intact(o))
                            bad.fetch_add(1);
                        // Keep using it for a while: it must stay intact until the section ends.
                        for (int k = 0; k < 8; ++k) {
                            Obj* p = slots[rnd() % kSlots].load(std::memory_order_acquire);
                            if (!intact(p))
                                bad.fetch_add(1);
                        }
                        if (!intact(o))
                            bad.fetch_add(1);
                    }
                    sections.fetch_add(1, std::memory_order_relaxed);
                    if (i % 4 == 0)
                        rcu->quiescent_state();
                    // Readers come and go: some go offline for a while (an idle CPU, a blocked
                    // thread).
                    if (t % 3 == 0 && i % 1000 == 999) {
                        rcu->offline();
                        std::this_thread::yield();
                        rcu->online();
                    }
                }
            }
            rcu->offline();
        });
    }
    for (auto& th : ts)
        th.join();
    {
        HostCpu cpu;
        rcu->barrier(); // callbacks orphaned by the threads that went offline run here
        EXPECT_EQ(bad.load(), 0u) << "a reader saw a reclaimed or torn object";
        EXPECT_EQ(freed.load(), retired.load()) << "every retired object reclaimed exactly once";
        EXPECT_EQ(rcu->callbacks_invoked(), rcu->callbacks_queued());
        EXPECT_EQ(syncs.load(), static_cast<std::uint64_t>(kUpdaters * ((updates + 63) / 64)));
        EXPECT_GE(rcu->gp_completed(), syncs.load()) << "grace periods must keep completing";
        std::printf(
            "sections=%llu retired=%llu gp_requested=%llu gp_completed=%llu callbacks=%llu\n",
            static_cast<unsigned long long>(sections.load()),
            static_cast<unsigned long long>(retired.load()),
            static_cast<unsigned long long>(rcu->gp_seq()),
            static_cast<unsigned long long>(rcu->gp_completed()),
            static_cast<unsigned long long>(rcu->callbacks_invoked()));
    }
    for (auto& s : slots)
        delete s.load();
    for (Obj* o : quarantine) {
        EXPECT_EQ(o->magic, kDead);
        delete o;
    }
    g_quarantine = nullptr;
}

// Grace periods complete with every thread cycling online/offline and synchronizing; nobody
// ever stays offline for good, nobody is excluded.
TEST(RcuStress, ChurningOnlineOfflineWithSynchronize) {
    constexpr int kThreads = 16;
    const int rounds = 2000 / kScale;
    auto rcu = std::make_unique<Rcu>();
    std::atomic<std::uint64_t> done{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t) {
        ts.emplace_back([&, t] {
            HostCpu cpu;
            for (int i = 0; i < rounds; ++i) {
                rcu->online();
                { Rcu::ReadGuard g(*rcu); }
                rcu->quiescent_state();
                if ((i + t) % 4 == 0)
                    rcu->synchronize();
                rcu->offline();
                done.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }
    for (auto& th : ts)
        th.join();
    EXPECT_EQ(done.load(), static_cast<std::uint64_t>(kThreads * rounds));
    HostCpu cpu;
    EXPECT_GE(rcu->gp_completed(), static_cast<std::uint64_t>(kThreads * rounds / 4));
}

} // namespace
