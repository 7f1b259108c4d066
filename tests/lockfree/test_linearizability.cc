// Tests of the linearizability checker itself (tests/lockfree/linearizability.h): it must accept
// linearizable histories, including overlapping ones, and reject the non-linearizable ones.
#include "tests/lockfree/linearizability.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

using scythe::lin::Entry;
using scythe::lin::SetModel;
using K = SetModel::Kind;
using H = std::vector<Entry<SetModel::Op>>;

Entry<SetModel::Op> op(std::uint64_t inv, std::uint64_t resp, K kind, std::uint64_t key, bool r) {
    return {inv, resp, {kind, key, r}};
}

TEST(Linearizability, EmptyAndSequential) {
    EXPECT_TRUE(scythe::lin::check_set_history({}));
    H h{op(0, 1, K::kLookup, 7, false),  op(2, 3, K::kInsert, 7, true),
        op(4, 5, K::kLookup, 7, true),   op(6, 7, K::kInsert, 7, false),
        op(8, 9, K::kRemove, 7, true),   op(10, 11, K::kRemove, 7, false),
        op(12, 13, K::kLookup, 7, false)};
    EXPECT_TRUE(scythe::lin::check_set_history(h));
}

TEST(Linearizability, OverlapAllowsEitherOrder) {
    // A lookup overlapping an insert may see the key or not.
    H seen{op(0, 3, K::kInsert, 1, true), op(1, 2, K::kLookup, 1, true)};
    H not_seen{op(0, 3, K::kInsert, 1, true), op(1, 2, K::kLookup, 1, false)};
    EXPECT_TRUE(scythe::lin::check_set_history(seen));
    EXPECT_TRUE(scythe::lin::check_set_history(not_seen));
    // Needs the search to back off a first choice: insert || remove, both succeed; the lookup
    // after both says absent, so the insert must come first.
    H backtrack{op(0, 5, K::kRemove, 2, true), op(1, 4, K::kInsert, 2, true),
                op(6, 7, K::kLookup, 2, false)};
    EXPECT_TRUE(scythe::lin::check_set_history(backtrack));
}

TEST(Linearizability, RejectsStaleRead) {
    // The insert completed before the lookup began, yet the lookup missed it.
    H h{op(0, 1, K::kInsert, 3, true), op(2, 3, K::kLookup, 3, false)};
    std::uint64_t bad = 0;
    EXPECT_FALSE(scythe::lin::check_set_history(h, &bad));
    EXPECT_EQ(bad, 3u);
}

TEST(Linearizability, RejectsDoubleInsert) {
    // Two overlapping inserts of one key cannot both succeed without a remove between them.
    H h{op(0, 3, K::kInsert, 4, true), op(1, 2, K::kInsert, 4, true)};
    EXPECT_FALSE(scythe::lin::check_set_history(h));
}

TEST(Linearizability, RejectsLookupOfRemovedKeyAfterTheFact) {
    // Key 5 present, removed, then two later sequential lookups disagree in the wrong order.
    H h{op(0, 1, K::kInsert, 5, true), op(2, 3, K::kRemove, 5, true),
        op(4, 5, K::kLookup, 5, false), op(6, 7, K::kLookup, 5, true)};
    EXPECT_FALSE(scythe::lin::check_set_history(h));
    // Other keys in the same history do not hide the failure of key 5.
    h.push_back(op(8, 9, K::kInsert, 6, true));
    std::uint64_t bad = 0;
    EXPECT_FALSE(scythe::lin::check_set_history(h, &bad));
    EXPECT_EQ(bad, 5u);
}

TEST(Linearizability, ManyConcurrentOpsStayFast) {
    // 64 overlapping lookups and one insert: linearizable, and the cache keeps it polynomial.
    H h{op(0, 1000, K::kInsert, 9, true)};
    for (std::uint64_t i = 0; i < 64; ++i)
        h.push_back(op(1 + i, 900 - i, K::kLookup, 9, i % 2 == 0));
    EXPECT_TRUE(scythe::lin::check_set_history(h));
    // ...but a lookup that began after the insert returned and says absent is not.
    h.push_back(op(1001, 1002, K::kLookup, 9, false));
    EXPECT_FALSE(scythe::lin::check_set_history(h));
}

} // namespace
