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

// Whether generating sig for p can be skipped: ignored and not blocked (a
// blocked signal stays: the handler may change before it is unblocked).
bool discard_at_send(const Process* p, int sig) {
    if (sig == kSigKill)
        return false;
    const uint64_t bit = sig_bit(sig);
    return (p->sig_ignored.load(std::memory_order_relaxed) & bit) &&
           !(p->sigmask.load(std::memory_order_relaxed) & bit);
}

// Makes p's thread look at its signals: wakes its interruptible sleep, or
// interrupts the CPU it runs on. Caller holds p->siglock.
void kick(Process* p) {
    if (p->sleeping_on)
        p->sleeping_on->wake_all();
    else if (p->thread)
        sched::kick(p->thread);
}

// Takes the lowest pending unblocked signal (SIGKILL first), with its
// source. A default-action stop marks p stopped under the same lock, so a
// SIGCONT sent meanwhile cannot be lost. 0 if none.
int dequeue(Process* p, SigSource* from, bool* stop_now) {
    smp::IrqSpinGuard g(p->siglock);
    const uint64_t ready = p->sig_pending.load(std::memory_order_relaxed) &
                           ~p->sigmask.load(std::memory_order_relaxed);
    if (!ready)
        return 0;
    const int sig = (ready & sig_bit(kSigKill)) ? kSigKill : __builtin_ctzll(ready) + 1;
    p->sig_pending.fetch_and(~sig_bit(sig), std::memory_order_relaxed);
    *from = p->sig_from[sig - 1];
    const SigAction& a = p->actions[sig - 1];
    *stop_now = a.handler == kSigDfl && default_action(sig) == Default::Stop && p->pid != 1;
    if (*stop_now) {
        p->stopped.store(true, std::memory_order_relaxed);
        stopped_count.fetch_add(1, std::memory_order_relaxed);
    }
    return sig;
}

// A stop: tell the parent, then sleep until SIGCONT clears `stopped` or
// SIGKILL arrives.
void stop_here(Process* p, int sig) {
    proc::report_job_event(p, proc::JobEvent::Stopped, sig);
    detail::set_sleeping_on(p, &p->stop_wait);
    p->stop_wait.wait_until([p] {
        return !p->stopped.load(std::memory_order_relaxed) ||
               (p->sig_pending.load(std::memory_order_relaxed) & sig_bit(kSigKill));
    });
    detail::set_sleeping_on(p, nullptr);
}

arch::SigInfo siginfo_for(int sig, const SigSource& from) {
    arch::SigInfo si{};
    si.signo = sig;
    si.code = from.code;
    si.pid = from.pid;
    si.status = from.status;
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

[[noreturn]] void die_by_signal(int sig) {
    exit_process(sig); // the wait status of a signal death is the signal number
}

// Runs the handler for sig: pushes the frame and blocks what the action
// says. False if the frame did not fit (the process is then killed).
bool run_handler(Process* p, void* frame, int sig, const SigSource& from) {
    SigAction& a = p->actions[sig - 1];
    const uint64_t mask = p->sigmask.load(std::memory_order_relaxed);
    const arch::SigInfo info = siginfo_for(sig, from);
    const arch::HandlerCall call{a.handler, a.restorer, sig,
                                 p->restore_sigmask ? p->saved_sigmask : mask, &info};
    if (!(a.flags & kSaRestorer) || !arch::push_signal_frame(frame, call)) {
        kprintf("user: pid %d (%s) killed by SIGSEGV: no room for the frame of signal %d\n", p->pid,
                p->name, sig);
        die_by_signal(kSigSegv);
    }
    p->restore_sigmask = false;
    uint64_t blocked = mask | a.mask;
    if (!(a.flags & kSaNoDefer))
        blocked |= sig_bit(sig);
    p->sigmask.store(blocked & ~kUnblockable, std::memory_order_relaxed);
    if (a.flags & kSaResetHand)
        set_action(p, sig, SigAction{});
    return true;
}

} // namespace

namespace detail {
void set_sleeping_on(Process* p, sched::WaitQueue* wq) {
    smp::IrqSpinGuard g(p->siglock);
    p->sleeping_on = wq;
}
} // namespace detail

