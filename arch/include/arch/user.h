// User mode: the portable view of ring 3 (x86-64: arch/x86_64/usermode.cpp,
// syscall_entry.S, uaccess.S).
//
// A user thread is a kernel thread that drops to user mode with enter_user()
// and from then on runs in the kernel only for system calls, interrupts and
// faults, on its own kernel stack (set_user_entry_stack, on every switch to
// it). System calls reach kernel::user::syscall(); a fault in user mode that
// the VM cannot resolve reaches kernel::user::user_fault().
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace arch {

// On every CPU, once, before any user thread runs there: system-call entry,
// SMEP/SMAP when the CPU offers them, FPU/SSE usable by user code.
void user_mode_cpu_init();
bool smep_enabled();
bool smap_enabled();

// Where entries from user mode land on this CPU: the top of the running user
// thread's kernel stack. Interrupts off.
void set_user_entry_stack(uintptr_t top);
// The thread pointer of the user thread running here (x86-64: FS base).
void set_user_tls(uint64_t value);

// Drops to user mode at `entry` with stack pointer `sp`, every other
// register zero and a fresh FPU state. Never returns.
[[noreturn]] void enter_user(uintptr_t entry, uintptr_t sp);

// Fault-safe copies between kernel memory and user addresses. The caller has
// checked that the user range lies in the user half; a fault on an unmapped
// or forbidden page ends the copy early. They return how many bytes were NOT
// copied (0: all of them).
size_t copy_from_user_raw(void* dst, const void* user_src, size_t n);
size_t copy_to_user_raw(void* user_dst, const void* src, size_t n);
size_t clear_user_raw(void* user_dst, size_t n);
// Copies up to n bytes of a string, stopping after the NUL. Returns the
// string's length (the NUL not counted), n if no NUL came within n bytes, or
// -1 on a fault.
long strncpy_from_user_raw(char* dst, const char* user_src, size_t n);

// Highest user address + 1 a thread may return to through the fast path
// (x86-64: SYSRET to the last canonical page misbehaves on some CPUs).
uintptr_t user_return_limit();

} // namespace arch
