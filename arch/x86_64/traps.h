// Interrupt and exception entry (isr.S builds a TrapFrame and calls
// x86_64_trap_dispatch).
#pragma once

#include <stdint.h>

namespace x86 {

// Laid out as isr_common pushes it (last push first).
struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; // pushed by the CPU
};

// Fixed vectors the kernel uses (above the 32 exceptions and the legacy
// PIC range 0x20-0x2f, which is masked).
inline constexpr uint8_t kVectorPicBase = 0x20;
inline constexpr uint8_t kVectorTimer = 0xe0;      // local APIC timer: the scheduler tick
inline constexpr uint8_t kVectorReschedIpi = 0xf2; // look at your run queue
inline constexpr uint8_t kVectorTestIpi = 0xf0;
inline constexpr uint8_t kVectorCallIpi = 0xf1;
inline constexpr uint8_t kVectorSpurious = 0xff;

} // namespace x86
