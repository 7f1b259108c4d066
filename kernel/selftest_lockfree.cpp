// test=lockfree: lockfree/ on every CPU with the kernel platform
// (kernel/lf_platform.h). One line per sub-test, then a verdict:
//   dead_list  every CPU pushes K nodes (single pushes and push_chain
//              batches) while CPU 0 also reaps with take_all: each node must
//              be taken exactly once.
//   rcu, rcu_hash   in selftest_rcu.cpp.
// Bodies run on the other CPUs inside a cross-call (interrupts off), so they
// must not wait for anything that needs an interrupt on their CPU.
#include <atomic>

#include "arch/cpu.h"
#include "arch/time.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lf_platform.h"
#include "kernel/selftest_lockfree.h"
#include "kernel/xcall.h"
#include "lockfree/dead_list.h"

namespace kernel {
namespace {

namespace lf = scythe::lf;

// Nodes per CPU: about kTotalNodes in all, so 16 TCG vCPUs on a loaded
// 2-core host finish in seconds. At least kMinNodesPerCpu each.
constexpr uint32_t kTotalNodes = 24000;
constexpr uint32_t kMinNodesPerCpu = 1000;
constexpr uint32_t kSinglesRun = 64; // nodes pushed one by one, then batches, alternating
constexpr uint32_t kMaxBatch = 7;

struct DeadNode {
    lf::DeadListHook<DeadNode> hook;
    std::atomic<uint32_t> taken{0};
};

struct DeadListTest {
    lf::DeadList<&DeadNode::hook> list;
    uint32_t per_cpu = 0;
    DeadNode* nodes = nullptr; // [cpu * per_cpu + i]
    std::atomic<uint32_t> pushers_done{0};
    uint64_t taken = 0, batches = 0; // reaper-private
    std::atomic<uint64_t> chains{0};
    std::atomic<uint32_t> arrived{0};
};
DeadListTest dl;

// Pushes nodes [from, to) of this CPU's slice: a run of single pushes, then
// chains of 1..kMaxBatch nodes linked privately and spliced with one CAS.
void push_some(DeadNode* slice, uint32_t from, uint32_t to) {
    for (uint32_t i = from; i < to;) {
        if (i / kSinglesRun % 2 == 0) {
            dl.list.push(&slice[i++]);
            continue;
        }
        uint32_t len = 1 + i % kMaxBatch;
        if (len > to - i)
            len = to - i;
        for (uint32_t k = 0; k + 1 < len; k++) // relaxed: private until push_chain's release
            slice[i + k].hook.next.store(&slice[i + k + 1], std::memory_order_relaxed);
        dl.list.push_chain(&slice[i], &slice[i + len - 1]);
        dl.chains.fetch_add(1, std::memory_order_relaxed);
        i += len;
    }
}

void reap() {
    auto chain = dl.list.take_all();
    if (chain.empty())
        return;
    dl.batches++;
    dl.taken +=
        chain.consume([](DeadNode* n) { n->taken.fetch_add(1, std::memory_order_relaxed); });
}

void dead_list_body(void*) {
    const uint32_t me = arch::this_cpu_id();
    DeadNode* slice = &dl.nodes[me * dl.per_cpu];
    start_together(dl.arrived);
    if (me != 0) {
        push_some(slice, 0, dl.per_cpu);
        // release: our pushes happen before the reaper's final take_all.
        dl.pushers_done.fetch_add(1, std::memory_order_release);
        return;
    }
    // The reaper pushes its own slice a little at a time between takes.
    const uint32_t others = cpus_online() - 1;
    uint32_t pushed = 0;
    for (;;) {
        if (pushed < dl.per_cpu) {
            const uint32_t to = pushed + 8 < dl.per_cpu ? pushed + 8 : dl.per_cpu;
            push_some(slice, pushed, to);
            pushed = to;
        }
        // acquire: pairs with the pushers' release; then one take gets the rest.
        const bool all_pushed =
            pushed == dl.per_cpu && dl.pushers_done.load(std::memory_order_acquire) == others;
        reap();
        if (all_pushed) {
            reap();
            return;
        }
        arch::cpu_relax();
    }
}

bool test_dead_list() {
    const uint32_t n = cpus_enumerated();
    dl.per_cpu = kTotalNodes / n > kMinNodesPerCpu ? kTotalNodes / n : kMinNodesPerCpu;
    dl.nodes = new DeadNode[n * dl.per_cpu];
    xcall_all(dead_list_body, nullptr, XcallWait::Yes);
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < n * dl.per_cpu; i++)
        if (dl.nodes[i].taken.load(std::memory_order_relaxed) != 1 && wrong++ < 4)
            kprintf("selftest lockfree: dead_list node %u (cpu %u) taken %u times\n", i,
                    i / dl.per_cpu, dl.nodes[i].taken.load());
    const bool ok = wrong == 0 && dl.taken == uint64_t(n) * dl.per_cpu && dl.list.empty();
    kprintf("selftest lockfree: dead_list: %u CPUs pushed %u nodes (%lu chains), reaper took %lu "
            "in %lu batches, %u not taken exactly once: %s\n",
            n, n * dl.per_cpu, dl.chains.load(), dl.taken, dl.batches, wrong, ok ? "ok" : "FAILED");
    delete[] dl.nodes;
    return ok;
}

} // namespace

int selftest_lockfree() {
    // Pinned: the test's own part and its per-CPU state (RCU online, page
    // cache drained here) must stay on this CPU; the scheduler's load
    // balancer could otherwise move this thread while it waits.
    LfPlatform::PreemptGuard pin;
    if (cpus_online() != cpus_enumerated()) {
        kprintf("selftest lockfree: only %u of %u CPUs online\n", cpus_online(), cpus_enumerated());
        return 1;
    }
    const uint64_t t0 = arch::monotonic_ns();
    bool ok = test_dead_list();
    const uint64_t t1 = arch::monotonic_ns();
    ok = selftest_rcu_objects() && ok;
    const uint64_t t2 = arch::monotonic_ns();
    ok = selftest_rcu_hash() && ok;
    const uint64_t t3 = arch::monotonic_ns();
    kprintf("selftest lockfree: took %lu ms (dead_list %lu, rcu %lu, rcu_hash %lu)\n",
            (t3 - t0) / 1'000'000, (t1 - t0) / 1'000'000, (t2 - t1) / 1'000'000,
            (t3 - t2) / 1'000'000);
    kprintf("selftest lockfree: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

} // namespace kernel
