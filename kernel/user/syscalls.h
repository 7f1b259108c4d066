// The system call handlers (Linux x86-64 numbers in syscall.cpp's table).
// Each takes the six argument registers and returns a value or -errno.
#pragma once

#include <stdint.h>

namespace kernel::user {

using SyscallArgs = const uint64_t (&)[6];

// sys_io.cpp: the console on fds 0-2
long sys_read(SyscallArgs a);
long sys_write(SyscallArgs a);
long sys_writev(SyscallArgs a);
long sys_ioctl(SyscallArgs a);
long sys_close(SyscallArgs a);
long sys_pipe(SyscallArgs a);
long sys_pipe2(SyscallArgs a);
// sys_exec.cpp
long sys_execve(SyscallArgs a);
// sys_lifecycle.cpp: kernel/proc/'s fork, wait, process groups, kill
long sys_fork(SyscallArgs a);
long sys_vfork(SyscallArgs a);
long sys_clone(SyscallArgs a);
long sys_wait4(SyscallArgs a);
long sys_ptrace(SyscallArgs a);
long sys_waitid(SyscallArgs a);
long sys_setpgid(SyscallArgs a);
long sys_getpgid(SyscallArgs a);
long sys_getpgrp(SyscallArgs a);
long sys_setsid(SyscallArgs a);
long sys_getsid(SyscallArgs a);
long sys_prctl(SyscallArgs a);
// sys_signal.cpp: actions, mask, sigreturn, waiting, the kill family
long sys_rt_sigaction(SyscallArgs a);
long sys_rt_sigprocmask(SyscallArgs a);
long sys_rt_sigreturn(SyscallArgs a);
long sys_rt_sigpending(SyscallArgs a);
long sys_sigaltstack(SyscallArgs a);
long sys_rt_sigsuspend(SyscallArgs a);
long sys_pause(SyscallArgs a);
long sys_kill(SyscallArgs a);
long sys_tkill(SyscallArgs a);
long sys_tgkill(SyscallArgs a);
// futex.cpp
long sys_futex(SyscallArgs a);
// sys_mm.cpp: anonymous private memory
long sys_brk(SyscallArgs a);
long sys_mmap(SyscallArgs a);
long sys_munmap(SyscallArgs a);
long sys_mprotect(SyscallArgs a);
// sys_proc.cpp: identity, exit, thread pointer
long sys_exit(SyscallArgs a);
long sys_exit_group(SyscallArgs a);
long sys_getpid(SyscallArgs a);
long sys_getppid(SyscallArgs a);
long sys_gettid(SyscallArgs a);
long sys_getuid(SyscallArgs a);
long sys_arch_prctl(SyscallArgs a);
long sys_set_tid_address(SyscallArgs a);
// sys_misc.cpp: time, scheduling, system
long sys_clock_gettime(SyscallArgs a);
long sys_nanosleep(SyscallArgs a);
long sys_clock_nanosleep(SyscallArgs a);
long sys_sched_yield(SyscallArgs a);
long sys_sched_getaffinity(SyscallArgs a);
long sys_uname(SyscallArgs a);
long sys_reboot(SyscallArgs a);
// sys_rusage.cpp: CPU time and resource usage
long sys_getrusage(SyscallArgs a);
long sys_times(SyscallArgs a);

} // namespace kernel::user
