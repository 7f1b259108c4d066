// The signal system calls: actions, the mask, sigreturn, waiting for a
// signal, and the kill family (kernel/proc/kill.cpp finds the targets).
#include "arch/signal.h"
#include "kernel/console.h"
#include "kernel/proc/proc.h"
#include "kernel/sched/sched.h"
#include "kernel/user/process.h"
#include "kernel/user/signal.h"
#include "kernel/user/syscalls.h"
#include "kernel/user/uaccess.h"

namespace kernel::user {
namespace {

constexpr uint64_t kSigBlock = 0, kSigUnblock = 1, kSigSetmask = 2;

// Sleeps until a signal is pending (pause, rt_sigsuspend). Nothing else
// wakes this queue; a sender wakes it through sleeping_on.
long wait_for_signal() {
    sched::WaitQueue nobody_else;
    wait_interruptible(nobody_else, [] { return false; });
    return -kERestartNoHand;
}

} // namespace

long sys_rt_sigprocmask(SyscallArgs a) {
    UserThread* t = current_thread(); // the mask is per thread
    if (a[3] != sizeof(uint64_t))
        return -kEINVAL;
    const uint64_t old = t->sigmask.load(std::memory_order_relaxed);
    if (a[1]) {
        uint64_t set;
        if (get_user(&set, a[1]) < 0)
            return -kEFAULT;
        uint64_t mask;
        switch (a[0]) {
        case kSigBlock:
            mask = old | set;
            break;
        case kSigUnblock:
            mask = old & ~set;
            break;
        case kSigSetmask:
            mask = set;
            break;
        default:
            return -kEINVAL;
        }
        // Unblocking a pending signal delivers it on the way out (exit_to_user).
        t->sigmask.store(mask & ~kUnblockable, std::memory_order_relaxed);
    }
    if (a[2] && put_user(a[2], old) < 0)
        return -kEFAULT;
    return 0;
}

long sys_rt_sigaction(SyscallArgs a) {
    Process* p = current_process();
    const uint64_t sig = a[0];
    if (a[3] != sizeof(uint64_t) || sig < 1 || sig > kSignals)
        return -kEINVAL;
    SigAction act;
    if (a[1]) {
        if (sig == kSigKill || sig == kSigStop)
            return -kEINVAL;
        if (copy_from_user(&act, a[1], sizeof act) < 0)
            return -kEFAULT;
        act.mask &= ~kUnblockable;
    }
    const SigAction old = get_action(p, static_cast<int>(sig));
    if (a[2] && copy_to_user(a[2], &old, sizeof old) < 0)
        return -kEFAULT;
    if (a[1])
        set_action(p, static_cast<int>(sig), act);
    return 0;
}

long sys_rt_sigreturn(SyscallArgs) {
    UserThread* t = current_thread();
    void* frame = arch::entry_frame(sched::current()->stack.top);
    uint64_t mask;
    arch::AltStack uc_stack;
    if (!arch::pop_signal_frame(frame, &mask, &uc_stack)) {
        kprintf("user: pid %d (%s) killed by SIGSEGV: bad signal frame\n", t->process->pid,
                t->process->name);
        exit_process(kSigSegv);
    }
    // As Linux's restore_altstack: the frame's stack_t becomes the setting
    // again (refused quietly while still on the alternate stack).
    set_alt_stack(t, arch::frame_stack_pointer(frame), uc_stack);
    t->sigmask.store(mask & ~kUnblockable, std::memory_order_relaxed);
    // The dispatcher stores the result in the result register: give back
    // the restored one (exit_to_user knows rt_sigreturn and restarts nothing).
    return arch::syscall_result(frame);
}

long sys_sigaltstack(SyscallArgs a) {
    struct StackT {
        uint64_t sp;
        int32_t flags, pad;
        uint64_t size;
    };
    UserThread* t = current_thread();
    const uint64_t sp = arch::frame_stack_pointer(arch::entry_frame(sched::current()->stack.top));
    const arch::AltStack old = alt_stack_of(t, sp);
    if (a[0]) {
        StackT ss;
        if (copy_from_user(&ss, a[0], sizeof ss) < 0)
            return -kEFAULT;
        if (long err = set_alt_stack(t, sp, {ss.sp, ss.flags, ss.size}); err < 0)
            return err;
    }
    const StackT out{old.sp, old.flags, 0, old.size};
    if (a[1] && copy_to_user(a[1], &out, sizeof out) < 0)
        return -kEFAULT;
    return 0;
}

long sys_rt_sigpending(SyscallArgs a) {
    if (a[1] > sizeof(uint64_t))
        return -kEINVAL;
    const UserThread* t = current_thread();
    const uint64_t set = (t->sig_pending.load(std::memory_order_relaxed) |
                          t->process->sig_pending.load(std::memory_order_relaxed)) &
                         t->sigmask.load(std::memory_order_relaxed);
    return copy_to_user(a[0], &set, a[1]);
}

long sys_rt_sigsuspend(SyscallArgs a) {
    if (a[1] != sizeof(uint64_t))
        return -kEINVAL;
    uint64_t mask;
    if (get_user(&mask, a[0]) < 0)
        return -kEFAULT;
    UserThread* t = current_thread();
    // The old mask comes back after the handler (the frame saves it) or,
    // with no handler, in exit_to_user.
    t->saved_sigmask = t->sigmask.load(std::memory_order_relaxed);
    t->restore_sigmask = true;
    t->sigmask.store(mask & ~kUnblockable, std::memory_order_relaxed);
    return wait_for_signal();
}

long sys_pause(SyscallArgs) {
    return wait_for_signal();
}

long sys_kill(SyscallArgs a) {
    return proc::kill(static_cast<int32_t>(a[0]), static_cast<int32_t>(a[1]));
}

long sys_tkill(SyscallArgs a) {
    return proc::tgkill(-1, static_cast<int32_t>(a[0]), static_cast<int32_t>(a[1]));
}

long sys_tgkill(SyscallArgs a) {
    return proc::tgkill(static_cast<int32_t>(a[0]), static_cast<int32_t>(a[1]),
                        static_cast<int32_t>(a[2]));
}

} // namespace kernel::user
