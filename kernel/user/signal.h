// Signals: generation (send_signal, from any CPU), interruptible sleeps, and
// delivery on the way back to user mode (exit_to_user). A process-directed
// signal (kill) pends in the process and is taken by any of its threads that
// does not block it; a thread-directed one (tkill, tgkill, a group exit's
// SIGKILL) pends in that thread. Stops stop every thread of the process.
//
// Locks: a sender takes only the target's siglock (never a global lock); the
// owner reads its pending set without it. A sender wakes the target if it
// sleeps interruptibly (the queue it named under siglock) or sends its CPU a
// reschedule IPI if it runs there, so delivery does not wait for a tick.
#pragma once

#include <stdint.h>

#include "arch/signal.h"
#include "kernel/sched/waitq.h"
#include "kernel/user/process.h"

namespace kernel::user {

inline constexpr int kSigHup = 1, kSigInt = 2, kSigQuit = 3, kSigTrap = 5, kSigKill = 9,
                     kSigUsr1 = 10, kSigSegv = 11, kSigPipe = 13, kSigAlrm = 14, kSigTerm = 15,
                     kSigChld = 17, kSigCont = 18, kSigStop = 19, kSigTstp = 20, kSigTtin = 21,
                     kSigTtou = 22;
inline constexpr uint64_t sig_bit(int sig) {
    return uint64_t(1) << (sig - 1);
}
// SIGKILL and SIGSTOP can be neither blocked, caught nor ignored.
inline constexpr uint64_t kUnblockable = sig_bit(kSigKill) | sig_bit(kSigStop);
inline constexpr uint64_t kSigDfl = 0, kSigIgn = 1;
inline constexpr uint64_t kSaOnStack = 0x08000000;
inline constexpr uint64_t kSaNoCldStop = 1, kSaNoCldWait = 2, kSaSigInfo = 4,
                          kSaRestorer = 0x04000000, kSaRestart = 0x10000000,
                          kSaNoDefer = 0x40000000, kSaResetHand = 0x80000000;
// siginfo si_code values.
inline constexpr int kSiUser = 0, kSiKernel = 0x80, kSiTkill = -6, kCldExited = 1, kCldKilled = 2,
                     kCldTrapped = 4, kCldStopped = 5, kCldContinued = 6;

// Kernel-internal results (Linux's values), never seen by user space:
// exit_to_user turns them into a restart of the call or into -EINTR.
inline constexpr long kERestartSys = 512;    // restart if the handler has SA_RESTART
inline constexpr long kERestartNoIntr = 513; // always restart
inline constexpr long kERestartNoHand = 514; // restart unless a handler ran

// Generates `sig` for p with the given source. Discarded if p ignores it
// (and does not block it) or is exiting. SIGCONT continues a stopped p and
// tells its parent; a stop signal cancels a pending SIGCONT and vice versa.
// Any context that may take a spinlock; p must stay valid for the call (an
// RCU read section, or the caller's own relationship to p).
void send_signal(Process* p, int sig, const SigSource& from);
// The same for one thread (tkill, tgkill); t found under RCU.
void send_thread_signal(UserThread* t, int sig, const SigSource& from);
// The thread-directed send with t's process's siglock already held.
void signal_thread_locked(UserThread* t, int sig, const SigSource& from);

// Whether any process is stopped now (exit's orphaned-group check skips its
// scan when none is: the common case costs one load of a rarely written line).
bool any_process_stopped();

// Whether thread t must go back toward user mode now: a signal pending for
// it or its process that it does not block, or its process stopping.
bool signal_pending(const UserThread* t);

// Sleeps on wq until cond() holds (evaluated under wq's lock) or a signal
// is pending for the calling process. Returns false if interrupted.
template <typename Cond>
bool wait_interruptible(sched::WaitQueue& wq, Cond&& cond);

// Return-to-user work, called by the arch with the entry's frame: delivers
// pending signals (handlers, default actions, stops) and resolves restart
// results. nr: the system call being returned from, or -1 after an
// interrupt or exception. True if the frame was rewritten (the arch must
// then restore every register, not take a fast return).
bool exit_to_user(void* frame, long nr);

// sigaltstack: the thread's alternate stack as stack_t reports it for a
// user stack pointer sp (SS_ONSTACK when sp is on it, SS_DISABLE when none);
// setting it (EPERM while on it, EINVAL for bad flags, ENOMEM below
// MINSIGSTKSZ). 0 or -errno.
arch::AltStack alt_stack_of(const UserThread* t, uint64_t sp);
long set_alt_stack(UserThread* t, uint64_t sp, const arch::AltStack& ss);

// rt_sigaction keeps sig_ignored in step with the dispositions; exec resets
// handlers to the default.
void set_action(Process* p, int sig, const SigAction& act);
SigAction get_action(Process* p, int sig);
void reset_handlers_for_exec(Process* p);
// exit1's first step: no sender wakes or signals p's threads after this.
void signals_exiting(Process* p);

namespace detail {
void set_sleeping_on(UserThread* t, sched::WaitQueue* wq);
} // namespace detail

template <typename Cond>
bool wait_interruptible(sched::WaitQueue& wq, Cond&& cond) {
    UserThread* t = current_thread();
    if (!t) {
        wq.wait_until(cond);
        return true;
    }
    // Named under siglock first: a sender either sees the queue and wakes
    // it, or set its pending bit before we look (siglock orders the two).
    detail::set_sleeping_on(t, &wq);
    bool interrupted = false;
    wq.wait_until([&] {
        if (cond())
            return true;
        interrupted = signal_pending(t);
        return interrupted;
    });
    detail::set_sleeping_on(t, nullptr);
    return !interrupted;
}

} // namespace kernel::user
