// Resource usage of processes (getrusage, times, wait4's rusage, the CPU-time
// clocks), built on the per-thread accounting of kernel/sched/cputime.h.
//
// A process's own usage is its live threads' plus `Process::self`, where
// each thread's usage is folded when it ends (thread_exit): final once the
// last one has ended. A waiter
// adds a reaped child's self and children_total to its own children_total
// (kernel/proc/wait.cpp), so a child's waited-for descendants count toward
// the waiter too, as OpenBSD's ps_cru and Linux's cutime. Children that are
// never waited for (SIGCHLD ignored, or orphans reaped by init) count for
// no one but the process that waits for them.
#pragma once

#include <stdint.h>

#include "kernel/user/process.h"

namespace kernel::user {

// The calling thread's usage so far.
RusageLite thread_usage_now();
// The calling process's own usage so far (its ended threads, its live ones).
RusageLite process_usage_now(Process* p);
// struct rusage to user memory: 0 or -EFAULT.
long put_rusage(uintptr_t user, const RusageLite& u);

} // namespace kernel::user
