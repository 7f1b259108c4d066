// System calls on the Linux x86-64 ABI: the arch's entry points into the
// portable kernel (arch/user.h describes the entry side).
#pragma once

#include <stdint.h>

namespace kernel::user {

// Runs system call `nr` with its six argument registers (rdi rsi rdx r10 r8
// r9); the result goes back in rax: a value, or -errno.
int64_t syscall(uint64_t nr, const uint64_t (&args)[6]);

// A fault in user mode that the VM could not resolve: reports it and ends
// the process as if killed by SIGSEGV (every exception, for now). Interrupts may be off.
[[noreturn]] void user_fault(const char* what, uintptr_t rip, uintptr_t addr);

// Calls that returned ENOSYS since boot, one line per number ("syscall: nr N
// (name) ENOSYS xC"); printed when the kernel powers off after user space.
void report_unimplemented();

} // namespace kernel::user
