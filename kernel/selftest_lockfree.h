// Sub-tests of test=lockfree (kernel/selftest_lockfree.cpp), one file each.
// Each prints one line and returns true when it passed.
#pragma once

#include <atomic>
#include <stdint.h>

#include "arch/cpu.h"
#include "kernel/cpu.h"

namespace kernel {

// Start line for a test body run on every CPU by a cross-call: IPIs reach
// TCG vCPUs at very different times, so without it the bodies could run one
// after another and test nothing concurrent.
inline void start_together(std::atomic<uint32_t>& arrived) {
    arrived.fetch_add(1, std::memory_order_acq_rel);
    while (arrived.load(std::memory_order_acquire) < cpus_online())
        arch::cpu_relax();
}

bool selftest_rcu_objects(); // readers everywhere vs an updater freeing via call_rcu
bool selftest_rcu_hash();    // insert/lookup/remove of lockfree/rcu_hash.h from all CPUs

} // namespace kernel
