// The per-CPU scheduler (sched.h): run queues, the switch and its tail,
// idle threads, wakeups, load balancing and placement.
//
// Locking: each run queue has its own lock, taken with interrupts off. A CPU
// holds its own queue's lock across a context switch; the thread switched
// to releases it first thing (finish_switch), so another CPU that takes the
// lock never sees a thread whose registers are still being saved. No path
// holds two run queue locks; wait queue locks are taken before run queue
// locks (a wakeup), never after.
#include <new>

#include "arch/context.h"
#include "arch/cpu.h"
#include "arch/fpu.h"
#include "arch/timer.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lf_platform.h"
#include "kernel/mm/heap.h"
#include "kernel/panic.h"
#include "kernel/sched/cputime.h"
#include "kernel/sched/preempt.h"
#include "kernel/sched/run_queue.h"
#include "kernel/sched/sched.h"
#include "lockfree/percpu_queue.h"
#include "smp/percpu.h"

namespace kernel::sched {

LockClass run_queue_class("run_queue");

namespace {

smp::PerCpu<RunQueue> run_queues;

// Written on the boot CPU before the other CPUs start, read-only afterwards.
struct Hooks {
    void (*fn[kMaxHooks])() = {};
    int count = 0;

    void add(void (*hook)(), const char* kind) {
        if (count == kMaxHooks)
            panic("sched: too many %s hooks", kind);
        fn[count++] = hook;
    }
    void run() const {
        for (int i = 0; i < count; i++)
            fn[i]();
    }
};
Hooks switch_hooks, idle_hooks, tick_hooks;
scythe::lf::PerCpuDeadQueue<&Thread::dead_hook, LfPlatform> dead_threads;

RunQueue& local_rq() { // interrupts off, or the caller is pinned
    return run_queues.local();
}

// Frees the threads that exited on this CPU. Only called once the CPU has
// switched away from all of them: from the switch tail and from idle.
void reap_dead() {
    LfPlatform::IrqGuard irq;
    const size_t n = dead_threads.local(irq).drain([](Thread* t) {
        free_stack(t->stack);
        t->~Thread();
        kfree(t);
    });
    if (n)
        RunQueue::bump_local(local_rq().freed, n);
}

// The switch tail: runs in the thread just switched to, on its new CPU.
void finish_switch() {
    RunQueue& rq = local_rq();
    // The CPU's stack bounds follow the thread, so a fault report can tell
    // a kernel stack overflow (RSP in the guard page) from other faults.
    Cpu& cpu = this_cpu();
    cpu.stack_bottom = rq.current->stack.bottom;
    cpu.stack_top = rq.current->stack.top;
    cputime::switch_in(rq.current);
    rq.lock.unlock();
    reap_dead();
    switch_hooks.run();
}

[[noreturn]] void idle_main();

// First code of every new thread (arch::context_init's start).
[[noreturn]] void thread_start(void* arg) {
    finish_switch();
    arch::irq_enable();
    Thread* t = static_cast<Thread*>(arg);
    if (t->idle)
        idle_main();
    t->entry(t->arg);
    exit_thread();
}

Thread* new_thread() {
    void* mem = kmalloc(sizeof(Thread));
    return mem ? new (mem) Thread : nullptr;
}

// With a stack of its own, ready to be switched to.
Thread* new_thread_with_stack(const char* name, void (*entry)(void*), void* arg) {
    Thread* t = new_thread();
    if (!t)
        return nullptr;
    t->stack = alloc_stack();
    if (!t->stack.top) {
        t->~Thread();
        kfree(t);
        return nullptr;
    }
    t->name = name;
    t->entry = entry;
    t->arg = arg;
    t->saved_sp = arch::context_init(t->stack.top, thread_start, t);
    return t;
}

uint64_t next_id(RunQueue& rq) {
    // Per-CPU sequence numbers with the CPU in the low byte: unique, no shared line.
    return (rq.spawned.fetch_add(1, std::memory_order_relaxed) << 8) | arch::this_cpu_id();
}

// A CPU's boot context becomes a thread: it keeps running on the boot stack.
Thread* adopt_boot_context(RunQueue& rq, const char* name) {
    Thread* t = new_thread();
    if (!t)
        panic("sched: out of memory for the boot threads");
    t->name = name;
    t->pinned = true;
    t->owns_stack = false;
    t->stack = {this_cpu().stack_bottom, this_cpu().stack_top};
    t->id = next_id(rq);
    t->cpu.store(arch::this_cpu_id(), std::memory_order_relaxed);
    return t;
}

// An idle CPU takes the oldest movable thread of the busiest other queue.
// Queue lengths are read without locks (a hint), and the chosen queue is
// only try-locked: idle CPUs polling at every tick must never convoy on a
// busy CPU's lock (under TCG, with more vCPUs than host cores, a ticket lock
// handed from one descheduled vCPU to the next starved the busy CPU of its
// own lock). Our own lock is never held at the same time.
bool pull_one(RunQueue& mine) {
    const uint32_t me = arch::this_cpu_id();
    uint32_t busiest = me, most = 0;
    for (uint32_t cpu = 0; cpu < cpus_enumerated(); cpu++) {
        const uint32_t m = run_queues.on(cpu).movable.load(std::memory_order_relaxed);
        if (cpu != me && m > most) {
            most = m;
            busiest = cpu;
        }
    }
    if (!most)
        return false;
    RunQueue& src = run_queues.on(busiest);
    if (!src.lock.try_lock())
        return false; // busy: the next tick tries again
    Thread* t = src.pop_movable();
    if (t)
        t->cpu.store(me, std::memory_order_relaxed); // queued: its cpu may change
    src.lock.unlock();
    if (!t)
        return false;
    mine.lock.lock();
    mine.push(t);
    mine.lock.unlock();
    mine.pulled.fetch_add(1, std::memory_order_relaxed);
    return true;
}

[[noreturn]] void idle_main() {
    RunQueue& rq = local_rq(); // the idle thread never migrates
    for (;;) {
        arch::irq_disable();
        reap_dead();
        idle_hooks.run();
        const bool work = rq.queued.load(std::memory_order_relaxed) ||
                          rq.need_resched.load(std::memory_order_relaxed) || pull_one(rq);
        if (work)
            schedule(); // interrupts stay off: schedule saves and restores them
        else
            arch::wait_for_interrupt(); // sti; hlt: a wakeup IPI cannot slip in between
    }
}

void send_reschedule(uint32_t cpu) {
    local_rq().ipis_sent.fetch_add(1, std::memory_order_relaxed);
    arch::send_reschedule_ipi(cpu);
}

void start_tick_here(RunQueue& rq) {
    rq.ready.store(true, std::memory_order_release);
    arch::timer_start_this_cpu(kTickHz);
}

} // namespace

void init() {
    arch::timer_calibrate();
    arch::irq_disable();
    RunQueue& rq = local_rq();
    Thread* main = adopt_boot_context(rq, "main"); // pinned: selftests stay where they began
    Thread* idle = new_thread_with_stack("idle", nullptr, nullptr);
    if (!idle)
        panic("sched: out of memory for the boot threads");
    idle->idle = idle->pinned = true;
    idle->id = next_id(rq);
    rq.current = main;
    rq.idle = idle;
    start_tick_here(rq);
    arch::irq_enable();
    kinfo("sched: per-CPU run queues, tick %u Hz (local APIC timer)\n", kTickHz);
}

void run_idle_thread() {
    arch::irq_disable();
    RunQueue& rq = local_rq();
    Thread* idle = adopt_boot_context(rq, "idle");
    idle->idle = true;
    rq.lock.lock();
    rq.current = rq.idle = idle;
    rq.lock.unlock();
    start_tick_here(rq);
    idle_main();
}

void add_switch_hook(void (*hook)()) {
    switch_hooks.add(hook, "switch");
}

void add_idle_hook(void (*hook)()) {
    idle_hooks.add(hook, "idle");
}

void add_tick_hook(void (*hook)()) {
    tick_hooks.add(hook, "tick");
}

void run_tick_hooks() {
    tick_hooks.run();
}

uint32_t place_new_thread() {
    const arch::IrqState irq = arch::irq_save();
    const uint32_t me = arch::this_cpu_id();
    const uint32_t n = cpus_enumerated();
    RunQueue& rq = local_rq();
    uint32_t chosen = me;
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t cpu = (me + rq.place_cursor++) % n;
        if (run_queues.on(cpu).ready.load(std::memory_order_acquire)) {
            chosen = cpu;
            break;
        }
    }
    arch::irq_restore(irq);
    return chosen;
}

