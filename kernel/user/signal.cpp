// Signal generation and delivery (signal.h). Default actions as Linux
// (signal(7)); init (pid 1) is never stopped or killed by a signal it did
// not catch, as Linux protects it.
#include "kernel/user/signal.h"

#include "arch/cpu.h"
#include "kernel/console.h"
#include "kernel/proc/proc.h"
#include "kernel/sched/sched.h"
#include "kernel/user/errno.h"

namespace kernel::user {
namespace {

constexpr uint64_t kStopSignals =
    sig_bit(kSigStop) | sig_bit(kSigTstp) | sig_bit(kSigTtin) | sig_bit(kSigTtou);
// Default action "ignore": SIGCHLD, SIGCONT (its work is done when sent,
// so it is never discarded before that), SIGURG, SIGWINCH.
constexpr uint64_t kDefaultIgnore = kDefaultIgnored | sig_bit(kSigCont);
static_assert(kDefaultIgnored == (sig_bit(kSigChld) | sig_bit(23) | sig_bit(28)));
constexpr long kRtSigreturn = 15;

// Processes stopped now: written only when one stops or continues (rare),
// read by every exit (exit's orphaned-group check).
std::atomic<uint32_t> stopped_count{0};

enum class Default { Terminate, Ignore, Stop };
Default default_action(int sig) {
    if (kDefaultIgnore & sig_bit(sig))
        return Default::Ignore;
    if (kStopSignals & sig_bit(sig))
        return Default::Stop;
    return Default::Terminate; // core-dumping signals too: no core is written (RLIMIT_CORE 0)
}

// Whether generating sig for p can be skipped: ignored and blocked by no
// thread (a blocked signal stays: the handler may change before it is
// unblocked). Caller holds siglock.
bool discard_at_send(const Process* p, int sig) {
    if (sig == kSigKill || p->tracer.load(std::memory_order_relaxed))
        return false; // a tracer hears of ignored signals too (Linux)
    const uint64_t bit = sig_bit(sig);
    if (!(p->sig_ignored.load(std::memory_order_relaxed) & bit))
        return false;
    for (const UserThread* t = p->threads; t; t = t->next)
        if (t->sigmask.load(std::memory_order_relaxed) & bit)
            return false;
    return true;
}

// Makes t look at its signals: wakes its interruptible sleep, or interrupts
// the CPU it runs on. Caller holds its process's siglock.
void kick(UserThread* t) {
    if (t->sleeping_on)
        t->sleeping_on->wake_all();
    else if (t->kthread)
        sched::kick(t->kthread);
}

// A process-directed signal: the thread to tell is the first that does not
// block it (every thread for a stop or SIGKILL, which concern them all).
void kick_for(Process* p, int sig) {
    const bool all = sig == kSigKill || (kStopSignals & sig_bit(sig));
    for (UserThread* t = p->threads; t; t = t->next) {
        if (all || !(t->sigmask.load(std::memory_order_relaxed) & sig_bit(sig))) {
            kick(t);
            if (!all)
                return;
        }
    }
}

// SIGCONT and SIGKILL continue a stopped process; a stop cancels a pending
// SIGCONT and vice versa. Caller holds siglock. True if p was stopped.
bool stop_side_effects(Process* p, int sig) {
    if (sig == kSigCont || sig == kSigKill) {
        p->sig_pending.fetch_and(~kStopSignals, std::memory_order_relaxed);
        for (UserThread* t = p->threads; t; t = t->next)
            t->sig_pending.fetch_and(~kStopSignals, std::memory_order_relaxed);
        if (p->stopped.load(std::memory_order_relaxed)) {
            p->stopped.store(false, std::memory_order_relaxed);
            stopped_count.fetch_sub(1, std::memory_order_relaxed);
            return true;
        }
    } else if (kStopSignals & sig_bit(sig)) {
        p->sig_pending.fetch_and(~sig_bit(kSigCont), std::memory_order_relaxed);
    }
    return false;
}

// Takes t's lowest pending unblocked signal (SIGKILL first; its own before
// its process's), with its source. A default-action stop marks the process
// stopped under the same lock, so a SIGCONT sent meanwhile cannot be lost.
// A traced process's signal (not SIGKILL, not one its tracer resumed it
// with) is for the tracer first: *trace_now, and nothing else is done. 0 if
// none.
int dequeue(UserThread* t, SigSource* from, bool* stop_now, bool* trace_now, SigAction* action) {
    Process* p = t->process;
    smp::IrqSpinGuard g(p->siglock);
    const uint64_t mask = ~t->sigmask.load(std::memory_order_relaxed);
    const uint64_t own = t->sig_pending.load(std::memory_order_relaxed) & mask;
    const uint64_t shared = p->sig_pending.load(std::memory_order_relaxed) & mask;
    const uint64_t ready = own | shared;
    if (!ready)
        return 0;
    const int sig = (ready & sig_bit(kSigKill)) ? kSigKill : __builtin_ctzll(ready) + 1;
    if (own & sig_bit(sig))
        t->sig_pending.fetch_and(~sig_bit(sig), std::memory_order_relaxed);
    else
        p->sig_pending.fetch_and(~sig_bit(sig), std::memory_order_relaxed);
    *from = p->sig_from[sig - 1];
    *action = p->actions[sig - 1];
    const bool passed = t->trace_pass & sig_bit(sig);
    t->trace_pass &= ~sig_bit(sig);
    *trace_now =
        sig != kSigKill && !passed && !p->group_exit && p->tracer.load(std::memory_order_acquire);
    if (*trace_now) {
        *stop_now = false;
        return sig;
    }
    *stop_now = action->handler == kSigDfl && default_action(sig) == Default::Stop && p->pid != 1 &&
                !p->group_exit;
    if (*stop_now && !p->stopped.load(std::memory_order_relaxed)) {
        p->stopped.store(true, std::memory_order_relaxed);
        stopped_count.fetch_add(1, std::memory_order_relaxed);
        for (UserThread* o = p->threads; o; o = o->next)
            if (o != t)
                kick(o); // every thread stops (a group stop)
    } else {
        *stop_now = false; // already stopped: this one only joins the stop
    }
    return sig;
}

bool fatal_pending(const UserThread* t) {
    const Process* p = t->process;
    return ((t->sig_pending.load(std::memory_order_relaxed) |
             p->sig_pending.load(std::memory_order_relaxed)) &
            sig_bit(kSigKill)) ||
           p->group_exit;
}

// A stopped process: tell the parent if this thread stopped it, then sleep
// until SIGCONT clears `stopped` or the process is killed.
void stop_here(UserThread* t, int sig, bool report) {
    Process* p = t->process;
    if (report)
        proc::report_job_event(p, proc::JobEvent::Stopped, sig);
    detail::set_sleeping_on(t, &p->stop_wait);
    p->stop_wait.wait_until(
        [t, p] { return !p->stopped.load(std::memory_order_relaxed) || fatal_pending(t); });
    detail::set_sleeping_on(t, nullptr);
}

// A signal-delivery stop (ptrace): the tracer hears of sig and this thread
// sleeps until the tracer resumes it, releases it, or the process is killed.
// The signal to act on afterwards (0: none; sig itself if not traced).
int trace_stop(UserThread* t, int sig) {
    Process* p = t->process;
    detail::set_sleeping_on(t, &p->stop_wait);
    int r;
    // Another thread in the process's ptrace stop: wait for its end first.
    while ((r = proc::report_trace_stop(p, t, sig)) == 0)
        p->stop_wait.wait_until(
            [t, p] { return !p->trace_owner.load(std::memory_order_acquire) || fatal_pending(t); });
    if (r > 0)
        p->stop_wait.wait_until([t, p] {
            // acquire: pairs with the tracer's release of trace_stopped (trace_sig).
            return !p->trace_stopped.load(std::memory_order_acquire) || fatal_pending(t);
        });
    detail::set_sleeping_on(t, nullptr);
    return r > 0 ? proc::leave_trace_stop(p) : sig;
}

// The tracer resumed t with sig: it pends again on t, passed by the next
// dequeue's ptrace stop, and is then acted on as usual (a blocked one waits).
void redeliver(UserThread* t, int sig, const SigSource& from) {
    Process* p = t->process;
    smp::IrqSpinGuard g(p->siglock);
    t->trace_pass |= sig_bit(sig);
    signal_thread_locked(t, sig, from);
}

arch::SigInfo siginfo_for(int sig, const SigSource& from) {
    arch::SigInfo si{};
    si.signo = sig;
    si.code = from.code;
    si.pid = from.pid;
    si.status = from.status;
    // A fault (a kernel code > 0 for a fault signal): si_addr takes the
    // union's first 8 bytes, where kill's si_pid and si_uid would be.
    constexpr uint64_t kFaultSignals =
        sig_bit(4) | sig_bit(5) | sig_bit(7) | sig_bit(8) | sig_bit(kSigSegv);
    if ((kFaultSignals & sig_bit(sig)) && from.code > 0)
        __builtin_memcpy(&si.pid, &from.addr, sizeof from.addr);
    return si;
}

// A handled signal interrupted system call `nr`: restart it or fail EINTR.
void resolve_restart_for_handler(void* frame, long nr, const SigAction& a) {
    const long r = arch::syscall_result(frame);
    if (r == -kERestartNoIntr || (r == -kERestartSys && (a.flags & kSaRestart)))
        arch::restart_syscall(frame, static_cast<uint64_t>(nr));
    else if (r == -kERestartSys || r == -kERestartNoHand)
        arch::set_syscall_result(frame, -kEINTR);
}

// A fatal signal ends the whole process; the SIGKILL that ends the other
// threads for an execve ends only them.
[[noreturn]] void die_by_signal(UserThread* t, int sig) {
    Process* p = t->process;
    bool exec_kill;
    {
        smp::IrqSpinGuard g(p->siglock);
        exec_kill = sig == kSigKill && p->group_leader_exec && p->group_leader_exec != t &&
                    !p->group_exit &&
                    !(p->sig_pending.load(std::memory_order_relaxed) & sig_bit(kSigKill));
    }
    if (exec_kill)
        thread_exit(0);
    group_exit(sig); // the wait status of a signal death is the signal number
}

// Runs the handler for sig: pushes the frame and blocks what the action
// says. The process dies of SIGSEGV if the frame does not fit.
void run_handler(UserThread* t, void* frame, int sig, const SigAction& a, const SigSource& from) {
    Process* p = t->process;
    const uint64_t mask = t->sigmask.load(std::memory_order_relaxed);
    const arch::SigInfo info = siginfo_for(sig, from);
    const uint64_t sp = arch::frame_stack_pointer(frame);
    const arch::AltStack alt = alt_stack_of(t, sp);
    // SA_ONSTACK: on the alternate stack, unless already on it (nested).
    const bool switch_stack = (a.flags & kSaOnStack) && alt.flags == 0;
    const arch::HandlerCall call{a.handler, a.restorer,
                                 sig,       t->restore_sigmask ? t->saved_sigmask : mask,
                                 &info,     switch_stack ? t->alt_sp + t->alt_size : 0,
                                 alt};
    if (!(a.flags & kSaRestorer) || !arch::push_signal_frame(frame, call)) {
        kprintf("user: pid %d (%s) killed by SIGSEGV: no room for the frame of signal %d\n", p->pid,
                p->name, sig);
        die_by_signal(t, kSigSegv);
    }
    t->restore_sigmask = false;
    uint64_t blocked = mask | a.mask;
    if (!(a.flags & kSaNoDefer))
        blocked |= sig_bit(sig);
    t->sigmask.store(blocked & ~kUnblockable, std::memory_order_relaxed);
    if (a.flags & kSaResetHand)
        set_action(p, sig, SigAction{});
}

} // namespace

namespace detail {
void set_sleeping_on(UserThread* t, sched::WaitQueue* wq) {
    smp::IrqSpinGuard g(t->process->siglock);
    t->sleeping_on = wq;
}
} // namespace detail

void send_signal(Process* p, int sig, const SigSource& from) {
    if (sig <= 0 || sig > kSignals)
        return;
    bool continued;
    {
        smp::IrqSpinGuard g(p->siglock);
        if (p->sig_dead)
            return;
        continued = stop_side_effects(p, sig) && sig == kSigCont;
        if (!discard_at_send(p, sig)) {
            // Standard signals do not queue: a second one while pending merges.
            if (!(p->sig_pending.load(std::memory_order_relaxed) & sig_bit(sig))) {
                p->sig_from[sig - 1] = from;
                p->sig_pending.fetch_or(sig_bit(sig), std::memory_order_release);
            }
            kick_for(p, sig);
        }
    }
    if (sig == kSigCont || sig == kSigKill)
        p->stop_wait.wake_all();
    if (continued)
        proc::report_job_event(p, proc::JobEvent::Continued, kSigCont);
}

void signal_thread_locked(UserThread* t, int sig, const SigSource& from) {
    Process* p = t->process;
    if (t->exiting || p->sig_dead)
        return;
    if (!(t->sig_pending.load(std::memory_order_relaxed) & sig_bit(sig))) {
        p->sig_from[sig - 1] = from;
        t->sig_pending.fetch_or(sig_bit(sig), std::memory_order_release);
    }
    kick(t);
}

void send_thread_signal(UserThread* t, int sig, const SigSource& from) {
    if (sig <= 0 || sig > kSignals)
        return;
    Process* p = t->process;
    bool continued;
    {
        smp::IrqSpinGuard g(p->siglock);
        if (t->exiting || p->sig_dead)
            return;
        continued = stop_side_effects(p, sig) && sig == kSigCont;
        if (!discard_at_send(p, sig))
            signal_thread_locked(t, sig, from);
    }
    if (sig == kSigCont || sig == kSigKill)
        p->stop_wait.wake_all();
    if (continued)
        proc::report_job_event(p, proc::JobEvent::Continued, kSigCont);
}

arch::AltStack alt_stack_of(const UserThread* t, uint64_t sp) {
    constexpr int32_t kSsOnStack = 1, kSsDisable = 2;
    if (!t->alt_size)
        return {0, kSsDisable, 0};
    const bool on = sp > t->alt_sp && sp - t->alt_sp <= t->alt_size;
    return {t->alt_sp, on ? kSsOnStack : 0, t->alt_size};
}

long set_alt_stack(UserThread* t, uint64_t sp, const arch::AltStack& ss) {
    constexpr int32_t kSsOnStack = 1, kSsDisable = 2;
    constexpr uint32_t kSsAutoDisarm = 1u << 31;
    constexpr uint64_t kMinSigStkSz = 2048;
    if (alt_stack_of(t, sp).flags == kSsOnStack)
        return -kEPERM;
    const int32_t mode = static_cast<int32_t>(static_cast<uint32_t>(ss.flags) & ~kSsAutoDisarm);
    if (mode != kSsDisable && mode != kSsOnStack && mode != 0)
        return -kEINVAL;
    if (mode == kSsDisable) {
        t->alt_sp = t->alt_size = 0;
        return 0;
    }
    if (ss.size < kMinSigStkSz)
        return -kENOMEM;
    t->alt_sp = ss.sp;
    t->alt_size = ss.size;
    return 0;
}

bool any_process_stopped() {
    return stopped_count.load(std::memory_order_relaxed) != 0;
}

bool signal_pending(const UserThread* t) {
    const Process* p = t->process;
    return ((t->sig_pending.load(std::memory_order_acquire) |
             p->sig_pending.load(std::memory_order_acquire)) &
            ~t->sigmask.load(std::memory_order_relaxed)) ||
           p->stopped.load(std::memory_order_relaxed);
}

bool exit_to_user(void* frame, long nr) {
    UserThread* t = current_thread();
    if (!t)
        return false;
    Process* p = t->process;
    bool rewritten = false;
    if (nr == kRtSigreturn) { // the frame is the restored context: no result to resolve
        rewritten = true;
        nr = -1;
    }
    if (signal_pending(t)) {
        // Delivery may fault on the user stack and sleep (a stop): as in a
        // system call, with interrupts on. The arch returns with them off.
        arch::irq_enable();
        for (;;) {
            SigSource from;
            SigAction a{};
            bool stop_now = false, trace_now = false;
            const int sig = dequeue(t, &from, &stop_now, &trace_now, &a);
            if (!sig) {
                if (!p->stopped.load(std::memory_order_relaxed))
                    break;
                stop_here(t, 0, false); // another thread stopped the process
                continue;
            }
            if (trace_now) {
                if (const int resumed = trace_stop(t, sig))
                    redeliver(t, resumed, resumed == sig ? from : SigSource{kSiUser, 0, 0});
                continue;
            }
            if (stop_now) {
                stop_here(t, sig, true);
                continue;
            }
            if (sig == kSigKill) {
                if (p->pid == 1 && !p->group_exit)
                    continue;
                die_by_signal(t, sig);
            }
            if (a.handler == kSigIgn)
                continue;
            if (a.handler == kSigDfl) {
                if (default_action(sig) != Default::Terminate || p->pid == 1)
                    continue;
                die_by_signal(t, sig);
            }
            if (nr >= 0) {
                resolve_restart_for_handler(frame, nr, a);
                nr = -1; // only the first frame sees the system call's result
            }
            run_handler(t, frame, sig, a, from);
            rewritten = true;
        }
        arch::irq_disable();
    }
    if (t->restore_sigmask) { // rt_sigsuspend ended without a handler
        t->restore_sigmask = false;
        t->sigmask.store(t->saved_sigmask, std::memory_order_relaxed);
    }
    if (nr >= 0) {
        const long r = arch::syscall_result(frame);
        if (r == -kERestartSys || r == -kERestartNoIntr || r == -kERestartNoHand)
            arch::restart_syscall(frame, static_cast<uint64_t>(nr));
    }
    return rewritten;
}

void set_action(Process* p, int sig, const SigAction& act) {
    const bool ignored =
        act.handler == kSigIgn ||
        (act.handler == kSigDfl && default_action(sig) == Default::Ignore && sig != kSigCont);
    smp::IrqSpinGuard g(p->siglock);
    p->actions[sig - 1] = act;
    if (ignored) {
        p->sig_ignored.fetch_or(sig_bit(sig), std::memory_order_relaxed);
        // POSIX: setting a pending signal to be ignored discards it.
        p->sig_pending.fetch_and(~sig_bit(sig), std::memory_order_relaxed);
        for (UserThread* t = p->threads; t; t = t->next)
            t->sig_pending.fetch_and(~sig_bit(sig), std::memory_order_relaxed);
    } else {
        p->sig_ignored.fetch_and(~sig_bit(sig), std::memory_order_relaxed);
    }
}

SigAction get_action(Process* p, int sig) {
    smp::IrqSpinGuard g(p->siglock);
    return p->actions[sig - 1];
}

void reset_handlers_for_exec(Process* p) {
    for (int sig = 1; sig <= kSignals; sig++) // caught signals go back to the default
        if (get_action(p, sig).handler != kSigIgn)
            set_action(p, sig, SigAction{});
}

void signals_exiting(Process* p) {
    smp::IrqSpinGuard g(p->siglock);
    p->sig_dead = true;
}

} // namespace kernel::user
