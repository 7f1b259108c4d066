// Relacy model check of the RCU grace-period handshake in lockfree/rcu.h: the real header,
// instantiated with rl::atomic (RlAtom) and Relacy threads as CPUs.
//
// A reader goes online (concurrently with the updater: exercises rejoin), reads the published
// object inside a section, reports a quiescent state, reads again, goes offline. The updater
// publishes a new object and reclaims the old one after a grace period, either with
// synchronize() or with call_rcu() + its own quiescent states. Reclaiming writes a poison value
// into an rl::var: if the grace period did not order the reader's section before it, Relacy
// reports a data race (and the reader's assertion may see the poison).
//
// Usage: lf_model_rcu          correct orderings; passes if Relacy finds nothing.
//        lf_model_rcu weak     report/scan weakened to relaxed; passes only if Relacy reports
//                              the violation (so the model is known to be able to fail).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "lockfree/rcu.h"

#include <unistd.h>

#include "relacy_atom.h"

namespace scythe::lf::model {
namespace {

// RlPlatform with 2 CPU slots and wait/wake on the RlAtom word that Rcu<.., RlAtom> uses.
struct RcuRlPlatform : RlPlatform {
    static constexpr std::size_t kMaxCpus = 2;
    static std::size_t max_cpus() noexcept { return kMaxCpus; }
    using RlPlatform::wait;
    using RlPlatform::wake_all;
    static void wait(RlAtom<std::uint32_t>&, std::uint32_t) { rl::yield(1, RL_INFO); }
    static void wake_all(RlAtom<std::uint32_t>&) {}
};
static_assert(Platform<RcuRlPlatform>);

// The bug under test: the reader's quiescent report and the detector's scan both relaxed.
struct WeakOrders {
    static constexpr std::memory_order report = std::memory_order_relaxed;
    static constexpr std::memory_order scan = std::memory_order_relaxed;
};
// Only the report weakened (scan stays seq_cst): still a missing release.
struct WeakReport {
    static constexpr std::memory_order report = std::memory_order_relaxed;
    static constexpr std::memory_order scan = std::memory_order_seq_cst;
};

constexpr int kLive = 1;
constexpr int kPoison = -1;

struct Obj {
    RcuHead head; // first member
    rl::var<int> data;
};

void poison(RcuHead* h) {
    reinterpret_cast<Obj*>(h)->data($) = kPoison;
}

enum class Reclaim { kSynchronize, kCallRcu };

template <class Orders, Reclaim How>
struct Handshake : rl::test_suite<Handshake<Orders, How>, 2> {
    using R = Rcu<RcuRlPlatform, RlAtom, Orders>;
    R rcu;
    Obj a, b;
    RlAtom<Obj*> ptr;

    void before() {
        a.data($) = kLive;
        b.data($) = kLive;
        ptr.store(&a, std::memory_order_relaxed);
    }

    void read_once() {
        rcu.read_lock();
        Obj* p = rcu_dereference(ptr);
        RL_ASSERT(p->data($) == kLive); // a data race here if the grace period is broken
        rcu.read_unlock();
    }

    void thread(unsigned idx) {
        if (idx == 0) { // reader
            rcu.online();
            read_once();
            rcu.quiescent_state();
            read_once();
            rcu.offline();
        } else { // updater
            rcu.online();
            Obj* old = ptr.exchange(&b, std::memory_order_acq_rel); // unpublish a, publish b
            if constexpr (How == Reclaim::kSynchronize) {
                rcu.synchronize();
                poison(&old->head);
                rcu.offline();
            } else {
                rcu.call_rcu(&old->head, poison);
                while (rcu.callbacks_invoked() == 0) {
                    rcu.quiescent_state();
                    rl::yield(1, RL_INFO);
                }
                rcu.offline();
            }
        }
    }
};

// Like relacy_atom.h's run_model, but Relacy writes to a file stream opened beforehand: Relacy
// replaces the global operator new/delete, so an std::ostringstream that grows while Relacy
// prints a long failure history frees a block from the wrong heap ("free(): invalid pointer").
template <class Model>
bool run(const char* name, rl::test_params p, bool expect_failure) {
    std::printf("=== %s (%s)\n", name, expect_failure ? "must FAIL" : "must pass");
    std::fflush(stdout);
    char path[] = "/tmp/lf_model_rcu.XXXXXX";
    const int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    bool failed;
    {
        std::ofstream out(path);
        p.output_stream = &out;
        p.progress_stream = &out;
        rl::simulate<Model>(p);
        failed = p.test_result != rl::test_result_success;
    }
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        if (line.find("DATA RACE") != std::string::npos ||
            line.find("ASSERT") != std::string::npos ||
            line.find("assertion") != std::string::npos ||
            line.find("total time") != std::string::npos)
            std::printf("    %s\n", line.c_str());
    }
    std::remove(path);
    const bool ok = failed == expect_failure;
    std::printf("=== %s: Relacy result '%s' after %llu iterations -> %s\n\n", name,
                rl::test_result_str(p.test_result),
                static_cast<unsigned long long>(p.stop_iteration),
                ok ? "as expected" : "UNEXPECTED");
    std::fflush(stdout);
    return ok;
}

rl::test_params params(unsigned iterations) {
    rl::test_params p;
    p.search_type = rl::sched_random;
    p.iteration_count = iterations;
    p.execution_depth_limit = 20000;
    return p;
}

} // namespace
} // namespace scythe::lf::model

int main(int argc, char** argv) {
    using namespace scythe::lf::model;
    const bool weak = argc > 1 && std::strcmp(argv[1], "weak") == 0;
    bool ok = true;
    if (!weak) {
        ok &= run<Handshake<scythe::lf::RcuOrders, Reclaim::kSynchronize>>("rcu: synchronize",
                                                                           params(200000), false);
        ok &= run<Handshake<scythe::lf::RcuOrders, Reclaim::kCallRcu>>("rcu: call_rcu",
                                                                       params(200000), false);
        // Every interleaving with up to 4 preemptions (context-bounded exhaustive search).
        rl::test_params full = params(0);
        full.search_type = rl::sched_bound;
        full.context_bound = 4;
        full.iteration_count = 5000000; // upper bound; the search ends when exhausted
        ok &= run<Handshake<scythe::lf::RcuOrders, Reclaim::kSynchronize>>(
            "rcu: synchronize, context bound 4", full, false);
    } else {
        ok &= run<Handshake<WeakOrders, Reclaim::kSynchronize>>(
            "rcu: synchronize, relaxed report+scan", params(200000), true);
        ok &= run<Handshake<WeakReport, Reclaim::kCallRcu>>("rcu: call_rcu, relaxed report",
                                                            params(200000), true);
    }
    return ok ? 0 : 1;
}
