// Identity, exit, the thread pointer, and signal state (recorded only: no
// signal is ever delivered yet).
#include "arch/user.h"
#include "kernel/user/process.h"
#include "kernel/user/syscalls.h"
#include "kernel/user/uaccess.h"

namespace kernel::user {
namespace {

constexpr uint64_t kArchSetFs = 0x1002, kArchGetFs = 0x1003;
constexpr uint64_t kSigBlock = 0, kSigUnblock = 1, kSigSetmask = 2;
constexpr int kSigKill = 9, kSigStop = 19;
// SIGKILL and SIGSTOP can be neither blocked nor caught.
constexpr uint64_t kUnblockable = (uint64_t(1) << (kSigKill - 1)) | (uint64_t(1) << (kSigStop - 1));

} // namespace

long sys_exit(SyscallArgs a) {
    exit_process(static_cast<int>((a[0] & 0xff) << 8));
}

long sys_getpid(SyscallArgs) {
    return current_process()->pid;
}
long sys_getppid(SyscallArgs) {
    // The parent cannot be freed under us: we are its child (or init's).
    Process* me = current_process();
    Process* parent = me->parent.load(std::memory_order_acquire);
    return parent == me ? 0 : parent->pid; // init is its own parent; Linux says 0
}
long sys_gettid(SyscallArgs) {
    return current_process()->pid; // one thread per process: tid == pid
}
long sys_getuid(SyscallArgs) {
    return 0; // everyone is root
}

long sys_arch_prctl(SyscallArgs a) {
    Process* p = current_process();
    switch (a[0]) {
    case kArchSetFs:
        if (a[1] >= arch::kUserSpaceEnd)
            return -kEPERM; // as Linux: no kernel or non-canonical thread pointer
        p->fs_base = a[1];
        arch::set_user_tls(a[1]);
        return 0;
    case kArchGetFs:
        return put_user(a[1], p->fs_base);
    default:
        return -kEINVAL;
    }
}

long sys_set_tid_address(SyscallArgs a) {
    Process* p = current_process();
    p->clear_child_tid = a[0];
    return p->pid;
}

long sys_rt_sigprocmask(SyscallArgs a) {
    Process* p = current_process();
    if (a[3] != sizeof(uint64_t))
        return -kEINVAL;
    const uint64_t old = p->sigmask;
    if (a[1]) {
        uint64_t set;
        if (get_user(&set, a[1]) < 0)
            return -kEFAULT;
        switch (a[0]) {
        case kSigBlock:
            p->sigmask |= set;
            break;
        case kSigUnblock:
            p->sigmask &= ~set;
            break;
        case kSigSetmask:
            p->sigmask = set;
            break;
        default:
            return -kEINVAL;
        }
        p->sigmask &= ~kUnblockable;
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
    }
    if (a[2] && copy_to_user(a[2], &p->actions[sig - 1], sizeof(SigAction)) < 0)
        return -kEFAULT;
    if (a[1])
        p->actions[sig - 1] = act;
    return 0;
}

} // namespace kernel::user
