// Tracers (ptrace, Linux semantics for TRACEME, ATTACH, CONT, DETACH, KILL)
// and where tracing meets the exit -> reap -> wait path. ARCHITECTURE.md,
// "Tracers", has the table.
//
// The tracer keeps its tracees on its own list, under its own tree lock (the
// lock its wait already holds to scan its children), and every ptrace state
// of a tracee (the stop, its report, a zombie the tracer has not been told
// of) lives under that same lock. A tracee reaches its tracer through
// TracerGuard, ParentGuard's twin: read `tracer`, lock its tree lock, check
// `tracer` again (a detach or the tracer's exit may have cleared it); with
// interrupts off from the read, so RCU keeps the tracer valid. No global lock.
//
// Linux traces threads; here a process has one tracer and one ptrace stop at
// a time: the thread that dequeues a signal stops, another thread that
// dequeues one meanwhile waits for that stop to end before it stops in turn,
// and the rest run on. A group stop of a tracee is reported to its parent
// only (Linux also shows it to the tracer, with PTRACE_LISTEN).
#include "arch/cpu.h"
#include "kernel/proc/proc.h"
#include "kernel/user/errno.h"
#include "kernel/user/signal.h"

namespace kernel::proc {
namespace {

using namespace user;

constexpr long kTraceMe = 0, kCont = 7, kKill = 8, kAttach = 16, kDetach = 17;

class TracerGuard {
public:
    explicit TracerGuard(Process& tracee) : irq_(arch::irq_save()) {
        for (;;) {
            tracer_ = tracee.tracer.load(std::memory_order_acquire);
            if (!tracer_)
                return;
            lock_ = &tree_lock(*tracer_);
            lock_->lock();
            if (tracee.tracer.load(std::memory_order_relaxed) == tracer_)
                return;
            lock_->unlock(); // detached meanwhile
        }
    }
    ~TracerGuard() {
        unlock_tree();
        arch::irq_restore(irq_);
    }
    TracerGuard(const TracerGuard&) = delete;
    TracerGuard& operator=(const TracerGuard&) = delete;

