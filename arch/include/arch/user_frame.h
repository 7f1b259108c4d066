// The user registers of a system call in progress, as a copyable blob: fork
// gives the child a copy of the parent's (with the return value 0) and the
// child enters user mode from it (x86-64: the TrapFrame syscall_entry.S
// builds at the top of the thread's kernel stack).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace arch {

inline constexpr size_t kUserFrameSize = 176;

// Copies the user registers of the system call the running thread is in
// (its kernel stack's top is `stack_top`) to dst, with the call's result
// register set to `result`.
void copy_syscall_frame(void* dst, uintptr_t stack_top, uint64_t result);

// Sets the user stack pointer of such a copy (clone: the new thread's stack).
void set_frame_stack(void* frame, uintptr_t sp);

// Drops to user mode with every register from `frame` (a copy made by
// copy_syscall_frame). Interrupts off; never returns.
[[noreturn]] void resume_user_frame(const void* frame);

} // namespace arch
