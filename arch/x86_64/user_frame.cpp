// fork's copy of the user registers (arch/user_frame.h). syscall_entry.S
// builds a TrapFrame at the very top of the thread's kernel stack (the entry
// stack pointer is the stack's top), so the frame of the call in progress is
// found from the stack alone.
#include "arch/user_frame.h"

#include "kernel/sched/cputime.h"
#include "traps.h"

static_assert(sizeof(x86::TrapFrame) == arch::kUserFrameSize, "arch/user_frame.h");

extern "C" [[noreturn]] void x86_64_resume_user_frame(const x86::TrapFrame* f);

namespace arch {

void copy_syscall_frame(void* dst, uintptr_t stack_top, uint64_t result) {
    const auto* f = reinterpret_cast<const x86::TrapFrame*>(stack_top - sizeof(x86::TrapFrame));
    x86::TrapFrame copy = *f;
    copy.rax = result;
    __builtin_memcpy(dst, &copy, sizeof copy);
}

void set_frame_stack(void* frame, uintptr_t sp) {
    static_cast<x86::TrapFrame*>(frame)->rsp = sp;
}

void resume_user_frame(const void* frame) {
    kernel::sched::cputime::return_to_user();
    x86_64_resume_user_frame(static_cast<const x86::TrapFrame*>(frame));
}

} // namespace arch
