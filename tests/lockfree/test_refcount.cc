// RefCount: get/put/try_get, exactly-once last put, and the always-on misuse checks.
#include "lockfree/refcount.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "lists_test_util.h"
#include "lockfree/host/platform.h"

namespace scythe::lf {
namespace {

using P = HostPlatform;
using Ref = RefCount<P>;

TEST(RefCount, SingleOwnerPutIsLast) {
    Ref r;
    EXPECT_EQ(r.read(), 1u);
    EXPECT_TRUE(r.put());
    EXPECT_EQ(r.read(), 0u);
}

TEST(RefCount, GetPutCounts) {
    Ref r(2);
    r.get();
    EXPECT_EQ(r.read(), 3u);
    EXPECT_FALSE(r.put());
    EXPECT_FALSE(r.put());
    EXPECT_TRUE(r.put());
}

TEST(RefCount, TryGetFailsOnZeroOnly) {
    Ref r;
    EXPECT_TRUE(r.try_get());
    EXPECT_EQ(r.read(), 2u);
    EXPECT_FALSE(r.put());
    EXPECT_TRUE(r.put());
    EXPECT_FALSE(r.try_get()); // dying: lookups must not resurrect it
    EXPECT_EQ(r.read(), 0u);
    r.unsafe_set(1); // reinitialised for reuse
    EXPECT_TRUE(r.try_get());
    EXPECT_FALSE(r.put());
    EXPECT_TRUE(r.put());
}

TEST(RefCount, ConcurrentLastPutHappensOnce) {
    constexpr std::size_t kThreads = 8, kObjects = 2000;
    struct Obj {
        Ref ref{kThreads};
        int payload = 42; // plain: read by holders, poisoned by the last putter
        std::atomic<int> destroyed{0};
    };
    std::vector<Obj> objs(kObjects);
    test::run_cpus(kThreads, [&](std::size_t) {
        for (auto& o : objs) {
            o.ref.get();
            EXPECT_EQ(o.payload, 42);
            EXPECT_FALSE(o.ref.put()); // we still hold our own
            EXPECT_EQ(o.payload, 42);
            if (o.ref.put()) {
                o.payload = -1; // "free": races with any holder TSan can see
                o.destroyed.fetch_add(1, std::memory_order_relaxed);
            }
        }
    });
    for (auto& o : objs) {
        EXPECT_EQ(o.destroyed.load(), 1);
        EXPECT_EQ(o.ref.read(), 0u);
    }
}

TEST(RefCountDeathTest, UnderflowIsCaught) {
    test::threadsafe_death_tests();
    auto underflow = [] {
        Ref r;
        (void)r.put();
        (void)r.put();
    };
    EXPECT_DEATH(underflow(), "old != 0");
}

TEST(RefCountDeathTest, GetOnDeadObjectIsCaught) {
    test::threadsafe_death_tests();
    auto revive = [] {
        Ref r;
        (void)r.put();
        r.get();
    };
    EXPECT_DEATH(revive(), "old != 0");
}

TEST(RefCountDeathTest, SaturationIsCaught) {
    test::threadsafe_death_tests();
    auto saturate = [] {
        Ref r(Ref::kMax);
        r.get();
    };
    EXPECT_DEATH(saturate(), "old < kMax");
    auto saturate_try = [] {
        Ref r(Ref::kMax);
        (void)r.try_get();
    };
    EXPECT_DEATH(saturate_try(), "v < kMax");
}

} // namespace
} // namespace scythe::lf
