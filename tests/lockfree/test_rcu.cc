// Unit tests of lockfree/rcu.h on the host platform (threads play CPUs).
// No sleeps: every wait is on a condition another thread makes true.
#include "lockfree/rcu.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "lockfree/host/platform.h"

namespace {

using scythe::lf::HostCpu;
using scythe::lf::HostPlatform;
using scythe::lf::RcuHead;
using Rcu = scythe::lf::Rcu<HostPlatform>;

// Spin (yielding the host CPU) until pred() holds, reporting quiescent states if online.
template <class Pred>
void spin_until(Rcu* rcu, Pred pred) {
    while (!pred()) {
        if (rcu != nullptr)
            rcu->quiescent_state();
        std::this_thread::yield();
    }
}

struct Tracked {
    RcuHead head;
    int id = 0;
    std::vector<int>* log = nullptr;
    std::atomic<int>* count = nullptr;
};

void tracked_cb(RcuHead* h) {
    auto* t = reinterpret_cast<Tracked*>(h); // head is the first member
    if (t->log != nullptr)
        t->log->push_back(t->id);
    if (t->count != nullptr)
        t->count->fetch_add(1, std::memory_order_relaxed);
}

TEST(Rcu, SynchronizeWithNoReaders) {
    HostCpu cpu;
    auto rcu = std::make_unique<Rcu>();
    const auto before = rcu->gp_completed();
    rcu->synchronize();
    EXPECT_GT(rcu->gp_completed(), before);
    rcu->online();
    rcu->synchronize(); // an online caller counts as quiescent while it waits
    rcu->synchronize();
    rcu->offline();
    EXPECT_GE(rcu->gp_completed(), before + 3);
}

TEST(Rcu, ReadSectionsNestAndCostNothing) {
    HostCpu cpu;
    auto rcu = std::make_unique<Rcu>();
    Rcu::OnlineScope on(*rcu);
    rcu->read_lock();
    rcu->read_lock();
    rcu->read_unlock();
    rcu->read_unlock();
    { Rcu::ReadGuard g(*rcu); }
    rcu->quiescent_state();
    EXPECT_EQ(rcu->callbacks_queued(), 0u);
}

// A grace period cannot end while a reader is in its section; it ends once the reader reports.
TEST(Rcu, GracePeriodWaitsForReaderInSection) {
    HostCpu cpu;
    auto rcu = std::make_unique<Rcu>();
    std::atomic<int> phase{0};
    std::atomic<bool> sync_done{false};
    std::thread reader([&] {
        HostCpu c;
        Rcu::OnlineScope on(*rcu);
        rcu->read_lock();
        phase.store(1);
        spin_until(nullptr, [&] { return phase.load() == 2; });
        // The updater is inside synchronize(); it must not return while we are in the section.
        for (int i = 0; i < 2000; ++i) {
            ASSERT_FALSE(sync_done.load());
            std::this_thread::yield();
        }
        rcu->read_unlock();
        spin_until(rcu.get(), [&] { return sync_done.load(); });
    });
    spin_until(nullptr, [&] { return phase.load() == 1; });
    const auto cookie = rcu->start_poll();
    for (int i = 0; i < 100; ++i)
        EXPECT_FALSE(rcu->poll(cookie));
    std::thread updater([&] {
        HostCpu c;
        phase.store(2);
        rcu->synchronize();
        sync_done.store(true);
    });
    updater.join();
    reader.join();
    EXPECT_TRUE(rcu->poll(cookie));
}

// Two online readers that both call synchronize(): each counts as quiescent while waiting.
TEST(Rcu, SynchronizeFromOnlineReadersDoesNotDeadlock) {
    auto rcu = std::make_unique<Rcu>();
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
        ts.emplace_back([&] {
            HostCpu c;
            Rcu::OnlineScope on(*rcu);
            for (int i = 0; i < 200; ++i) {
                { Rcu::ReadGuard g(*rcu); }
                rcu->synchronize();
                rcu->quiescent_state();
            }
        });
    }
    for (auto& t : ts)
        t.join();
    HostCpu cpu;
    EXPECT_GE(rcu->gp_completed(), 200u);
}

// A thread that went offline (and then blocks) does not stall grace periods.
TEST(Rcu, OfflineThreadDoesNotStall) {
    HostCpu cpu;
    auto rcu = std::make_unique<Rcu>();
    std::atomic<int> phase{0};
    std::thread sleeper([&] {
        HostCpu c;
        rcu->online();
        { Rcu::ReadGuard g(*rcu); }
        rcu->offline();
        phase.store(1);
        spin_until(nullptr, [&] { return phase.load() == 2; }); // "blocked" for the whole test
    });
    spin_until(nullptr, [&] { return phase.load() == 1; });
    for (int i = 0; i < 100; ++i)
        rcu->synchronize();
    EXPECT_GE(rcu->gp_completed(), 100u);
    phase.store(2);
    sleeper.join();
}

