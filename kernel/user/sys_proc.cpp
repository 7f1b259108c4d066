// Identity, exit and the thread pointer (signals: sys_signal.cpp).
#include "arch/user.h"
#include "kernel/user/process.h"
#include "kernel/user/signal.h"
#include "kernel/user/syscalls.h"
#include "kernel/user/uaccess.h"

namespace kernel::user {
namespace {

constexpr uint64_t kArchSetFs = 0x1002, kArchGetFs = 0x1003;

} // namespace

long sys_exit(SyscallArgs a) { // this thread only
    thread_exit(static_cast<int>((a[0] & 0xff) << 8));
}

long sys_exit_group(SyscallArgs a) {
    group_exit(static_cast<int>((a[0] & 0xff) << 8));
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
    return current_thread()->tid;
}
long sys_getuid(SyscallArgs) {
    return 0; // everyone is root
}

long sys_arch_prctl(SyscallArgs a) {
    UserThread* t = current_thread();
    switch (a[0]) {
    case kArchSetFs:
        if (a[1] >= arch::kUserSpaceEnd)
            return -kEPERM; // as Linux: no kernel or non-canonical thread pointer
        t->fs_base = a[1];
        arch::set_user_tls(a[1]);
        return 0;
    case kArchGetFs:
        return put_user(a[1], t->fs_base);
    default:
        return -kEINVAL;
    }
}

long sys_set_tid_address(SyscallArgs a) {
    UserThread* t = current_thread();
    t->clear_child_tid = a[0];
    return t->tid;
}

} // namespace kernel::user
