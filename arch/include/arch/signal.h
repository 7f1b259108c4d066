// Signal frames on the user stack: the arch half of signal delivery
// (kernel/user/signal.cpp decides what to deliver; this builds and reads
// Linux's frame for it, so unmodified programs' handlers and sigreturn work).
//
// `frame` is the user context of the running thread's entry into the kernel
// (entry_frame()): the registers it returns to user mode with.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace arch {

// Linux's siginfo_t (128 bytes): the fields the kernel fills in.
struct SigInfo {
    int32_t signo, err, code, pad0;
    int32_t pid, uid;     // sender (kill) or child (SIGCHLD)
    int32_t status, pad1; // SIGCHLD: exit code or signal
    int64_t utime, stime; // SIGCHLD: clock ticks
    uint8_t rest[128 - 48];
};
static_assert(sizeof(SigInfo) == 128, "Linux's siginfo_t");

// Linux's stack_t (sigaltstack, and uc_stack in the frame).
struct AltStack {
    uint64_t sp = 0;
    int32_t flags = 2; // SS_DISABLE
    uint64_t size = 0;
};

struct HandlerCall {
    uint64_t handler;  // user address of the handler
    uint64_t restorer; // SA_RESTORER's trampoline: the handler returns into it
    int sig;
    uint64_t saved_mask; // restored by rt_sigreturn
    const SigInfo* info;
    uint64_t stack_top; // the alternate signal stack's top, or 0: below the interrupted one
    AltStack uc_stack;  // saved in the frame (the thread's sigaltstack as it was)
};

// The user context of the running thread's current entry from user mode
// (its kernel stack's top is `stack_top`).
void* entry_frame(uintptr_t stack_top);

// Pushes Linux's rt_sigframe (registers, FPU state, mask, siginfo) below the
// user stack pointer and points `frame` at the handler. False if the user
// stack cannot take it (the caller kills the process with SIGSEGV).
bool push_signal_frame(void* frame, const HandlerCall& call);

// rt_sigreturn: reloads the registers and FPU state saved by
// push_signal_frame from the user stack; *mask gets the saved mask. False on
// an unreadable frame (the caller kills the process with SIGSEGV).
bool pop_signal_frame(void* frame, uint64_t* mask, AltStack* uc_stack);

// The user stack pointer the frame returns to.
uint64_t frame_stack_pointer(const void* frame);

// The result register of the system call being returned from, and a way to
// re-enter system call `nr` with its original arguments instead.
long syscall_result(const void* frame);
void set_syscall_result(void* frame, long value);
void restart_syscall(void* frame, uint64_t nr);

} // namespace arch
