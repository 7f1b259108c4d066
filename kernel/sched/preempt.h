// The preempt counter: while it is non-zero on a CPU, the timer does not
// switch threads there, so per-CPU data stays this CPU's. Nests. Kept per
// CPU (a thread never switches with it raised), updated with interrupts off
// so reading the CPU id and counting cannot be split by a migration.
#pragma once

#include <stdint.h>

namespace kernel::sched {

void preempt_disable();
void preempt_enable(); // at zero, switches if a reschedule is pending
uint32_t preempt_count();

// A tick found preemption off: its hooks (sched.h, add_tick_hook) run when
// this CPU's count next drops to zero with interrupts on, i.e. at the end
// of the non-preemptible section, the first point it could be switched.
// Interrupts off.
void defer_tick_hooks();

class PreemptGuard {
public:
    PreemptGuard() { preempt_disable(); }
    ~PreemptGuard() { preempt_enable(); }
    PreemptGuard(const PreemptGuard&) = delete;
    PreemptGuard& operator=(const PreemptGuard&) = delete;
};

} // namespace kernel::sched