void send_signal(Process* p, int sig, const SigSource& from) {
    if (sig <= 0 || sig > kSignals)
        return;
    bool continued = false;
    {
        smp::IrqSpinGuard g(p->siglock);
        if (p->sig_dead)
            return;
        if (sig == kSigCont || sig == kSigKill) {
            p->sig_pending.fetch_and(~kStopSignals, std::memory_order_relaxed);
            if (p->stopped.load(std::memory_order_relaxed)) {
                p->stopped.store(false, std::memory_order_relaxed);
                stopped_count.fetch_sub(1, std::memory_order_relaxed);
                continued = sig == kSigCont;
            }
        } else if (kStopSignals & sig_bit(sig)) {
            p->sig_pending.fetch_and(~sig_bit(kSigCont), std::memory_order_relaxed);
        }
        if (!discard_at_send(p, sig)) {
            // Standard signals do not queue: a second one while pending merges.
            if (!(p->sig_pending.load(std::memory_order_relaxed) & sig_bit(sig))) {
                p->sig_from[sig - 1] = from;
                p->sig_pending.fetch_or(sig_bit(sig), std::memory_order_release);
            }
            kick(p);
        }
    }
    if (sig == kSigCont || sig == kSigKill)
        p->stop_wait.wake_all();
    if (continued)
        proc::report_job_event(p, proc::JobEvent::Continued, kSigCont);
}

bool any_process_stopped() {
    return stopped_count.load(std::memory_order_relaxed) != 0;
}

bool signal_pending(const Process* p) {
    return p->sig_pending.load(std::memory_order_acquire) &
           ~p->sigmask.load(std::memory_order_relaxed);
}

bool exit_to_user(void* frame, long nr) {
    Process* p = current_process();
    if (!p)
        return false;
    bool rewritten = false;
    if (nr == kRtSigreturn) { // the frame is the restored context: no result to resolve
        rewritten = true;
        nr = -1;
    }
    if (signal_pending(p)) {
        // Delivery may fault on the user stack and sleep (a stop): as in a
        // system call, with interrupts on. The arch returns with them off.
        arch::irq_enable();
        SigSource from;
        bool stop_now = false;
        while (const int sig = dequeue(p, &from, &stop_now)) {
            const SigAction& a = p->actions[sig - 1];
            if (stop_now) {
                stop_here(p, sig);
                continue;
            }
            if (sig == kSigKill) {
                if (p->pid == 1)
                    continue;
                die_by_signal(sig);
            }
            if (a.handler == kSigIgn)
                continue;
            if (a.handler == kSigDfl) {
                if (default_action(sig) != Default::Terminate || p->pid == 1)
                    continue;
                die_by_signal(sig);
            }
            if (nr >= 0) {
                resolve_restart_for_handler(frame, nr, a);
                nr = -1; // only the first frame sees the system call's result
            }
            run_handler(p, frame, sig, from);
            rewritten = true;
        }
        arch::irq_disable();
    }
    if (p->restore_sigmask) { // rt_sigsuspend ended without a handler
        p->restore_sigmask = false;
        p->sigmask.store(p->saved_sigmask, std::memory_order_relaxed);
    }
    if (nr >= 0) {
        const long r = arch::syscall_result(frame);
        if (r == -kERestartSys || r == -kERestartNoIntr || r == -kERestartNoHand)
            arch::restart_syscall(frame, static_cast<uint64_t>(nr));
    }
    return rewritten;
}

void set_action(Process* p, int sig, const SigAction& act) {
    p->actions[sig - 1] = act;
    const bool ignored =
        act.handler == kSigIgn ||
        (act.handler == kSigDfl && default_action(sig) == Default::Ignore && sig != kSigCont);
    if (ignored)
        p->sig_ignored.fetch_or(sig_bit(sig), std::memory_order_relaxed);
    else
        p->sig_ignored.fetch_and(~sig_bit(sig), std::memory_order_relaxed);
    // POSIX: setting a pending signal to be ignored discards it.
    if (ignored) {
        smp::IrqSpinGuard g(p->siglock);
        p->sig_pending.fetch_and(~sig_bit(sig), std::memory_order_relaxed);
    }
}

void reset_handlers_for_exec(Process* p) {
    for (int sig = 1; sig <= kSignals; sig++) // caught signals go back to the default
        if (p->actions[sig - 1].handler != kSigIgn)
            set_action(p, sig, SigAction{});
}

void signals_exiting(Process* p) {
    smp::IrqSpinGuard g(p->siglock);
    p->sig_dead = true;
    p->sleeping_on = nullptr;
}

} // namespace kernel::user
