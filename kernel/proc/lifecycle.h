// The process lifecycle's policy: which design runs the fork -> exit ->
// reap -> wait steps (kernel/proc/{fork,exit,wait}.cpp read as those steps
// and ask this interface for their locks, pids and dead-process lists).
//
//   lifecycle=scalable (default): the tree locked per process, pids from
//     per-CPU batches in an RCU hash (lookups lock-free, updates lock one
//     bucket), per-CPU lock-free dead-process lists each drained by its own
//     CPU's reaper thread (take_all: one exchange).
//   lifecycle=seed: OpenBSD 2017's shape: one global lock over the process
//     tree and the pid table, one global dead list under one spinlock, ONE
//     reaper thread. Same semantics; the baseline for every storm ratio.
#pragma once

#include <stdint.h>

#include "kernel/lf_platform.h"
#include "kernel/user/process.h"
#include "lockfree/rcu.h"
#include "smp/spinlock.h"

namespace kernel::proc {

using user::Process;
using KernelRcu = scythe::lf::Rcu<LfPlatform>;

enum class Mode : uint8_t { Scalable, Seed };
Mode mode();
const char* mode_name();

// The kernel's RCU (QSBR): quiescent at every context switch, in idle and on
// return to user (kernel_rcu.cpp).
KernelRcu& rcu();
void rcu_quiescent_on_return_to_user();

// Boot CPU before smp_init: reads lifecycle=, registers RCU's hooks.
void early_init();
// Once, before init starts: the reaper threads.
void start_reapers();

// The lock over p's children list and its children's states: p's own lock,
// or the seed design's global tree lock. Taken with interrupts off.
smp::SpinLock& tree_lock(Process& p);
// Two processes' tree locks (exit's reparenting), in address order, once if
// they are the same lock.
class TreeGuard2 {
public:
    TreeGuard2(Process& a, Process& b);
    ~TreeGuard2();
    TreeGuard2(const TreeGuard2&) = delete;
    TreeGuard2& operator=(const TreeGuard2&) = delete;

private:
    smp::SpinLock* first_;
    smp::SpinLock* second_;
    arch::IrqState irq_;
};

// Process slots: false (EAGAIN) at the limit; the last kRootReserve slots
// are for uid 0 (which is everyone for now).
inline constexpr uint32_t kMaxProcesses = 2048;
inline constexpr uint32_t kRootReserve = 8;
bool reserve_slot(uint32_t uid);
void release_slot();

// pids: never reused (a 31-bit counter handed out in batches per CPU), so a
// zombie, a process group or a session never sees its number taken.
int alloc_pid();
void pid_insert(Process* p);
// Looks up a process by pid; the caller holds an RCU read section (or has
// interrupts off) for as long as it uses the result.
Process* pid_lookup(int pid);

// The pid hash's size (2^order buckets), and resizing it: the leak check
// brings it back to its baseline size (it keeps the size of its peak).
unsigned pid_table_order();
void pid_table_resize(unsigned order);

// The memory ledger (report.cpp): the baseline the first time init (pid 1)
// forks, taken in fork before anything is allocated (only init exists then;
// one relaxed load afterwards), and the check at power-off after
// report_counts' RCU barrier: "lifecycle: leak check: ...".
void leak_baseline_on_init_fork();
void leak_check_report();

// The dying thread hands its process to a reaper. Interrupts off.
void push_dead(Process* p);

// The zombie is gone: unpublish its pid and free it after a grace period.
void release_process(Process* p);

// The reaper's work on one dead process (exit.cpp).
void reap(Process* p);

struct Counts {
    uint64_t processes; // allocated and not yet freed (after the grace period)
    uint64_t pids;      // in the pid table
    uint64_t reaped;    // processes handed to reapers since boot
    uint64_t forks;
};
Counts counts();
void count_fork();
void count_process_allocated();
void count_process_freed_directly(); // a process freed before it was ever published

} // namespace kernel::proc
