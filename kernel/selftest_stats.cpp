// test=stats: the per-CPU event counters (kernel/stats) move: a kernel
// thread storm switches on every CPU, a cross-call round interrupts every
// other CPU, a grace period completes; then the whole table is printed.
#include <stdint.h>

#include "arch/cpu.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/proc/lifecycle.h"
#include "kernel/sched/selftest_sched.h"
#include "kernel/stats/counters.h"
#include "kernel/xcall.h"
#include "smp/percpu.h"

namespace kernel {
namespace {

struct PerCpuRows {
    uint64_t switches[smp::kMaxCpus], call_ipis[smp::kMaxCpus];
};

PerCpuRows read_rows(uint32_t n) {
    PerCpuRows r{};
    for (uint32_t c = 0; c < n; c++) {
        r.switches[c] = stats::on_cpu(stats::Row::ContextSwitches, c);
        r.call_ipis[c] = stats::on_cpu(stats::Row::CallIpiReceived, c);
    }
    return r;
}

void nothing(void*) {}

} // namespace

int selftest_stats() {
    const uint32_t n = cpus_online();
    const PerCpuRows before = read_rows(n);
    const uint64_t gp_before = stats::globals().rcu_gp_completed;

    const int storm = sched::test_kthreads();
    // Waited for: every other CPU takes the IPI (requests to an idle CPU
    // are not coalesced with anything else of ours).
    for (int i = 0; i < 3; i++)
        xcall_all(nothing, nullptr, XcallWait::Yes);
    proc::rcu().synchronize();

    const PerCpuRows after = read_rows(n);
    uint32_t switched = 0, interrupted = 0;
    for (uint32_t c = 0; c < n; c++) {
        switched += after.switches[c] > before.switches[c];
        interrupted += c != arch::this_cpu_id() && after.call_ipis[c] > before.call_ipis[c];
    }
    const uint64_t gps = stats::globals().rcu_gp_completed - gp_before;
    stats::print();
    const bool ok = storm == 0 && switched == n && interrupted == n - 1 && gps > 0;
    kprintf("selftest stats: context switches on %u of %u CPUs, cross-call IPIs taken on %u of "
            "%u others, %lu grace periods: %s\n",
            switched, n, interrupted, n - 1, gps, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

} // namespace kernel
