// PerCpuCounter: local adds, sums, negative slots, concurrent readers.
#include "lockfree/percpu_counter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>

#include "lists_test_util.h"
#include "lockfree/host/platform.h"

namespace scythe::lf {
namespace {

using P = HostPlatform;
using Counter = PerCpuCounter<P>;

TEST(PerCpuCounter, StartsAtZeroAndAdds) {
    HostCpu cpu;
    Counter c;
    EXPECT_EQ(c.sum(), 0);
    P::PreemptGuard g;
    c.inc(g);
    c.add(g, 41);
    EXPECT_EQ(c.sum(), 42);
    c.dec(g);
    EXPECT_EQ(c.sum(), 41);
    P::IrqGuard ig;
    c.add(ig, -41);
    EXPECT_EQ(c.sum(), 0);
    c.add(g, 5);
    c.unsafe_reset();
    EXPECT_EQ(c.sum(), 0);
}

TEST(PerCpuCounter, SlotsMayGoNegativeSumIsRight) {
    Counter c;
    // CPU 0 counts forks, CPU 1 counts the exits of the same processes.
    test::run_cpus(2, [&](std::size_t i) {
        P::PreemptGuard g;
        for (int k = 0; k < 100; ++k)
            c.add(g, i == 0 ? 1 : -1);
    });
    EXPECT_EQ(c.sum(), 0);
    EXPECT_EQ(c.sum_clamped(), 0);
    HostCpu cpu;
    P::PreemptGuard g;
    c.add(g, -3);
    EXPECT_EQ(c.sum(), -3);
    EXPECT_EQ(c.sum_clamped(), 0);
}

TEST(PerCpuCounter, ConcurrentAddsAndMonotonicReader) {
    // 15 writers only add; the reader's successive sums never go down (each slot only grows, and
    // reads of one slot are coherent) and never exceed the final total.
    constexpr std::size_t kWriters = 15;
    constexpr std::int64_t kPer = 20000;
    Counter c;
    std::atomic<std::size_t> done{0};
    test::run_cpus(kWriters + 1, [&](std::size_t t) {
        if (t < kWriters) {
            for (std::int64_t k = 0; k < kPer; ++k) {
                P::PreemptGuard g;
                c.inc(g);
            }
            done.fetch_add(1, std::memory_order_release);
            return;
        }
        std::int64_t prev = 0;
        while (done.load(std::memory_order_acquire) < kWriters) {
            std::int64_t s = c.sum();
            ASSERT_GE(s, prev);
            ASSERT_LE(s, static_cast<std::int64_t>(kWriters) * kPer);
            prev = s;
            std::this_thread::yield();
        }
    });
    EXPECT_EQ(c.sum(), static_cast<std::int64_t>(kWriters) * kPer);
}

} // namespace
} // namespace scythe::lf
