// New thread stacks for arch/context.h (the switch itself is switch.S).
#include "arch/context.h"

extern "C" char arch_thread_trampoline[];

namespace arch {

uintptr_t context_init(uintptr_t stack_top, void (*start)(void*), void* arg) {
    // Eight slots: the six callee-saved registers switch.S pops, the return
    // address its ret takes, and a zero above it (a fake caller for backtraces).
    auto* slot = reinterpret_cast<uint64_t*>(stack_top - 8 * sizeof(uint64_t));
    slot[0] = 0;                                                  // r15
    slot[1] = 0;                                                  // r14
    slot[2] = reinterpret_cast<uint64_t>(arg);                    // r13
    slot[3] = reinterpret_cast<uint64_t>(start);                  // r12
    slot[4] = 0;                                                  // rbx
    slot[5] = 0;                                                  // rbp
    slot[6] = reinterpret_cast<uint64_t>(arch_thread_trampoline); // ret
    slot[7] = 0;
    return reinterpret_cast<uintptr_t>(slot);
}

} // namespace arch
