// HostPlatform: CPU slot registration, guards, the assertion hook and the Event count.
#include "lockfree/host/platform.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <set>
#include <thread>
#include <vector>

#include "lists_test_util.h"
#include "lockfree/cache.h"
#include "lockfree/platform.h"

namespace scythe::lf {
namespace {

using P = HostPlatform;

static_assert(Platform<HostPlatform>);
static_assert(sizeof(CacheAligned<std::uint64_t>) == kCacheLine);
static_assert(alignof(CacheAligned<char[100]>) == kCacheLine);
static_assert(sizeof(CacheAligned<char[100]>) == 2 * kCacheLine);

TEST(HostPlatform, RegisterGivesLowestFreeSlot) {
    EXPECT_FALSE(P::is_registered());
    {
        HostCpu a;
        EXPECT_TRUE(P::is_registered());
        EXPECT_EQ(a.id(), 0u);
        EXPECT_EQ(P::cpu_id(), 0u);
        EXPECT_TRUE(P::cpu_online(0));
        EXPECT_EQ(P::online_count(), 1u);
    }
    EXPECT_FALSE(P::is_registered());
    EXPECT_FALSE(P::cpu_online(0));
    EXPECT_EQ(P::online_count(), 0u);
}

TEST(HostPlatform, ThreadsGetDenseDistinctIds) {
    constexpr std::size_t kThreads = 16;
    std::vector<std::size_t> ids(kThreads);
    test::run_cpus(kThreads, [&](std::size_t i) { ids[i] = P::cpu_id(); });
    std::set<std::size_t> unique(ids.begin(), ids.end());
    EXPECT_EQ(unique.size(), kThreads);
    EXPECT_EQ(*unique.rbegin(), kThreads - 1); // dense: 0..15
    EXPECT_EQ(P::online_count(), 0u);          // all released
}

TEST(HostPlatform, GuardsNestAndAreTracked) {
    HostCpu cpu;
    EXPECT_EQ(P::preempt_depth(), 0);
    {
        P::PreemptGuard g1;
        EXPECT_EQ(P::preempt_depth(), 1);
        {
            P::IrqGuard g2;
            EXPECT_EQ(P::preempt_depth(), 2);
            EXPECT_EQ(P::irq_depth(), 1);
        }
        EXPECT_EQ(P::irq_depth(), 0);
    }
    EXPECT_EQ(P::preempt_depth(), 0);
}

TEST(HostPlatformDeathTest, UnregisteredCpuIdFails) {
    test::threadsafe_death_tests();
    EXPECT_DEATH((void)P::cpu_id(), "registered as a CPU");
}

TEST(HostPlatformDeathTest, VerifyMacroReportsExpression) {
    test::threadsafe_death_tests();
    int x = 1;
    EXPECT_DEATH(SCYTHE_LF_VERIFY(P, x == 2), "x == 2");
}

TEST(Event, WaiterWakesWhenPredicateBecomesTrue) {
    // No sleeps: the waiter blocks in P::wait; the waker's notify_all must release it. Repeated so
    // the waker sometimes runs first (predicate already true) and sometimes second.
    for (int round = 0; round < 200; ++round) {
        Event<P> ev;
        std::atomic<bool> ready{false};
        std::thread waiter(
            [&] { ev.wait_until([&] { return ready.load(std::memory_order_acquire); }); });
        ready.store(true, std::memory_order_release);
        ev.notify_all();
        waiter.join();
    }
}

TEST(Event, ManyWaitersAllWake) {
    Event<P> ev;
    std::atomic<int> stage{0};
    std::vector<std::thread> waiters;
    for (int i = 0; i < 8; ++i)
        waiters.emplace_back(
            [&] { ev.wait_until([&] { return stage.load(std::memory_order_acquire) == 1; }); });
    stage.store(1, std::memory_order_release);
    ev.notify_all();
    for (auto& t : waiters)
        t.join();
}

} // namespace
} // namespace scythe::lf
