// DeadList: every operation and edge case, plus take_all racing with pushes.
#include "lockfree/dead_list.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <vector>

#include "lists_test_util.h"

namespace scythe::lf {
namespace {

struct Proc {
    int id = 0;
    DeadListHook<Proc> dead;
    DeadListHook<Proc> other; // a second hook: the node can be on a second list at the same time
};

using List = DeadList<&Proc::dead>;
using Chain = List::Chain;

std::vector<int> ids(Chain c) {
    std::vector<int> out;
    c.consume([&](Proc* p) { out.push_back(p->id); });
    return out;
}

TEST(DeadList, EmptyListTakesNothing) {
    List l;
    EXPECT_TRUE(l.empty());
    Chain c = l.take_all();
    EXPECT_TRUE(c.empty());
    EXPECT_EQ(c.front(), nullptr);
    EXPECT_EQ(c.pop_front(), nullptr);
    EXPECT_EQ(c.size(), 0u);
    EXPECT_TRUE(l.empty());
}

TEST(DeadList, SingleElement) {
    List l;
    Proc a{.id = 1};
    EXPECT_TRUE(l.push(&a)); // was empty
    EXPECT_FALSE(l.empty());
    Chain c = l.take_all();
    EXPECT_TRUE(l.empty());
    EXPECT_EQ(c.size(), 1u);
    EXPECT_EQ(c.pop_front(), &a);
    EXPECT_TRUE(c.empty());
}

TEST(DeadList, PushIsLifoAndReportsEmptyTransition) {
    List l;
    Proc p[3] = {{.id = 1}, {.id = 2}, {.id = 3}};
    EXPECT_TRUE(l.push(&p[0]));
    EXPECT_FALSE(l.push(&p[1]));
    EXPECT_FALSE(l.push(&p[2]));
    EXPECT_EQ(ids(l.take_all()), (std::vector<int>{3, 2, 1}));
    EXPECT_TRUE(l.push(&p[0])); // empty again after take_all
    EXPECT_EQ(ids(l.take_all()), (std::vector<int>{1}));
}

TEST(DeadList, ReverseGivesPushOrder) {
    List l;
    Proc p[4] = {{.id = 1}, {.id = 2}, {.id = 3}, {.id = 4}};
    for (auto& x : p)
        l.push(&x);
    Chain c = l.take_all();
    c.reverse();
    EXPECT_EQ(ids(c), (std::vector<int>{1, 2, 3, 4}));
    Chain e;
    e.reverse();
    EXPECT_TRUE(e.empty());
}

TEST(DeadList, PushChainSplicesInOrderAheadOfOlderNodes) {
    List l;
    Proc old{.id = 0};
    Proc p[3] = {{.id = 1}, {.id = 2}, {.id = 3}};
    l.push(&old);
    // Caller-built chain 1 -> 2 -> 3 (last's link is overwritten by push_chain).
    Chain c;
    c.push_front(&p[2]);
    c.push_front(&p[1]);
    c.push_front(&p[0]);
    EXPECT_FALSE(l.push_chain(&p[0], &p[2]));
    EXPECT_EQ(ids(l.take_all()), (std::vector<int>{1, 2, 3, 0}));
}

TEST(DeadList, PushChainOfOneAndOntoEmpty) {
    List l;
    Proc a{.id = 7};
    EXPECT_TRUE(l.push_chain(&a, &a));
    EXPECT_EQ(ids(l.take_all()), (std::vector<int>{7}));
}

TEST(DeadList, ConsumeMayRepushNodes) {
    // consume() reads the link before calling f, so f may push the node onto another list (or free
    // it) without breaking the walk.
    List a, b;
    Proc p[3] = {{.id = 1}, {.id = 2}, {.id = 3}};
    for (auto& x : p)
        a.push(&x);
    std::size_t n = a.take_all().consume([&](Proc* x) { b.push(x); });
    EXPECT_EQ(n, 3u);
    EXPECT_EQ(ids(b.take_all()), (std::vector<int>{1, 2, 3}));
}

TEST(DeadList, ForEachDoesNotConsume) {
    List l;
    Proc p[2] = {{.id = 1}, {.id = 2}};
    for (auto& x : p)
        l.push(&x);
    Chain c = l.take_all();
    int sum = 0;
    c.for_each([&](Proc* x) { sum += x->id; });
    EXPECT_EQ(sum, 3);
    EXPECT_EQ(c.size(), 2u);
}

TEST(DeadList, TwoHooksTwoLists) {
    DeadList<&Proc::dead> l1;
    DeadList<&Proc::other> l2;
    Proc p[2] = {{.id = 1}, {.id = 2}};
    for (auto& x : p) {
        l1.push(&x);
        l2.push(&x);
    }
    EXPECT_EQ(ids(l1.take_all()), (std::vector<int>{2, 1}));
    std::vector<int> got;
    l2.take_all().consume([&](Proc* x) { got.push_back(x->id); });
    EXPECT_EQ(got, (std::vector<int>{2, 1}));
}

TEST(DeadList, ConcurrentTakeAllWhilePushing) {
    // 6 producers push, 2 consumers take_all concurrently; each node is taken exactly once and the
    // producer's plain write to the node is visible (TSan checks the happens-before).
    constexpr std::size_t kProducers = 6, kConsumers = 2, kPer = 2000;
    constexpr std::size_t kTotal = kProducers * kPer;
    std::vector<Proc> nodes(kTotal);
    std::vector<std::atomic<int>> taken(kTotal);
    std::atomic<std::size_t> total{0};
    List l;
    test::run_cpus(kProducers + kConsumers, [&](std::size_t t) {
        if (t < kProducers) {
            for (std::size_t i = 0; i < kPer; ++i) {
                Proc& p = nodes[t * kPer + i];
                p.id = static_cast<int>(t * kPer + i); // plain write, published by push
                l.push(&p);
            }
        } else {
            while (total.load(std::memory_order_relaxed) < kTotal) {
                std::size_t n = l.take_all().consume([&](Proc* p) {
                    taken[static_cast<std::size_t>(p->id)].fetch_add(1, std::memory_order_relaxed);
                });
                total.fetch_add(n, std::memory_order_relaxed);
                if (n == 0)
                    std::this_thread::yield();
            }
        }
    });
    EXPECT_TRUE(l.empty());
    for (std::size_t i = 0; i < kTotal; ++i)
        ASSERT_EQ(taken[i].load(), 1) << "node " << i;
}

} // namespace
} // namespace scythe::lf