Thread* spawn(void (*entry)(void*), void* arg, const SpawnOptions& options) {
    Thread* t = new_thread_with_stack(options.name, entry, arg);
    if (!t)
        return nullptr;
    t->pinned = options.pinned;
    const uint32_t cpu = options.cpu == kAnyCpu ? place_new_thread() : options.cpu;
    t->cpu.store(cpu, std::memory_order_relaxed);

    const arch::IrqState irq = arch::irq_save();
    t->id = next_id(local_rq());
    RunQueue& rq = run_queues.on(cpu);
    rq.lock.lock();
    rq.push(t);
    const bool was_idle = rq.current == rq.idle;
    rq.lock.unlock();
    if (cpu != arch::this_cpu_id() && was_idle)
        send_reschedule(cpu);
    arch::irq_restore(irq);
    return t;
}

WaitQueue& tick_queue() {
    const arch::IrqState irq = arch::irq_save();
    WaitQueue& q = local_rq().tick_waiters;
    arch::irq_restore(irq);
    return q;
}

Thread* current() {
    const arch::IrqState irq = arch::irq_save();
    Thread* t = local_rq().current;
    arch::irq_restore(irq);
    return t;
}

void yield() {
    schedule();
}

bool can_block() {
    if (!arch::irq_enabled() || preempt_count() != 0)
        return false;
    const Thread* t = current();
    return t && !t->idle;
}

