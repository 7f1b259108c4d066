// Relacy model check of lockfree/dead_list.h, the real header instantiated with rl::atomic.
// Every interleaving (full search) of: a push, a push_chain of two nodes and a consumer taking all
// twice; and of two takers racing one pusher. Checks: every node is taken exactly once; the
// payload the pusher wrote (an rl::var, so Relacy tracks happens-before on it) is visible to the
// taker. Then the same models with a deliberately weakened ordering (relaxed take_all exchange, or
// relaxed push CAS) must be reported by Relacy: those runs pass only if Relacy finds the race.
#include "lockfree/dead_list.h"

#include "relacy_atom.h"

namespace scythe::lf::model {

struct Node {
    rl::var<int> payload;
    DeadListHook<Node, RlAtom> hook;
};

struct WeakTake {
    static constexpr std::memory_order push = std::memory_order_release;
    static constexpr std::memory_order take_all = std::memory_order_relaxed; // the bug
};
struct WeakPush {
    static constexpr std::memory_order push = std::memory_order_relaxed; // the bug
    static constexpr std::memory_order take_all = std::memory_order_acquire;
};

// Push (thread 0) and push_chain (thread 1) against take_all (thread 2).
template <class Order>
struct PushChainTake : rl::test_suite<PushChainTake<Order>, 3> {
    static constexpr int kNodes = 3;
    Node nodes[kNodes];
    DeadList<&Node::hook, Order> list;
    int seen[kNodes] = {};

    void take(DeadChain<&Node::hook> c) {
        c.consume([&](Node* n) {
            int i = static_cast<int>(n - nodes);
            RL_ASSERT(i >= 0 && i < kNodes);
            RL_ASSERT(n->payload($) == 100 + i); // a data race here if the ordering is too weak
            ++seen[i];
        });
    }

    void thread(unsigned idx) {
        if (idx == 0) {
            nodes[0].payload($) = 100;
            list.push(&nodes[0]);
        } else if (idx == 1) {
            nodes[1].payload($) = 101;
            nodes[2].payload($) = 102;
            DeadChain<&Node::hook> c; // build 1 -> 2 privately, splice in one CAS
            c.push_front(&nodes[2]);
            c.push_front(&nodes[1]);
            list.push_chain(&nodes[1], &nodes[2]);
        } else {
            take(list.take_all());
            take(list.take_all());
        }
    }

    void after() {
        take(list.take_all());
        for (int i = 0; i < kNodes; ++i)
            RL_ASSERT(seen[i] == 1);
    }
};

// Two takers race one pusher: the nodes are split between them, none is taken twice or lost.
template <class Order>
struct TwoTakers : rl::test_suite<TwoTakers<Order>, 3> {
    static constexpr int kNodes = 2;
    Node nodes[kNodes];
    DeadList<&Node::hook, Order> list;
    rl::var<int> seen[kNodes];

    void before() {
        for (auto& s : seen)
            s($) = 0;
    }

    void take(DeadChain<&Node::hook> c) {
        c.consume([&](Node* n) {
            int i = static_cast<int>(n - nodes);
            RL_ASSERT(n->payload($) == 200 + i);
            n->payload($) = -1; // the taker owns the node now (e.g. frees it)
            seen[i]($) = seen[i]($) + 1;
        });
    }

    void thread(unsigned idx) {
        if (idx == 0) {
            for (int i = 0; i < kNodes; ++i) {
                nodes[i].payload($) = 200 + i;
                bool was_empty = list.push(&nodes[i]);
                (void)was_empty;
            }
        } else {
            take(list.take_all());
        }
    }

    void after() {
        take(list.take_all());
        for (int i = 0; i < kNodes; ++i)
            RL_ASSERT(seen[i]($) == 1);
    }
};

} // namespace scythe::lf::model

int main() {
    using namespace scythe::lf;
    using namespace scythe::lf::model;
    // Full search (every interleaving) where the state space is small; context-bounded search
    // (every interleaving with at most 5 preemptions) for the larger model, to stay well under a
    // minute on a loaded 2-core machine (full search of it: 6.5M interleavings, about 20 s idle).
    rl::test_params full;
    full.search_type = rl::fair_full_search_scheduler_type;
    rl::test_params bounded;
    bounded.search_type = rl::fair_context_bound_scheduler_type;
    bounded.context_bound = 5;
    bool ok = true;
    ok &= run_model<PushChainTake<DeadListOrder>>("dead_list push+push_chain vs take_all", bounded,
                                                  false);
    ok &= run_model<TwoTakers<DeadListOrder>>("dead_list two takers", full, false);
    ok &= run_model<PushChainTake<WeakTake>>("dead_list relaxed take_all exchange", bounded, true);
    ok &= run_model<PushChainTake<WeakPush>>("dead_list relaxed push CAS", bounded, true);
    ok &= run_model<TwoTakers<WeakTake>>("dead_list two takers, relaxed take_all", full, true);
    std::printf("%s\n", ok ? "ALL MODELS AS EXPECTED" : "SOME MODEL UNEXPECTED");
    return ok ? 0 : 1;
}
