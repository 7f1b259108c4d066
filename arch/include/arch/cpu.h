// The portable view of the CPU. Portable code (kernel/, smp/) reaches the
// processor only through the arch/ headers in this folder; each architecture
// (and the host, for tests) provides arch/impl/cpu.h with the inline bodies,
// and the include path picks one. No #ifdef on the architecture here.
#pragma once

#include <stdint.h>

namespace arch {

// Saved interrupt state from irq_save(); opaque to portable code.
using IrqState = unsigned long;

// Every per-CPU block begins with this header; the arch keeps a pointer to it
// in a register (GS base on x86-64) so this_cpu_block() is one load.
struct CpuBlockHeader {
    CpuBlockHeader* self; // points to itself: reading it needs no address computation
    uint32_t id;          // dense CPU index, 0 = boot CPU
    uint32_t reserved;
    // For the arch's entry from user mode, which has no free register to find
    // its stack with (SYSCALL leaves RSP as the user's): the kernel stack top
    // of the user thread running here, and a slot for the user's RSP.
    uintptr_t user_entry_sp;
    uintptr_t user_rsp_scratch;
};

inline void cpu_relax();           // spin-wait hint (pause): be kind to the sibling thread
inline IrqState irq_save();        // disable local interrupts, return the previous state
inline void irq_restore(IrqState); // put back what irq_save() returned
inline bool irq_enabled();
inline void irq_enable();
inline void irq_disable();
inline void wait_for_interrupt(); // enable interrupts and sleep until one arrives, atomically
[[noreturn]] inline void halt_forever(); // interrupts off, never wakes (NMI excepted)
inline CpuBlockHeader* this_cpu_block(); // this CPU's per-CPU block
inline uint32_t this_cpu_id();           // shortcut for this_cpu_block()->id
inline uint64_t cycle_counter();         // a fast, monotonic per-CPU counter (TSC)

} // namespace arch

#include "arch/impl/cpu.h"
