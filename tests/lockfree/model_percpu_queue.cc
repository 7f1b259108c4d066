// Relacy model check of the per-CPU dead-thread queue hand-off (lockfree/percpu_queue.h onto
// lockfree/dead_list.h), the real headers instantiated with rl::atomic and RlPlatform (Relacy
// threads are the CPUs). Two CPUs park dead threads and hand them to the shared list with
// drain_to (one push_chain), one also frees a batch locally with drain; a reaper takes all.
// Leftovers parked at the end are collected with unsafe_drain_offline_to. Checks: every thread is
// freed exactly once and what the dying CPU wrote is visible to whoever frees it. A hand-off onto
// a list whose push CAS is relaxed must be reported as a race.
#include "lockfree/percpu_queue.h"

#include "relacy_atom.h"

namespace scythe::lf::model {

struct Thread {
    rl::var<int> payload;
    DeadListHook<Thread, RlAtom> dead;
};

struct WeakPush {
    static constexpr std::memory_order push = std::memory_order_relaxed; // the bug
    static constexpr std::memory_order take_all = std::memory_order_acquire;
};

template <class Order>
struct HandOffModel : rl::test_suite<HandOffModel<Order>, 3> {
    static constexpr int kThreads = 5;
    Thread threads[kThreads];
    PerCpuDeadQueue<&Thread::dead, RlPlatform> queues;
    DeadList<&Thread::dead, Order> dead;
    rl::var<int> freed[kThreads];

    void before() {
        for (auto& f : freed)
            f($) = 0;
    }

    void free_one(Thread* t) {
        int i = static_cast<int>(t - threads);
        RL_ASSERT(i >= 0 && i < kThreads);
        RL_ASSERT(t->payload($) == 10 + i); // the dying CPU's writes are visible
        t->payload($) = -1;                 // freed
        freed[i]($) = freed[i]($) + 1;      // a data race if two CPUs free the same thread
    }

    void park(RlPlatform::PreemptGuard& g, int i) {
        threads[i].payload($) = 10 + i;
        queues.local(g).park(&threads[i]);
    }

    void thread(unsigned cpu) {
        RlPlatform::PreemptGuard g;
        if (cpu == 0) {
            park(g, 0);
            queues.local(g).drain([&](Thread* t) { free_one(t); }); // freed on the same CPU
            park(g, 1);
            park(g, 2);
            queues.local(g).drain_to(dead); // one push_chain of 1 -> 2
        } else if (cpu == 1) {
            park(g, 3);
            queues.local(g).drain_to(dead);
            park(g, 4); // left parked: collected when CPU 1 is offline
        } else {
            dead.take_all().consume([&](Thread* t) { free_one(t); });
        }
    }

    void after() {
        for (std::size_t c = 0; c < 2; ++c)
            queues.unsafe_drain_offline_to(c, dead);
        dead.take_all().consume([&](Thread* t) { free_one(t); });
        for (auto& f : freed)
            RL_ASSERT(f($) == 1);
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
    ok &= run_model<HandOffModel<DeadListOrder>>("per-CPU queue hand-off", full, false);
    ok &=
        run_model<HandOffModel<WeakPush>>("per-CPU queue hand-off onto a relaxed push", full, true);
    std::printf("%s\n", ok ? "ALL MODELS AS EXPECTED" : "SOME MODEL UNEXPECTED");
    return ok ? 0 : 1;
}
