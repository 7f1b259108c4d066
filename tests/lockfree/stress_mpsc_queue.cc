// Stress: MpscQueue as used for remote frees. 15 producers send messages to one consumer through
// one queue; the consumer returns every node to its owner through the owner's own MpscQueue (the
// owner is that queue's single consumer), so nodes are recycled in both directions while 16
// threads share the cores. Invariants: per producer, messages arrive in send order with no gap
// and no duplicate; the payload written before push is what the consumer reads; every node comes
// back to its owner.
#include "lockfree/mpsc_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "lists_test_util.h"
#include "lockfree/host/platform.h"

namespace scythe::lf {
namespace {

struct Msg {
    std::uint32_t producer = 0; // plain fields: written before push, read after pop
    std::uint32_t seq = 0;
    std::uint64_t check = 0;
    MpscHook<> hook;
};
using Queue = MpscQueue<&Msg::hook>;

std::uint64_t stamp(std::uint32_t p, std::uint32_t s) {
    return (std::uint64_t{p} << 32 | s) ^ 0x5bd1e995u;
}

TEST(MpscQueueStress, FifoPerProducerWithRecycling) {
    constexpr std::uint32_t kProducers = 15, kPool = 32, kPer = 80000;
    Queue inbox;
    std::vector<std::unique_ptr<Queue>> returns;
    std::vector<std::unique_ptr<Msg[]>> pools;
    for (std::uint32_t p = 0; p < kProducers; ++p) {
        returns.push_back(std::make_unique<Queue>());
        pools.push_back(std::make_unique<Msg[]>(kPool));
    }
    std::atomic<std::uint64_t> errors{0};
    std::uint64_t busy = 0;

    test::run_cpus(kProducers + 1, [&](std::size_t i) {
        if (i == kProducers) { // the consumer
            std::vector<std::uint32_t> expect(kProducers, 0);
            std::uint64_t got = 0;
            while (got < std::uint64_t{kProducers} * kPer) {
                MpscPop<Msg> r = inbox.pop();
                if (r.status != MpscStatus::kOk) {
                    busy += r.status == MpscStatus::kBusy;
                    std::this_thread::yield();
                    continue;
                }
                Msg* m = r.node;
                if (m->producer >= kProducers || m->seq != expect[m->producer]++ ||
                    m->check != stamp(m->producer, m->seq))
                    errors.fetch_add(1, std::memory_order_relaxed);
                ++got;
                returns[m->producer]->push(m); // remote free back to the owner
            }
            return;
        }
        const std::uint32_t p = static_cast<std::uint32_t>(i);
        std::vector<Msg*> free_list;
        for (std::uint32_t k = 0; k < kPool; ++k)
            free_list.push_back(&pools[p][k]);
        for (std::uint32_t s = 0; s < kPer; ++s) {
            while (free_list.empty()) {
                if (Msg* back = returns[p]->pop_spin<HostPlatform>()) {
                    free_list.push_back(back);
                } else {
                    std::this_thread::yield();
                }
            }
            Msg* m = free_list.back();
            free_list.pop_back();
            m->producer = p;
            m->seq = s;
            m->check = stamp(p, s);
            inbox.push(m);
        }
        // Wait for every node to come home: nothing lost on the way back either.
        while (free_list.size() < kPool) {
            if (Msg* back = returns[p]->pop_spin<HostPlatform>())
                free_list.push_back(back);
            else
                std::this_thread::yield();
        }
    });

    EXPECT_EQ(errors.load(), 0u);
    EXPECT_TRUE(inbox.empty());
    for (auto& q : returns)
        EXPECT_TRUE(q->empty());
    RecordProperty("busy_pops", static_cast<int>(busy));
}

} // namespace
} // namespace scythe::lf
