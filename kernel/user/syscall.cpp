// The dispatch table: Linux x86-64 numbers (arch/x86/entry/syscalls/
// syscall_64.tbl). A number without a handler returns ENOSYS and is counted,
// so what a program misses shows up at power-off.
#include "kernel/user/syscall.h"

#include <atomic>

#include "kernel/console.h"
#include "kernel/proc/lifecycle.h"
#include "kernel/user/errno.h"
#include "kernel/user/syscalls.h"

namespace kernel::user {
namespace {

constexpr uint64_t kTableSize = 336;

struct Entry {
    long (*fn)(SyscallArgs);
    const char* name;
};

struct Table {
    Entry e[kTableSize] = {};
    constexpr Table() {
        e[0] = {sys_read, "read"};
        e[1] = {sys_write, "write"};
        e[3] = {sys_close, "close"};
        e[9] = {sys_mmap, "mmap"};
        e[10] = {sys_mprotect, "mprotect"};
        e[11] = {sys_munmap, "munmap"};
        e[12] = {sys_brk, "brk"};
        e[13] = {sys_rt_sigaction, "rt_sigaction"};
        e[14] = {sys_rt_sigprocmask, "rt_sigprocmask"};
        e[15] = {sys_rt_sigreturn, "rt_sigreturn"};
        e[16] = {sys_ioctl, "ioctl"};
        e[20] = {sys_writev, "writev"};
        e[22] = {sys_pipe, "pipe"};
        e[24] = {sys_sched_yield, "sched_yield"};
        e[34] = {sys_pause, "pause"};
        e[35] = {sys_nanosleep, "nanosleep"};
        e[39] = {sys_getpid, "getpid"};
        e[56] = {sys_clone, "clone"};
        e[57] = {sys_fork, "fork"};
        e[58] = {sys_vfork, "vfork"};
        e[59] = {sys_execve, "execve"};
        e[60] = {sys_exit, "exit"};
        e[61] = {sys_wait4, "wait4"};
        e[62] = {sys_kill, "kill"};
        e[63] = {sys_uname, "uname"};
        e[98] = {sys_getrusage, "getrusage"};
        e[100] = {sys_times, "times"};
        e[101] = {sys_ptrace, "ptrace"};
        e[102] = {sys_getuid, "getuid"};
        e[104] = {sys_getuid, "getgid"};
        e[107] = {sys_getuid, "geteuid"};
        e[108] = {sys_getuid, "getegid"};
        e[109] = {sys_setpgid, "setpgid"};
        e[110] = {sys_getppid, "getppid"};
        e[111] = {sys_getpgrp, "getpgrp"};
        e[112] = {sys_setsid, "setsid"};
        e[121] = {sys_getpgid, "getpgid"};
        e[124] = {sys_getsid, "getsid"};
        e[127] = {sys_rt_sigpending, "rt_sigpending"};
        e[130] = {sys_rt_sigsuspend, "rt_sigsuspend"};
        e[131] = {sys_sigaltstack, "sigaltstack"};
        e[157] = {sys_prctl, "prctl"};
        e[158] = {sys_arch_prctl, "arch_prctl"};
        e[169] = {sys_reboot, "reboot"};
        e[186] = {sys_gettid, "gettid"};
        e[200] = {sys_tkill, "tkill"};
        e[202] = {sys_futex, "futex"};
        e[204] = {sys_sched_getaffinity, "sched_getaffinity"};
        e[218] = {sys_set_tid_address, "set_tid_address"};
        e[228] = {sys_clock_gettime, "clock_gettime"};
        e[230] = {sys_clock_nanosleep, "clock_nanosleep"};
        e[231] = {sys_exit_group, "exit_group"};
        e[234] = {sys_tgkill, "tgkill"};
        e[247] = {sys_waitid, "waitid"};
        e[293] = {sys_pipe2, "pipe2"};
    }
};
constexpr Table kTable;

// ENOSYS per number; the last slot counts numbers beyond the table.
std::atomic<uint64_t> unimplemented[kTableSize + 1];

} // namespace

int64_t syscall(uint64_t nr, const uint64_t (&args)[6]) {
    if (nr < kTableSize && kTable.e[nr].fn) {
        const int64_t r = kTable.e[nr].fn(args);
        proc::rcu_quiescent_on_return_to_user(); // QSBR: no RCU reference survives a syscall
        return r;
    }
    unimplemented[nr < kTableSize ? nr : kTableSize].fetch_add(1, std::memory_order_relaxed);
    return -kENOSYS;
}

void report_unimplemented() {
    uint64_t total = 0;
    for (uint64_t nr = 0; nr <= kTableSize; nr++) {
        const uint64_t n = unimplemented[nr].load(std::memory_order_relaxed);
        if (!n)
            continue;
        total += n;
        if (nr < kTableSize)
            kprintf("syscall: nr %lu ENOSYS x%lu\n", nr, n);
        else
            kprintf("syscall: nr >= %lu ENOSYS x%lu\n", kTableSize, n);
    }
    kprintf("syscall: %lu calls returned ENOSYS\n", total);
}

} // namespace kernel::user