// Callbacks queued on one CPU run in FIFO order, after a grace period.
TEST(Rcu, CallRcuRunsInOrder) {
    HostCpu cpu;
    auto rcu = std::make_unique<Rcu>();
    Rcu::OnlineScope on(*rcu);
    std::vector<int> log;
    std::vector<Tracked> objs(300);
    for (int i = 0; i < 300; ++i) {
        objs[i].id = i;
        objs[i].log = &log;
        rcu->call_rcu(&objs[i].head, tracked_cb);
        if (i % 7 == 0)
            rcu->quiescent_state(); // several batches in flight
    }
    while (log.size() < objs.size())
        rcu->quiescent_state();
    ASSERT_EQ(log.size(), objs.size());
    for (int i = 0; i < 300; ++i)
        EXPECT_EQ(log[i], i);
    EXPECT_EQ(rcu->callbacks_invoked(), 300u);
    EXPECT_EQ(rcu->callbacks_queued(), 300u);
}

// No callback runs while another CPU is still in a section that began before it was queued.
TEST(Rcu, CallRcuWaitsForReaders) {
    HostCpu cpu;
    auto rcu = std::make_unique<Rcu>();
    Rcu::OnlineScope on(*rcu);
    std::atomic<int> phase{0};
    std::atomic<int> count{0};
    std::thread reader([&] {
        HostCpu c;
        Rcu::OnlineScope on2(*rcu);
        rcu->read_lock();
        phase.store(1);
        spin_until(nullptr, [&] { return phase.load() == 2; });
        rcu->read_unlock();
        spin_until(rcu.get(), [&] { return phase.load() == 3; });
    });
    spin_until(nullptr, [&] { return phase.load() == 1; });
    Tracked t;
    t.count = &count;
    rcu->call_rcu(&t.head, tracked_cb);
    for (int i = 0; i < 1000; ++i) {
        rcu->quiescent_state();
        ASSERT_EQ(count.load(), 0);
    }
    phase.store(2);
    spin_until(rcu.get(), [&] { return count.load() == 1; });
    phase.store(3);
    reader.join();
}

// A callback may queue another callback (re-queued on the same CPU, runs later).
TEST(Rcu, CallbackMayCallRcu) {
    HostCpu cpu;
    static auto* g_rcu = new Rcu();
    struct Chain {
        RcuHead head;
        int left;
        std::atomic<int>* runs;
    };
    std::atomic<int> runs{0};
    Chain c{{}, 10, &runs};
    g_rcu->online();
    g_rcu->call_rcu(&c.head, [](RcuHead* h) {
        auto* ch = reinterpret_cast<Chain*>(h);
        ch->runs->fetch_add(1);
        if (--ch->left > 0)
            g_rcu->call_rcu(h, h->fn);
    });
    spin_until(g_rcu, [&] { return runs.load() == 10; });
    g_rcu->offline();
    delete g_rcu;
}

// rcu_barrier: every callback queued anywhere before it has run when it returns, including
// callbacks left by CPUs that went offline (orphans).
TEST(Rcu, BarrierWaitsForAllCpus) {
    constexpr int kThreads = 6;
    constexpr int kPer = 500;
    auto rcu = std::make_unique<Rcu>();
    std::atomic<int> count{0};
    std::atomic<int> queued{0};
    std::atomic<bool> stop{false};
    std::vector<std::vector<Tracked>> objs(kThreads, std::vector<Tracked>(kPer));
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t) {
        ts.emplace_back([&, t] {
            HostCpu c;
            rcu->online();
            for (int i = 0; i < kPer; ++i) {
                objs[t][i].count = &count;
                rcu->call_rcu(&objs[t][i].head, tracked_cb);
            }
            queued.fetch_add(1);
            if (t % 2 == 0) {
                rcu->offline(); // leaves its callbacks to the orphan list
                return;
            }
            spin_until(rcu.get(), [&] { return stop.load(); });
            rcu->offline();
        });
    }
    {
        HostCpu cpu;
        spin_until(nullptr, [&] { return queued.load() == kThreads; });
        rcu->barrier();
        EXPECT_EQ(count.load(), kThreads * kPer);
        EXPECT_EQ(rcu->callbacks_invoked(), static_cast<std::uint64_t>(kThreads * kPer));
    }
    stop.store(true);
    for (auto& t : ts)
        t.join();
}

// call_rcu from an offline CPU goes straight to the orphan list and still runs.
TEST(Rcu, CallRcuWhileOffline) {
    HostCpu cpu;
    auto rcu = std::make_unique<Rcu>();
    std::atomic<int> count{0};
    Tracked t;
    t.count = &count;
    rcu->call_rcu(&t.head, tracked_cb);
    rcu->barrier();
    EXPECT_EQ(count.load(), 1);
}

TEST(Rcu, QuiescentStateInsideSectionIsCaught) {
    if (!scythe::lf::kDebugChecks)
        GTEST_SKIP() << "debug checks are off (NDEBUG)";
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            HostCpu cpu;
            Rcu* rcu = new Rcu();
            rcu->online();
            rcu->read_lock();
            rcu->quiescent_state();
        },
        "nesting");
}

} // namespace
