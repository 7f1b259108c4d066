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

// A child's report to its parent (reap, stop, continue): locks the tree
// lock of the child's current parent, re-checked after locking since
// reparenting may move the child meanwhile. Interrupts stay off from
// reading the parent pointer until the guard ends, so the parent, freed
// only after an RCU grace period, stays valid after unlock_tree() too
// (signal and wake it there, without its tree lock).
class ParentGuard {
public:
    explicit ParentGuard(Process& child);
    ~ParentGuard();
    ParentGuard(const ParentGuard&) = delete;
    ParentGuard& operator=(const ParentGuard&) = delete;

    Process& parent() const { return *parent_; }
    void unlock_tree(); // interrupts stay off

private:
    Process* parent_;
    smp::SpinLock* lock_;
    arch::IrqState irq_;
};

// Process slots: false (EAGAIN) at the limit; the last kRootReserve slots
// are for uid 0 (which is everyone for now).
inline constexpr uint32_t kMaxProcesses = 2048;
inline constexpr uint32_t kRootReserve = 8;
bool reserve_slot(uint32_t uid);
void release_slot();

// pid numbers (pid_alloc.h): 1 .. pid_max-1 from per-CPU batches, wrapping
// around at pid_max (boot option pid_max=N, Linux's range and default) to
// 300 as Linux does (to 1 when pid_max <= 600); a number comes back only
// after its process is freed (a grace period after wait) and no process in
// the table, zombies included, has it as its process group or session.
inline constexpr uint64_t kDefaultPidMax = 32768; // Linux's default (PID_MAX_DEFAULT)
inline constexpr uint64_t kMinPidMax = 301;       // Linux's PID_MAX_MIN: RESERVED_PIDS + 1
inline constexpr uint64_t kMaxPidMax = 4194304;   // Linux's PID_MAX_LIMIT on 64-bit
// A number for a new process, or 0 when every number is held (fork: EAGAIN).
int alloc_pid();
// The process numbered pid is gone (freed after its grace period, or never
// published): the number may come back, once no group holds it.
void pid_free(int pid);
// A process joined group pgid and is already in the pid table (fork, after
// pid_insert): keeps the number if the allocator is checking it right now.
void pid_join_group(int pgid);
// The same for every number a new process holds as a member: its group and,
// where processes have one, its session (fork, after pid_insert).
void pid_join_groups_of(Process* p);
struct PidNumberStats {
    int pid_max;
    uint64_t wraps, free, groups, dropped;
    uint64_t cached; // in CPUs' batches and freed buffers: read only when nothing forks or exits
};
PidNumberStats pid_number_stats();
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

// fail_fork=N (debugging, off by default): every Nth fork by a process other
// than init fails at one of its allocation steps in turn (the process, the
// address space, the thread), as if memory had run out, so that a test can
// show each undo path gives everything back. Counted only when on.
enum class ForkFault : uint8_t { None, Process, Space, Thread };
ForkFault fork_fault(const Process* parent);

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
