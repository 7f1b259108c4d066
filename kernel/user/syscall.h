// System calls on the Linux x86-64 ABI: the arch's entry points into the
// portable kernel (arch/user.h describes the entry side).
#pragma once

#include <stdint.h>

namespace kernel::user {

// Runs system call `nr` with its six argument registers (rdi rsi rdx r10 r8
// r9); the result goes back in rax: a value, or -errno.
int64_t syscall(uint64_t nr, const uint64_t (&args)[6]);

// A fault in user mode that the VM could not resolve, as the arch reports
// it: the signal Linux sends for it (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
// SIGTRAP), its si_code and si_addr.
struct UserFault {
    const char* what; // e.g. "page fault", for the kernel's report
    int sig, code;
    uintptr_t rip, addr;
};
// The faulting thread gets the signal. If it has a handler (and does not
// block it), this returns and the arch's way back to user mode runs the
// handler; otherwise (default, ignored or blocked: Linux forces it) the
// fault is reported and the process dies of the signal. Interrupts may be off.
void user_fault(const UserFault& fault);
// The same with no handler possible (a bad return address after sigreturn).
[[noreturn]] void user_fault_kill(const UserFault& fault);

// Calls that returned ENOSYS since boot, one line per number ("syscall: nr N
// (name) ENOSYS xC"); printed when the kernel powers off after user space.
void report_unimplemented();

} // namespace kernel::user