void schedule() {
    const arch::IrqState irq = arch::irq_save();
    if (preempt_count() != 0)
        panic("schedule() with preemption disabled (count %u)", preempt_count());
    RunQueue& rq = local_rq();
    rq.lock.lock();
    rq.need_resched.store(false, std::memory_order_relaxed);
    Thread* prev = rq.current;
    if (!prev->idle && prev->state.load(std::memory_order_relaxed) == ThreadState::Runnable)
        rq.push(prev);
    Thread* next = rq.pop();
    if (!next)
        next = rq.idle;
    if (next == prev) {
        rq.lock.unlock();
        arch::irq_restore(irq);
        return;
    }
    rq.current = next;
    RunQueue::bump_local(rq.switches);
    cputime::switch_out(prev);
    // The kernel never touches FPU registers: they still hold prev's state.
    if (prev->fpu)
        arch::fpu_save(prev->fpu);
    arch::context_switch(&prev->saved_sp, next->saved_sp);
    // Back in prev, maybe on another CPU, whose queue lock the switcher holds.
    finish_switch();
    if (prev->fpu)
        arch::fpu_restore(prev->fpu);
    arch::irq_restore(irq);
}

void exit_thread() {
    arch::irq_disable();
    Thread* me = current();
    if (me->idle || !me->owns_stack)
        panic("sched: thread '%s' without a stack of its own cannot exit", me->name);
    me->state.store(ThreadState::Dead, std::memory_order_relaxed);
    {
        LfPlatform::IrqGuard irq;
        dead_threads.local(irq).park(me);
    }
    schedule();
    panic("sched: a dead thread was switched back to");
}

bool wake_up(Thread* t) {
    const arch::IrqState irq = arch::irq_save();
    for (;;) {
        const uint32_t cpu = t->cpu.load(std::memory_order_relaxed);
        RunQueue& rq = run_queues.on(cpu);
        rq.lock.lock();
        if (t->cpu.load(std::memory_order_relaxed) != cpu) { // moved meanwhile: retry
            rq.lock.unlock();
            continue;
        }
        if (t->state.load(std::memory_order_relaxed) != ThreadState::Sleeping) {
            rq.lock.unlock();
            arch::irq_restore(irq);
            return false;
        }
        t->state.store(ThreadState::Runnable, std::memory_order_relaxed);
        // Still current: it has not switched away yet; its schedule() will
        // see Runnable and keep it. Otherwise it goes back on its queue.
        bool kick = false;
        if (rq.current != t) {
            rq.push(t);
            kick = rq.current == rq.idle;
        }
        rq.lock.unlock();
        // t may run (and exit) from here on: only `cpu` is used below.
        if (kick && cpu != arch::this_cpu_id())
            send_reschedule(cpu);
        arch::irq_restore(irq);
        return true;
    }
}

void kick(Thread* t) {
    const arch::IrqState irq = arch::irq_save();
    const uint32_t cpu = t->cpu.load(std::memory_order_relaxed);
    if (cpu != arch::this_cpu_id()) {
        RunQueue& rq = run_queues.on(cpu);
        rq.lock.lock();
        const bool running = rq.current == t;
        rq.lock.unlock();
        if (running)
            send_reschedule(cpu);
    }
    arch::irq_restore(irq);
}

void on_timer_tick() {
    RunQueue& rq = local_rq();
    RunQueue::bump_local(rq.ticks);
    rq.tick_waiters.wake_all(); // before the slice check: a woken sleeper is queued now
    if (preempt_count() == 0)
        tick_hooks.run();
    else if (tick_hooks.count)
        defer_tick_hooks();
    if (rq.queued.load(std::memory_order_relaxed))
        rq.need_resched.store(true, std::memory_order_relaxed); // time slice over
}

void on_reschedule_ipi() {
    RunQueue& rq = local_rq();
    rq.ipis_received.fetch_add(1, std::memory_order_relaxed);
    rq.need_resched.store(true, std::memory_order_relaxed);
}

void preempt_on_interrupt_exit() {
    RunQueue& rq = local_rq();
    if (!rq.need_resched.load(std::memory_order_relaxed) || !rq.current || rq.current->idle)
        return; // idle looks at its queue itself when the interrupt returns
    if (preempt_count() != 0)
        return; // preempt_enable() will switch
    schedule();
}

bool resched_pending() {
    const arch::IrqState irq = arch::irq_save();
    RunQueue& rq = local_rq();
    const bool pending =
        rq.need_resched.load(std::memory_order_relaxed) && rq.current && !rq.current->idle;
    arch::irq_restore(irq);
    return pending;
}

Stats stats_for(uint32_t cpu) {
    const RunQueue& rq = run_queues.on(cpu);
    return {rq.switches.load(std::memory_order_relaxed),
            rq.ticks.load(std::memory_order_relaxed),
            rq.pulled.load(std::memory_order_relaxed),
            rq.spawned.load(std::memory_order_relaxed),
            rq.freed.load(std::memory_order_relaxed),
            rq.ipis_sent.load(std::memory_order_relaxed),
            rq.ipis_received.load(std::memory_order_relaxed)};
}

} // namespace kernel::sched
