// x87/SSE state for user threads (arch/fpu.h): FXSAVE/FXRSTOR, which every
// x86-64 CPU has (CR4.OSFXSR is set in usermode.cpp). AVX state is not kept:
// CR4.OSXSAVE stays off, so user code cannot use the YMM registers.
#include "arch/fpu.h"

#include <stdint.h>

namespace arch {

void fpu_save(void* area) {
    asm volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

void fpu_restore(const void* area) {
    asm volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

void fpu_init_state(void* area) {
    // As after FNINIT plus the power-on MXCSR: x87 control word 0x37f, all
    // tags empty (abridged tag word 0), MXCSR 0x1f80 (all exceptions masked).
    auto* b = static_cast<uint8_t*>(area);
    for (size_t i = 0; i < kFpuStateSize; i++)
        b[i] = 0;
    b[0] = 0x7f;
    b[1] = 0x03;
    const uint32_t mxcsr = 0x1f80;
    __builtin_memcpy(b + 24, &mxcsr, sizeof mxcsr);
    const uint32_t mxcsr_mask = 0xffff;
    __builtin_memcpy(b + 28, &mxcsr_mask, sizeof mxcsr_mask);
}

} // namespace arch
