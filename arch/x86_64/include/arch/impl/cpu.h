// x86-64 bodies for arch/cpu.h. GS base holds this CPU's CpuBlockHeader.
#pragma once

#include <stddef.h>

namespace arch {

inline void cpu_relax() {
    asm volatile("pause" ::: "memory");
}

inline IrqState irq_save() {
    unsigned long flags;
    // "memory": nothing may be moved out of the critical section this opens.
    asm volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
    return flags & (1ul << 9); // IF
}

inline void irq_restore(IrqState state) {
    if (state)
        asm volatile("sti" ::: "memory");
}

inline bool irq_enabled() {
    unsigned long flags;
    asm volatile("pushfq; popq %0" : "=r"(flags));
    return flags & (1ul << 9);
}

inline void irq_enable() {
    asm volatile("sti" ::: "memory");
}
inline void irq_disable() {
    asm volatile("cli" ::: "memory");
}

// sti only takes effect after the next instruction, so no interrupt can slip
// in between the two and leave the CPU asleep with work pending.
inline void wait_for_interrupt() {
    asm volatile("sti; hlt" ::: "memory");
}

[[noreturn]] inline void halt_forever() {
    for (;;)
        asm volatile("cli; hlt" ::: "memory");
}

inline CpuBlockHeader* this_cpu_block() {
    CpuBlockHeader* self;
    asm volatile("movq %%gs:%c1, %0" : "=r"(self) : "i"(offsetof(CpuBlockHeader, self)));
    return self;
}

inline uint32_t this_cpu_id() {
    uint32_t id;
    asm volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(offsetof(CpuBlockHeader, id)));
    return id;
}

inline uint64_t cycle_counter() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t(hi) << 32) | lo;
}

} // namespace arch
