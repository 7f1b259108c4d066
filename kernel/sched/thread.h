// A kernel thread: its saved context, its stack and its place in the
// scheduler's queues. Owned by the scheduler (scheduler.cpp); other code
// holds Thread* only while the thread cannot exit under it.
#pragma once

#include <atomic>
#include <stdint.h>

#include "kernel/sched/stack_pool.h"
#include "lockfree/dead_list.h"

namespace kernel::sched {

enum class ThreadState : uint8_t {
    Runnable, // running on its CPU or queued there
    Sleeping, // on a wait queue; only a wakeup makes it Runnable again
    Dead,     // parked on its CPU's dead queue, freed by that CPU's switch tail
};

// CPU time and switches of one thread, in cycles of arch::cycle_counter().
// Charged at each entry from user mode, return to user mode and context
// switch (kernel/sched/cputime.cpp); written only by the thread itself (or
// by its CPU's scheduler while it switches out), so plain fields.
struct CpuTimes {
    uint64_t stamp = 0;             // start of the interval not charged yet
    uint64_t user = 0, system = 0;  // cycles
    uint64_t minflt = 0;            // page faults the VM resolved for it
    uint64_t nvcsw = 0, nivcsw = 0; // switched out blocking / still runnable
};

struct Thread {
    uintptr_t saved_sp = 0; // valid while switched out (arch/context.h)
    Stack stack{};          // where it runs (exception reports check its guard page)
    bool owns_stack = true; // false for a CPU's boot stack, which is never freed
    void (*entry)(void*) = nullptr;
    void* arg = nullptr;
    const char* name = "";
    uint64_t id = 0;

    // Runnable -> Sleeping by the thread itself (under its wait queue's lock),
    // Sleeping -> Runnable by a waker under the run queue lock of `cpu`.
    std::atomic<ThreadState> state{ThreadState::Runnable};
    // The run queue it belongs to. Changes only while the thread is queued
    // (not running, not sleeping), under that run queue's lock.
    std::atomic<uint32_t> cpu{0};
    bool pinned = false; // the load balancer leaves it where it is
    bool idle = false;   // its CPU's idle thread: never queued
    // A user thread's FPU/SSE save area (arch/fpu.h), or nullptr: saved when
    // the thread is switched out, restored when it is switched back.
    void* fpu = nullptr;
    CpuTimes times; // kernel/sched/cputime.h: only this thread writes it

    Thread* run_next = nullptr;                 // run queue link, under the run queue's lock
    Thread* wait_next = nullptr;                // wait queue link, under the wait queue's lock
    scythe::lf::DeadListHook<Thread> dead_hook; // the per-CPU dead-thread queue
};

} // namespace kernel::sched
