// Stress: RefCount on many objects shared by 16 threads. Each thread holds one reference to every
// object, takes and drops extra ones, drops its own, then looks objects up again RCU-style with
// try_get (the memory stays valid, like an object still reachable under RCU). Invariants: each
// object is destroyed exactly once; a holder never sees a destroyed object; try_get never
// succeeds after the last put. The destroyer poisons a plain field: a holder's read after it
// would be a data race TSan reports, or a poisoned value the test reports.
#include "lockfree/refcount.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <numeric>
#include <vector>

#include "lists_test_util.h"
#include "lockfree/host/platform.h"

namespace scythe::lf {
namespace {

using P = HostPlatform;
constexpr std::uint32_t kThreads = 16;

struct Obj {
    RefCount<P> ref{kThreads};
    std::uint64_t payload = 0x600d; // plain
    std::atomic<std::uint32_t> destroyed{0};
};

TEST(RefCountStress, LastPutExactlyOnceWithLookups) {
    constexpr std::size_t kObjs = 16384;
    std::vector<Obj> objs(kObjs);
    std::atomic<std::uint64_t> errors{0}, lookups_ok{0};

    auto destroy = [&](Obj& o) {
        o.payload = 0xdead; // "free"
        o.destroyed.fetch_add(1, std::memory_order_relaxed);
    };
    auto use = [&](Obj& o) {
        if (o.payload != 0x600d)
            errors.fetch_add(1, std::memory_order_relaxed);
    };

    test::run_cpus(kThreads, [&](std::size_t t) {
        test::Rng rng(t);
        std::vector<std::uint32_t> order(kObjs);
        std::iota(order.begin(), order.end(), 0u);
        for (std::size_t k = kObjs - 1; k > 0; --k)
            std::swap(order[k], order[rng.below(static_cast<std::uint32_t>(k + 1))]);
        for (std::uint32_t idx : order) {
            Obj& o = objs[idx];
            for (std::uint32_t k = rng.below(3); k > 0; --k) { // extra references, held briefly
                o.ref.get();
                use(o);
                if (o.ref.put())
                    errors.fetch_add(1, std::memory_order_relaxed); // we still hold ours
            }
            use(o);
            if (o.ref.put())
                destroy(o); // drop ours; maybe the last
            // Lookups of random objects without a reference (the RCU case).
            for (int k = 0; k < 2; ++k) {
                Obj& x = objs[rng.below(kObjs)];
                if (x.ref.try_get()) {
                    lookups_ok.fetch_add(1, std::memory_order_relaxed);
                    use(x);
                    if (x.destroyed.load(std::memory_order_relaxed) != 0)
                        errors.fetch_add(1, std::memory_order_relaxed);
                    if (x.ref.put())
                        destroy(x);
                }
            }
        }
    });

    EXPECT_EQ(errors.load(), 0u);
    for (std::size_t i = 0; i < kObjs; ++i) {
        ASSERT_EQ(objs[i].destroyed.load(), 1u) << "object " << i;
        ASSERT_EQ(objs[i].ref.read(), 0u);
        ASSERT_FALSE(objs[i].ref.try_get());
    }
    RecordProperty("lookups_ok", static_cast<int>(lookups_ok.load()));
}

} // namespace
} // namespace scythe::lf
