// The scheduler: preemptive, one run queue per CPU, no global lock.
//
// Each CPU runs its own queue (FIFO round robin, a time slice of one tick)
// under that queue's own lock, plus an idle thread that halts with
// interrupts on. Threads move between CPUs only when an idle CPU pulls one
// from the busiest queue (load balancing) or when a new thread is placed.
// A wakeup enqueues the sleeper on its own CPU and sends that CPU a
// reschedule IPI. A thread that exits parks on its CPU's dead-thread queue;
// the next thread to run there (or idle) frees its stack in the switch tail.
#pragma once

#include <stdint.h>

#include "kernel/sched/thread.h"

namespace kernel::sched {

// The tick: 100 Hz (a 10 ms time slice). Modest on purpose: under TCG with
// more vCPUs than host cores every tick costs host time on every vCPU.
inline constexpr uint32_t kTickHz = 100;
inline constexpr uint32_t kAnyCpu = ~0u;

// Boot CPU, after interrupts_init and before the other CPUs start: calibrates
// the tick, makes the running boot context the thread "main" (pinned to CPU
// 0), gives CPU 0 an idle thread and starts its tick.
void init();

// Every other CPU, from kernel::idle_loop(): its boot context becomes its
// idle thread. Never returns.
[[noreturn]] void run_idle_thread();

struct SpawnOptions {
    const char* name = "kthread";
    uint32_t cpu = kAnyCpu; // kAnyCpu: place_new_thread() decides
    bool pinned = false;
};
// Creates a runnable thread that calls entry(arg) with interrupts on;
// returning from entry exits the thread. nullptr when out of memory. The
// pointer is only good until the thread exits.
Thread* spawn(void (*entry)(void*), void* arg, const SpawnOptions& options = {});

// The CPU a new thread (and later a forked process) starts on: round robin
// over the CPUs whose scheduler runs, from a per-CPU cursor (no shared line).
uint32_t place_new_thread();

Thread* current();
void yield();
// The caller may switch away: a thread (not idle, not an interrupt handler)
// with interrupts on and preemption enabled.
bool can_block();
[[noreturn]] void exit_thread();

// This CPU's tick queue, woken at every timer tick: a sleep with a deadline
// (there is no timer wheel yet) waits on it until the clock passes the
// deadline, off the CPU in between. The queue stays the one named even if
// the sleeper later runs elsewhere: its CPU's tick still wakes it.
class WaitQueue;
WaitQueue& tick_queue();

// Puts a Sleeping thread back on its CPU's run queue (IPI if remote).
// Returns false if it was not sleeping. For wait queues.
bool wake_up(Thread* t);

// If t is running on another CPU, interrupts that CPU (a reschedule IPI) so
// t passes through the kernel soon: its return-to-user work then runs.
void kick(Thread* t);

// Switches to the next runnable thread of this CPU (or idle). The caller's
// state decides whether it is queued again. Preemption must be enabled.
void schedule();

// Per-CPU deferred work for other subsystems (RCU's quiescent states,
// callbacks). Register on the boot CPU before smp_init(); at most
// kMaxHooks of each. Switch hooks run in the switch tail of every context
// switch, after the run-queue lock is dropped and dead threads are freed,
// with interrupts off. Idle hooks run in each idle loop pass before the CPU
// halts, with interrupts off.
// Tick hooks run in the timer interrupt, interrupts off, when the
// interrupted thread had preemption enabled: it could have been switched
// away right there, so it is outside any non-preemptible section. If it was
// inside one, they run when that section ends (preempt_enable). RCU reports
// a quiescent state from here for threads that never switch.
inline constexpr int kMaxHooks = 4;
void add_switch_hook(void (*hook)());
void add_idle_hook(void (*hook)());
void add_tick_hook(void (*hook)());
void run_tick_hooks(); // the timer and preempt_enable (a deferred tick); interrupts off

// Hooks for the arch's interrupt handlers (arch/timer.h).
void on_timer_tick();
void on_reschedule_ipi();
void preempt_on_interrupt_exit();
bool resched_pending(); // this CPU has asked for a switch

struct Stats {
    uint64_t switches, ticks, pulled, spawned, freed;
    uint64_t ipis_sent, ipis_received; // reschedule IPIs
};
Stats stats_for(uint32_t cpu);

} // namespace kernel::sched
