// fork, vfork, clone (process form), wait4, waitid, process groups:
// thin wrappers over kernel/proc/.
#include "kernel/proc/proc.h"
#include "kernel/user/errno.h"
#include "kernel/user/process.h"
#include "kernel/user/syscalls.h"
#include "kernel/user/uaccess.h"

namespace kernel::user {

long sys_fork(SyscallArgs) {
    return proc::fork();
}

long sys_vfork(SyscallArgs) {
    return proc::fork(true);
}

long sys_clone(SyscallArgs a) {
    // Linux x86-64 order: flags, stack, parent_tid, child_tid, tls.
    constexpr uint64_t kSigChld = 17, kCloneThread = 0x10000;
    if (a[0] & kCloneThread)
        return clone_thread(a[0], a[1], a[2], a[3], a[4]);
    if (a[0] != kSigChld || a[1] != 0)
        return -kEINVAL; // a new process only in fork's form (no shared memory or files yet)
    return proc::fork();
}

long sys_wait4(SyscallArgs a) {
    return proc::wait4(static_cast<int32_t>(a[0]), a[1], static_cast<uint32_t>(a[2]), a[3]);
}

long sys_ptrace(SyscallArgs a) { // request, pid, addr (unused so far), data
    return proc::ptrace(a[0], static_cast<int32_t>(a[1]), a[3]);
}

long sys_waitid(SyscallArgs a) {
    return proc::waitid(static_cast<uint32_t>(a[0]), static_cast<int32_t>(a[1]), a[2],
                        static_cast<uint32_t>(a[3]), a[4]);
}

long sys_setpgid(SyscallArgs a) {
    return proc::setpgid(static_cast<int32_t>(a[0]), static_cast<int32_t>(a[1]));
}

long sys_getpgid(SyscallArgs a) {
    return proc::getpgid(static_cast<int32_t>(a[0]));
}

long sys_getpgrp(SyscallArgs) {
    return proc::getpgid(0);
}

long sys_setsid(SyscallArgs) {
    return proc::setsid();
}

long sys_getsid(SyscallArgs a) {
    return proc::getsid(static_cast<int32_t>(a[0]));
}

long sys_prctl(SyscallArgs a) {
    constexpr uint64_t kSetChildSubreaper = 36, kGetChildSubreaper = 37;
    Process* me = current_process();
    switch (a[0]) {
    case kSetChildSubreaper:
        me->child_subreaper.store(a[1] != 0, std::memory_order_relaxed);
        return 0;
    case kGetChildSubreaper:
        return put_user(a[1],
                        static_cast<int32_t>(me->child_subreaper.load(std::memory_order_relaxed)));
    default:
        return -kEINVAL; // the other options are not supported
    }
}

} // namespace kernel::user
