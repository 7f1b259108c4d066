// PerCpu<T> and PerCpuDeadQueue: owner-only access, drain, hand-off to the DeadList, misuse checks.
#include "lockfree/percpu_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "lists_test_util.h"
#include "lockfree/host/platform.h"
#include "lockfree/percpu.h"

namespace scythe::lf {
namespace {

using P = HostPlatform;

struct Thread {
    int id = 0;
    DeadListHook<Thread> dead;
};

using Queues = PerCpuDeadQueue<&Thread::dead, P>;
using List = DeadList<&Thread::dead>;

std::vector<int> ids(List::Chain c) {
    std::vector<int> out;
    c.consume([&](Thread* t) { out.push_back(t->id); });
    return out;
}

TEST(PerCpu, SlotsAreCacheLineApart) {
    HostCpu cpu;
    PerCpu<std::uint64_t, P> pc;
    auto* a = &pc.remote(0);
    auto* b = &pc.remote(1);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b) - reinterpret_cast<std::uintptr_t>(a),
              kCacheLine);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a) % kCacheLine, 0u);
}

TEST(PerCpu, LocalIsTheCallersSlotAndForEachSeesAll) {
    PerCpu<std::atomic<std::uint64_t>, P> pc;
    constexpr std::size_t kCpus = 4;
    test::run_cpus(kCpus, [&](std::size_t) {
        P::PreemptGuard g;
        pc.local(g).store(P::cpu_id() + 100, std::memory_order_relaxed);
    });
    std::size_t visited = 0;
    pc.for_each([&](std::size_t cpu, std::atomic<std::uint64_t>& v) {
        ++visited;
        if (cpu < kCpus)
            EXPECT_EQ(v.load(), cpu + 100);
        else
            EXPECT_EQ(v.load(), 0u);
    });
    EXPECT_EQ(visited, P::max_cpus());
    HostCpu cpu;
    P::IrqGuard g;
    EXPECT_EQ(&pc.local(g), &pc.remote(P::cpu_id()));
}

TEST(PerCpuDeadQueue, EmptyDrainAndHandOff) {
    HostCpu cpu;
    Queues qs;
    List l;
    P::PreemptGuard g;
    auto q = qs.local(g);
    EXPECT_EQ(q.cpu(), P::cpu_id());
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.drain([](Thread*) { FAIL(); }), 0u);
    HandOff h = q.drain_to(l);
    EXPECT_EQ(h.count, 0u);
    EXPECT_FALSE(h.list_was_empty); // nothing pushed: no wake-up needed
    EXPECT_TRUE(l.empty());
}

TEST(PerCpuDeadQueue, DrainIsFifoAndEmpties) {
    HostCpu cpu;
    Queues qs;
    Thread t[3] = {{.id = 1}, {.id = 2}, {.id = 3}};
    P::PreemptGuard g;
    auto q = qs.local(g);
    for (auto& x : t)
        q.park(&x);
    EXPECT_EQ(q.size(), 3u);
    std::vector<int> got;
    EXPECT_EQ(q.drain([&](Thread* x) { got.push_back(x->id); }), 3u);
    EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
    EXPECT_TRUE(q.empty());
    q.park(&t[0]); // reusable after a drain
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.drain([](Thread*) {}), 1u);
}

TEST(PerCpuDeadQueue, DrainToSplicesOneBatchInParkOrder) {
    HostCpu cpu;
    Queues qs;
    List l;
    Thread older{.id = 0};
    Thread t[3] = {{.id = 1}, {.id = 2}, {.id = 3}};
    P::PreemptGuard g;
    auto q = qs.local(g);
    q.park(&t[0]);
    HandOff h = q.drain_to(l);
    EXPECT_EQ(h.count, 1u);
    EXPECT_TRUE(h.list_was_empty);
    EXPECT_EQ(ids(l.take_all()), (std::vector<int>{1}));

    l.push(&older);
    for (auto& x : t)
        q.park(&x);
    h = q.drain_to(l);
    EXPECT_EQ(h.count, 3u);
    EXPECT_FALSE(h.list_was_empty);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(ids(l.take_all()), (std::vector<int>{1, 2, 3, 0})); // newest batch first
}

TEST(PerCpuDeadQueue, EachCpuHasItsOwnQueue) {
    Queues qs;
    List l;
    constexpr std::size_t kCpus = 4;
    std::vector<Thread> t(kCpus * 2);
    test::run_cpus(kCpus, [&](std::size_t i) {
        P::PreemptGuard g;
        auto q = qs.local(g);
        EXPECT_TRUE(q.empty());
        t[2 * i].id = static_cast<int>(2 * i);
        t[2 * i + 1].id = static_cast<int>(2 * i + 1);
        q.park(&t[2 * i]);
        q.park(&t[2 * i + 1]);
        EXPECT_EQ(q.size(), 2u); // nobody else's parks landed here
        if (i % 2 == 0)
            q.drain_to(l); // odd CPUs leave theirs parked
    });
    std::size_t left = 0;
    for (std::size_t cpu = 0; cpu < kCpus; ++cpu)
        left += qs.unsafe_drain_offline_to(cpu, l).count;
    EXPECT_EQ(left, kCpus); // two odd CPUs x two threads
    EXPECT_EQ(l.take_all().size(), 2 * kCpus);
}

TEST(PerCpuDeadQueueDeathTest, UseFromAnotherCpuIsCaught) {
    if (!kDebugChecks)
        GTEST_SKIP() << "owner check is a debug check";
    test::threadsafe_death_tests();
    // The handle is bound to CPU A; calling it from a thread registered as CPU B must fail the
    // check.
    auto misuse = [] {
        Queues qs;
        Thread x{.id = 1};
        HostCpu a;
        P::PreemptGuard g;
        auto q = qs.local(g);
        std::thread other([&] {
            HostCpu b;
            q.park(&x);
        });
        other.join();
    };
    EXPECT_DEATH(misuse(), "cpu_id\\(\\) == cpu_");
}

} // namespace
} // namespace scythe::lf
