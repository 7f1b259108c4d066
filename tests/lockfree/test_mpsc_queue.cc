// MpscQueue: FIFO, empty/busy reporting, stub handling, reuse of nodes, producers vs consumer.
#include "lockfree/mpsc_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <vector>

#include "lists_test_util.h"
#include "lockfree/host/platform.h"

namespace scythe::lf {
namespace {

using P = HostPlatform;

struct Work {
    int id = 0;
    MpscHook<> hook;
};
using Queue = MpscQueue<&Work::hook>;

TEST(MpscQueue, EmptyQueue) {
    Queue q;
    EXPECT_TRUE(q.empty());
    auto r = q.pop();
    EXPECT_EQ(r.status, MpscStatus::kEmpty);
    EXPECT_EQ(r.node, nullptr);
    EXPECT_EQ(q.pop_spin<P>(), nullptr);
}

TEST(MpscQueue, SingleElementRoundTrips) {
    Queue q;
    Work a{.id = 1};
    q.push(&a);
    EXPECT_FALSE(q.empty());
    auto r = q.pop(); // the only node: popped by pushing the stub behind it
    EXPECT_EQ(r.status, MpscStatus::kOk);
    EXPECT_EQ(r.node, &a);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.pop().status, MpscStatus::kEmpty);
    q.push(&a); // reusable after pop
    EXPECT_EQ(q.pop().node, &a);
    EXPECT_EQ(q.pop().status, MpscStatus::kEmpty);
}

TEST(MpscQueue, FifoAcrossInterleavedPushAndPop) {
    Queue q;
    Work w[6];
    for (int i = 0; i < 6; ++i)
        w[i].id = i;
    q.push(&w[0]);
    q.push(&w[1]);
    EXPECT_EQ(q.pop().node, &w[0]);
    q.push(&w[2]);
    EXPECT_EQ(q.pop().node, &w[1]);
    EXPECT_EQ(q.pop().node, &w[2]);
    EXPECT_EQ(q.pop().status, MpscStatus::kEmpty);
    for (int i = 3; i < 6; ++i)
        q.push(&w[i]);
    for (int i = 3; i < 6; ++i)
        EXPECT_EQ(q.pop_spin<P>(), &w[i]);
    EXPECT_TRUE(q.empty());
}

TEST(MpscQueue, ProducersKeepFifoAndNothingIsLost) {
    constexpr std::size_t kProducers = 6, kPer = 3000;
    std::vector<Work> w(kProducers * kPer);
    std::vector<int> last(kProducers, -1);
    std::size_t received = 0, busy = 0;
    Queue q;
    test::run_cpus(kProducers + 1, [&](std::size_t t) {
        if (t < kProducers) {
            for (std::size_t i = 0; i < kPer; ++i) {
                Work& x = w[t * kPer + i];
                x.id = static_cast<int>(t * kPer + i);
                q.push(&x);
            }
            return;
        }
        while (received < kProducers * kPer) {
            auto r = q.pop();
            if (r.status != MpscStatus::kOk) {
                busy += r.status == MpscStatus::kBusy;
                std::this_thread::yield();
                continue;
            }
            std::size_t id = static_cast<std::size_t>(r.node->id);
            std::size_t prod = id / kPer;
            int seq = static_cast<int>(id % kPer);
            ASSERT_EQ(seq, last[prod] + 1) << "producer " << prod;
            last[prod] = seq;
            ++received;
        }
    });
    EXPECT_EQ(received, kProducers * kPer);
    EXPECT_TRUE(q.empty());
    RecordProperty("busy_pops", static_cast<int>(busy));
}

} // namespace
} // namespace scythe::lf
