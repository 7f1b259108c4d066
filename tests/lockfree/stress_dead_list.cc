// Stress: DeadList with 16 threads (many more than cores), nodes recycled through many
// generations. Invariants: every (node, generation) is taken exactly once; what the pusher wrote
// is what the taker reads; per pusher, a taken chain holds its nodes newest first.
#include "lockfree/dead_list.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "lists_test_util.h"
#include "lockfree/host/platform.h"

namespace scythe::lf {
namespace {

constexpr std::size_t kThreads = 16;

struct Node {
    std::uint32_t id = 0;
    std::uint32_t gen = 0;    // plain: written by whoever holds the node, before it pushes
    std::uint64_t check = 0;  // plain: f(id, gen), read back by the taker
    std::uint32_t pusher = 0; // plain: who pushed it last, and its push sequence number
    std::uint64_t seq = 0;
    DeadListHook<Node> hook;
};
using List = DeadList<&Node::hook>;

std::uint64_t stamp(std::uint32_t id, std::uint32_t gen) {
    return (std::uint64_t{id} << 32 | gen) * 0x9E3779B97F4A7C15ull;
}

TEST(DeadListStress, RecycledNodesTakenExactlyOncePerGeneration) {
    constexpr std::uint32_t kNodes = 4096, kGens = 1000;
    std::vector<Node> nodes(kNodes);
    std::vector<std::atomic<std::uint32_t>> takes(kNodes);
    std::atomic<std::uint32_t> retired{0};
    std::atomic<std::uint64_t> errors{0};
    std::vector<std::uint64_t> takes_by_thread(kThreads); // each slot written by its thread only
    List list;

    test::run_cpus(kThreads, [&](std::size_t t) {
        test::Rng rng(t);
        std::uint64_t seq = 0;
        // Pushes a private chain, as one batch or node by node.
        auto push_all = [&](List::Chain& c, Node* last) {
            if (c.empty())
                return;
            if (rng.below(2) == 0) {
                list.push_chain(c.front(), last);
                c = List::Chain();
            } else {
                c.reverse(); // oldest first, so each pusher's seq still grows with every push
                c.consume([&](Node* n) { list.push(n); });
            }
        };
        auto prepare = [&](Node* n, List::Chain& c, Node*& last) {
            n->check = stamp(n->id, n->gen);
            n->pusher = static_cast<std::uint32_t>(t);
            n->seq = ++seq;
            if (c.empty())
                last = n;
            c.push_front(n); // batch is newest first, like the list
        };
        { // initial fill: this thread's share of the nodes, in batches of up to 8
            List::Chain c;
            Node* last = nullptr;
            for (std::uint32_t i = static_cast<std::uint32_t>(t); i < kNodes; i += kThreads) {
                nodes[i].id = i;
                prepare(&nodes[i], c, last);
                if (rng.below(8) == 0)
                    push_all(c, last);
            }
            push_all(c, last);
        }
        std::vector<std::uint64_t> last_seq(kThreads);
        while (retired.load(std::memory_order_relaxed) < kNodes) {
            List::Chain taken = list.take_all();
            if (taken.empty()) {
                std::this_thread::yield();
                continue;
            }
            ++takes_by_thread[t];
            std::fill(last_seq.begin(), last_seq.end(), ~std::uint64_t{0});
            List::Chain again;
            Node* again_last = nullptr;
            taken.consume([&](Node* n) {
                // Within one take, each pusher's nodes come newest first (strictly decreasing seq).
                if (n->seq >= last_seq[n->pusher])
                    errors.fetch_add(1, std::memory_order_relaxed);
                last_seq[n->pusher] = n->seq;
                if (n->check != stamp(n->id, n->gen))
                    errors.fetch_add(1, std::memory_order_relaxed);
                std::uint32_t k = takes[n->id].fetch_add(1, std::memory_order_relaxed);
                if (k != n->gen)
                    errors.fetch_add(1, std::memory_order_relaxed);
                if (++n->gen == kGens) {
                    retired.fetch_add(1, std::memory_order_relaxed);
                } else {
                    prepare(n, again, again_last);
                    if (rng.below(4) == 0)
                        push_all(again, again_last);
                }
            });
            push_all(again, again_last);
        }
    });

    EXPECT_EQ(errors.load(), 0u);
    EXPECT_TRUE(list.empty());
    std::size_t active = 0;
    for (auto n : takes_by_thread)
        active += n != 0;
    RecordProperty("threads_that_took", static_cast<int>(active)); // informational, not asserted
    for (std::uint32_t i = 0; i < kNodes; ++i) {
        ASSERT_EQ(takes[i].load(), kGens) << "node " << i;
        ASSERT_EQ(nodes[i].gen, kGens);
    }
}

} // namespace
} // namespace scythe::lf
