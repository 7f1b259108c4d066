// The lifecycle's policy (lifecycle.h): the mode, the tree locks, process
// slots, the dead-process lists and their reapers, and the final release.
#include "kernel/proc/lifecycle.h"

#include <atomic>

#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lf_platform.h"
#include "kernel/mm/heap.h"
#include "kernel/panic.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/seed.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/waitq.h"
#include "lockfree/dead_list.h"
#include "lockfree/percpu_counter.h"
#include "smp/percpu.h"

namespace kernel::proc {

smp::SpinLock seed_lock;

namespace {

Mode the_mode = Mode::Scalable;

// One shared counter for the process limit: an RMW per fork and per release,
// the only shared line on the scalable path (Linux's nr_threads is the same).
std::atomic<uint32_t> slots_used{0};
// Leak-check statistics, bumped on every fork, reap and free: per-CPU so that counting adds no
// shared cache line to the path it counts; summed only when read.
using Counter = scythe::lf::PerCpuCounter<LfPlatform>;
Counter processes_live, reaped_total, forks_total;

uint64_t fail_fork_every = 0;             // fail_fork=N, read once at early_init
std::atomic<uint64_t> faultable_forks{0}; // counted only when fail_fork is on

void count(Counter& c, int64_t delta) {
    LfPlatform::IrqGuard irq; // fork, reapers and RCU callbacks all count: any context
    c.add(irq, delta);
}

using DeadProcs = scythe::lf::DeadList<&Process::dead_hook>;

// Scalable: each CPU's dying processes go to its own list and its own
// reaper (pushed and drained on the same CPU: no remote cache line).
struct Reaper {
    DeadProcs list;
    sched::WaitQueue wake;
};
smp::PerCpu<Reaper> reapers;

// Seed: one list under the global lock, one reaper.
Process* seed_dead = nullptr; // under seed_lock, linked through dead_hook
sched::WaitQueue seed_wake;

void reap_chain(DeadProcs::Chain chain) {
    chain.reverse(); // oldest first
    while (Process* p = chain.pop_front()) {
        count(reaped_total, 1);
        reap(p);
    }
}

void scalable_reaper(void* arg) {
    Reaper& r = *static_cast<Reaper*>(arg);
    for (;;) {
        r.wake.wait_until([&] { return !r.list.empty(); });
        reap_chain(r.list.take_all()); // one exchange takes the whole list
    }
}

void seed_reaper(void*) {
    for (;;) {
        seed_wake.wait_until(
            [] { return __atomic_load_n(&seed_dead, __ATOMIC_ACQUIRE) != nullptr; });
        Process* all;
        {
            SeedGuard g;
            all = seed_dead;
            seed_dead = nullptr;
        }
        reap_chain(DeadProcs::Chain(all));
    }
}

void free_process(scythe::lf::RcuHead* head) {
    Process* p = reinterpret_cast<user::ProcessRcu*>(head)->owner;
    pid_free(p->pid); // a grace period after the pid left the hash: nobody looks it up any more
    if (user::UserThread* t = p->last_clone) { // a clone()d thread ended the process
        if (t->owns_tid)
            pid_free(t->tid);
        t->~UserThread();
        kfree(t);
    }
    p->~Process();
    kfree(p);
    count(processes_live, -1);
}

} // namespace

Mode mode() {
    return the_mode;
}
const char* mode_name() {
    return the_mode == Mode::Seed ? "seed" : "scalable";
}

void early_init() {
    if (cmdline::equals("lifecycle", "seed"))
        the_mode = Mode::Seed;
    else if (const char* v = cmdline::value("lifecycle");
             v && !cmdline::equals("lifecycle", "scalable"))
        kprintf("lifecycle: unknown lifecycle=%s, using scalable\n", v);
    fail_fork_every = cmdline::number("fail_fork", 0);
    if (fail_fork_every)
        kprintf("lifecycle: fail_fork=%lu: one fork in %lu (not init's) fails (debugging)\n",
                fail_fork_every, fail_fork_every);
    register_rcu_hooks();
}

ForkFault fork_fault(const Process* parent) {
    if (fail_fork_every == 0 || parent == init_process())
        return ForkFault::None;
    const uint64_t n = faultable_forks.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n % fail_fork_every != 0)
        return ForkFault::None;
    return static_cast<ForkFault>(1 + n / fail_fork_every % 3); // the three steps in turn
}

void start_reapers() {
    if (the_mode == Mode::Seed) {
        sched::SpawnOptions o;
        o.name = "reaper";
        if (!sched::spawn(seed_reaper, nullptr, o))
            panic("lifecycle: no memory for the reaper");
    } else {
        for (uint32_t cpu = 0; cpu < cpus_enumerated(); cpu++) {
            if (!cpu_block(cpu).online.load())
                continue;
            sched::SpawnOptions o;
            o.name = "reaper";
            o.cpu = cpu;
            o.pinned = true;
            if (!sched::spawn(scalable_reaper, &reapers.on(cpu), o))
                panic("lifecycle: no memory for the reapers");
        }
    }
    kinfo("lifecycle: %s design (%s)\n", mode_name(),
          the_mode == Mode::Seed
              ? "one global lock, one dead list, one reaper"
              : "per-process tree locks, RCU pid hash, per-CPU dead lists and reapers");
}

smp::SpinLock& tree_lock(Process& p) {
    return the_mode == Mode::Seed ? seed_lock : p.lock;
}

TreeGuard2::TreeGuard2(Process& a, Process& b) : irq_(arch::irq_save()) {
    smp::SpinLock* la = &tree_lock(a);
    smp::SpinLock* lb = &tree_lock(b);
    first_ = la < lb ? la : lb;
    second_ = la == lb ? nullptr : (la < lb ? lb : la);
    first_->lock();
    if (second_)
        second_->lock();
}

TreeGuard2::~TreeGuard2() {
    if (second_)
        second_->unlock();
    first_->unlock();
    arch::irq_restore(irq_);
}

bool reserve_slot(uint32_t uid) {
    const uint32_t limit = uid == 0 ? kMaxProcesses : kMaxProcesses - kRootReserve;
    uint32_t n = slots_used.load(std::memory_order_relaxed);
    do {
        if (n >= limit)
            return false;
    } while (!slots_used.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    return true;
}

void release_slot() {
    slots_used.fetch_sub(1, std::memory_order_relaxed);
}

void push_dead(Process* p) {
    if (the_mode == Mode::Seed) {
        {
            SeedGuard g;
            p->dead_hook.next.store(seed_dead, std::memory_order_relaxed);
            __atomic_store_n(&seed_dead, p, __ATOMIC_RELEASE);
        }
        seed_wake.wake_all();
        return;
    }
    Reaper& r = reapers.local(); // interrupts are off: this CPU's
    if (r.list.push(p))          // one CAS (release); wake only on empty -> non-empty
        r.wake.wake_all();
}

void release_process(Process* p) {
    pid_remove(p); // readers may still hold it: free after a grace period
    release_slot();
    rcu().call_rcu(&p->rcu.head, free_process);
}

Counts counts() {
    return {static_cast<uint64_t>(processes_live.sum_clamped()), pid_count(),
            static_cast<uint64_t>(reaped_total.sum()), static_cast<uint64_t>(forks_total.sum())};
}
void count_fork() {
    count(forks_total, 1);
}
void count_process_freed_directly() {
    count(processes_live, -1);
}
void count_process_allocated() {
    count(processes_live, 1);
}

} // namespace kernel::proc
