// Relacy model check of lockfree/mpsc_queue.h, the real header instantiated with rl::atomic.
// Two producers push two messages each while the consumer pops a bounded number of times
// (seeing kOk, kEmpty or kBusy); the rest is popped after the producers finish, when kBusy is
// impossible. Checks: FIFO per producer, every message exactly once, payload visible, and an
// empty queue at the end. A relaxed link store (the producer's second store) must be reported.
#include "lockfree/mpsc_queue.h"

#include "relacy_atom.h"

namespace scythe::lf::model {

struct Msg {
    rl::var<int> payload;
    MpscHook<RlAtom> hook;
};

struct WeakLink {
    static constexpr std::memory_order exchange = std::memory_order_acq_rel;
    static constexpr std::memory_order link = std::memory_order_relaxed; // the bug
    static constexpr std::memory_order read_next = std::memory_order_acquire;
};
struct WeakRead {
    static constexpr std::memory_order exchange = std::memory_order_acq_rel;
    static constexpr std::memory_order link = std::memory_order_release;
    static constexpr std::memory_order read_next = std::memory_order_relaxed; // the bug
};

template <class Order>
struct MpscModel : rl::test_suite<MpscModel<Order>, 3> {
    static constexpr int kPer = 2, kMsgs = 2 * kPer;
    Msg msgs[kMsgs]; // producer p sends msgs[p*kPer + 0..kPer-1] in order
    MpscQueue<&Msg::hook, Order> q;
    int next[2] = {0, 0}; // consumer-private: next expected index per producer
    int popped = 0;

    void consume(Msg* m) {
        int i = static_cast<int>(m - msgs);
        RL_ASSERT(i >= 0 && i < kMsgs);
        int p = i / kPer;
        RL_ASSERT(i % kPer == next[p]); // FIFO per producer, no loss, no duplicate
        ++next[p];
        RL_ASSERT(m->payload($) == 50 + i);
        ++popped;
    }

    void thread(unsigned idx) {
        if (idx < 2) {
            for (int k = 0; k < kPer; ++k) {
                int i = static_cast<int>(idx) * kPer + k;
                msgs[i].payload($) = 50 + i;
                q.push(&msgs[i]);
            }
        } else {
            for (int attempt = 0; attempt < 3; ++attempt) {
                MpscPop<Msg> r = q.pop();
                if (r.status == MpscStatus::kOk)
                    consume(r.node);
                else
                    RL_ASSERT(r.node == nullptr);
            }
        }
    }

    void after() {
        for (;;) {
            MpscPop<Msg> r = q.pop();
            RL_ASSERT(r.status != MpscStatus::kBusy); // no producer is mid-push any more
            if (r.status == MpscStatus::kEmpty)
                break;
            consume(r.node);
        }
        RL_ASSERT(popped == kMsgs);
        RL_ASSERT(q.empty());
    }
};

} // namespace scythe::lf::model

int main() {
    using namespace scythe::lf;
    using namespace scythe::lf::model;
    rl::test_params full;
    full.search_type = rl::fair_context_bound_scheduler_type;
    full.context_bound = 4;
    bool ok = true;
    ok &= run_model<MpscModel<MpscOrder>>("mpsc 2 producers x 2, 1 consumer", full, false);
    ok &= run_model<MpscModel<WeakLink>>("mpsc relaxed link store", full, true);
    ok &= run_model<MpscModel<WeakRead>>("mpsc relaxed consumer read of next", full, true);
    std::printf("%s\n", ok ? "ALL MODELS AS EXPECTED" : "SOME MODEL UNEXPECTED");
    return ok ? 0 : 1;
}
