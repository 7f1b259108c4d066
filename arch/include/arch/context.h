// Switching kernel threads: the portable interface.
//
// A thread that is not running is described by one saved stack pointer. The
// switch is an ordinary function call, so the compiler has already saved the
// caller-saved registers; the arch pushes the callee-saved ones on the old
// stack, stores the stack pointer, and pops the new thread's from its stack.
// The interrupt flag is not part of the context: every switch happens with
// interrupts off and each side restores its own state afterwards.
#pragma once

#include <stdint.h>

namespace arch {

// Prepares a fresh stack (top 16-byte aligned) so that the first switch to
// it calls start(arg) with interrupts still off, as the switch left them.
// start must never return. Returns the initial saved stack pointer.
uintptr_t context_init(uintptr_t stack_top, void (*start)(void*), void* arg);

// Saves the calling thread into *save_sp and resumes the thread whose saved
// stack pointer is load_sp. Returns when some CPU switches back to the saved
// thread. Interrupts must be off.
extern "C" void arch_context_switch(uintptr_t* save_sp, uintptr_t load_sp);

inline void context_switch(uintptr_t* save_sp, uintptr_t load_sp) {
    arch_context_switch(save_sp, load_sp);
}

} // namespace arch