    Process* tracer() const { return tracer_; }
    void unlock_tree() { // interrupts stay off: the tracer stays valid
        if (lock_)
            lock_->unlock();
        lock_ = nullptr;
    }

private:
    Process* tracer_ = nullptr;
    smp::SpinLock* lock_ = nullptr;
    arch::IrqState irq_;
};

void link_tracee(Process* tracer, Process* c) {
    c->trace_prev = nullptr;
    c->trace_next = tracer->tracees;
    if (tracer->tracees)
        tracer->tracees->trace_prev = c;
    tracer->tracees = c;
}

// Ends the ptrace stop of c with `sig` (0: none). Caller holds its tracer's
// tree lock (lock order: tree lock, then the stop queue's lock).
void resume_locked(Process* c, int sig) {
    c->trace_sig = sig;
    c->trace_report = 0;
    c->trace_stopped.store(false, std::memory_order_release); // pairs with trace_stop's load
    c->stop_wait.wake_all();
}

// Tells the tracer (caller holds its tree lock, in `g`) that c changed:
// SIGCHLD, a new generation for its wait, its waiters woken.
void notify_tracer(TracerGuard& g, Process* c, int code, int status, bool quiet) {
    Process& tr = *g.tracer();
    if (!quiet)
        send_signal(&tr, kSigChld, {code, c->pid, status});
    tr.wait_gen.fetch_add(1, std::memory_order_release); // pairs with dowait's acquire
    g.unlock_tree();
    tr.child_wait.wake_all();
}

long trace_me(Process* me) {
    ParentGuard g(*me);
    Process& parent = g.parent();
    Process* none = nullptr;
    if (parent.tracees_released ||
        !me->tracer.compare_exchange_strong(none, &parent, std::memory_order_acq_rel))
        return -kEPERM;
    link_tracee(&parent, me);
    return 0;
}

long attach(Process* me, Process* c) {
    if (c == me)
        return -kEPERM;
    {
        smp::IrqSpinGuard g(tree_lock(*me));
        // Under c's siglock, where exit1 marks it dying (sig_dead): an attach
        // comes before (the reaper then finds the tracer) or fails.
        smp::SpinGuard sg(c->siglock);
        Process* none = nullptr;
        if (c->sig_dead || me->tracees_released ||
            !c->tracer.compare_exchange_strong(none, me, std::memory_order_acq_rel))
            return -kEPERM;
        link_tracee(me, c);
    }
    send_signal(c, kSigStop, {kSiKernel, 0, 0});
    return 0;
}

} // namespace

void unlink_tracee(Process* tracer, Process* c) {
    if (c->trace_prev)
        c->trace_prev->trace_next = c->trace_next;
    else
        tracer->tracees = c->trace_next;
    if (c->trace_next)
        c->trace_next->trace_prev = c->trace_prev;
    c->trace_next = c->trace_prev = nullptr;
    c->tracer.store(nullptr, std::memory_order_release);
}

long ptrace(long request, long pid, uint64_t data) {
    Process* me = current_process();
    if (request == kTraceMe)
        return trace_me(me);
    KernelRcu::ReadGuard rd(rcu()); // c stays valid until we return
    Process* c = pid > 0 ? pid_lookup(static_cast<int>(pid)) : nullptr;
    if (!c)
        return -kESRCH;
    if (request == kAttach)
        return attach(me, c);
    if (request == kKill) { // Linux: any state, as long as we trace it
        if (c->tracer.load(std::memory_order_acquire) != me)
            return -kESRCH;
        send_signal(c, kSigKill, {kSiUser, me->pid, 0});
        return 0;
    }
    smp::IrqSpinGuard g(tree_lock(*me));
    if (c->tracer.load(std::memory_order_relaxed) != me ||
        !c->trace_stopped.load(std::memory_order_relaxed))
        return -kESRCH; // not ours, or not in a ptrace stop
    if ((request != kCont && request != kDetach) || data > uint64_t(kSignals))
        return -kEIO;
    if (request == kDetach)
        unlink_tracee(me, c);
    resume_locked(c, static_cast<int>(data));
    return 0;
}

int report_trace_stop(Process* p, UserThread* t, int sig) {
    TracerGuard g(*p);
    if (!g.tracer())
        return -1;
    UserThread* none = nullptr;
    if (!p->trace_owner.compare_exchange_strong(none, t, std::memory_order_acq_rel))
        return 0; // another thread is in the process's ptrace stop
    p->trace_sig = sig;
    p->trace_report = (sig << 8) | 0x7f;
    p->trace_stopped.store(true, std::memory_order_relaxed);
    const bool quiet = get_action(g.tracer(), kSigChld).flags & kSaNoCldStop;
    notify_tracer(g, p, kCldTrapped, sig, quiet);
    return 1;
}

int leave_trace_stop(Process* p) {
    int sig;
    {
        TracerGuard g(*p);
        if (p->trace_stopped.load(std::memory_order_relaxed)) { // killed in the stop
            p->trace_stopped.store(false, std::memory_order_relaxed);
            p->trace_report = 0;
        }
        sig = p->trace_sig;
        p->trace_sig = 0;
        p->trace_owner.store(nullptr, std::memory_order_release);
    }
    p->stop_wait.wake_all(); // another thread may be waiting to stop
    return sig;
}

bool tell_tracer_of_exit(Process* p) {
    TracerGuard g(*p);
    Process* tr = g.tracer();
    if (!tr)
        return false;
    // p's parent changes only under its own tree lock: if it is the tracer,
    // it cannot change while we hold that lock.
    if (p->parent.load(std::memory_order_acquire) == tr) {
        unlink_tracee(tr, p); // one reap, as the parent's
        return false;
    }
    p->trace_zombie = true; // the parent hears of it after the tracer's wait
    const int status = p->exit_status;
    const bool killed = status & 0x7f;
    notify_tracer(g, p, killed ? kCldKilled : kCldExited,
                  killed ? status & 0x7f : status >> 8 & 0xff, false);
    return true;
}

void release_tracees(Process* p) {
    Process* zombies = nullptr;
    {
        smp::IrqSpinGuard g(tree_lock(*p));
        p->tracees_released = true;
        while (Process* c = p->tracees) {
            unlink_tracee(p, c);
            if (c->trace_zombie) {
                c->trace_zombie = false;
                c->trace_next = zombies; // dead: nothing links it elsewhere again
                zombies = c;
            } else if (c->trace_stopped.load(std::memory_order_relaxed)) {
                resume_locked(c, c->trace_sig); // zero if our wait took the stop
            }
        }
    }
    while (Process* c = zombies) {
        zombies = c->trace_next;
        c->trace_next = nullptr;
        tell_parent_of_exit(c);
    }
}

} // namespace kernel::proc
